"""Signed checkpoints of the whole log (``casework checkpoint``, and daily from ``serve``): the
log's digest at a position, signed with the council's Ed25519 key, each naming the previous
checkpoint's signature (``casework.events.store.seals``). Not the read models' checkpoints.

Revision ID: 0007_checkpoints
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_checkpoints"
# After 0006_outbox once that revision is merged; on this branch it follows 0005.
down_revision = "0006_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_checkpoints",
        sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("log_digest", sa.String(64), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_checkpoints")
