"""Signed-in web sessions, kept by the server so that signing out, the idle and absolute
timeouts and revoking a user end a session at once, in every server process.

The session id is a 256-bit secret carried in the browser's cookie; only its SHA-256 is stored
(the primary key: one indexed lookup per page). ``user_name`` is indexed for revoking a user.

Revision ID: 0005_web_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_web_sessions"
down_revision = "0004_append_function"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(100), sa.ForeignKey("users.name"), nullable=False),
        sa.Column("token_hash", sa.String(64), sa.ForeignKey("api_tokens.token_hash"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_web_sessions_user_name", "web_sessions", ["user_name"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_user_name", "web_sessions")
    op.drop_table("web_sessions")
