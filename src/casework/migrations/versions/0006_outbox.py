"""Alerts that reach people: the transactional outbox, users' email addresses and digest
choice, and private calendar feeds.

- ``outbox``: one row per message to one address, written in the same transaction as the event
  that caused it (or, for a digest, keyed by person and day so it is written once). A worker
  claims due rows (``next_attempt_at``), sends them and marks them sent; ``attempts`` and
  ``last_error`` record the retries.
- ``users.email`` and ``users.digests``: where a person's alerts go, and whether they want the
  daily digest.
- ``calendar_feeds``: one private feed per user; only the SHA-256 of its secret token is kept.
- ``calendar_entries``: what each deadline looked like when a feed last showed it, so that its
  SEQUENCE and LAST-MODIFIED move when it moves.

Revision ID: 0006_outbox
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_outbox"
down_revision = "0005_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=True),
        sa.Column("deadline_id", sa.Text, nullable=True),
        sa.Column("provider_id", sa.Text, nullable=True),
        sa.Column("user_name", sa.String(100), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_deadline", "outbox", ["deadline_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(320), nullable=True))
        batch.add_column(
            sa.Column("digests", sa.Boolean, nullable=False, server_default=sa.true())
        )
    op.create_table(
        "calendar_feeds",
        sa.Column("user_name", sa.String(100), sa.ForeignKey("users.name"), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "calendar_entries",
        sa.Column("deadline_id", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calendar_entries")
    op.drop_table("calendar_feeds")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("digests")
        batch.drop_column("email")
    op.drop_index("ix_outbox_deadline", "outbox")
    op.drop_index("ix_outbox_status_next", "outbox")
    op.drop_table("outbox")
