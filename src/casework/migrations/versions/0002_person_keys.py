"""Per-person encryption keys for restricted personal data, kept apart from the events.

Revision ID: 0002_person_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_person_keys"
down_revision = "0001_event_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_keys",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("key", sa.LargeBinary, nullable=False),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("person_keys")
