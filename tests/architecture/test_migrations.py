"""The schema's migrations form one chain, and a database migrated when they were three branches
(0002, 0003 and 0004 each off 0001) upgrades onto it without re-running anything."""

from __future__ import annotations

from sqlalchemy import text

from casework.events.store.database import current_revisions, make_engine, schema_heads, upgrade_schema


def test_the_migrations_form_one_chain_with_one_head() -> None:
    assert schema_heads() == {"0007_checkpoints"}


def test_a_database_at_the_three_old_branch_heads_upgrades_to_the_one_head(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            # 0005, 0006 and 0007 came after the branches
            for table in ("calendar_entries", "calendar_feeds", "outbox", "web_sessions", "log_checkpoints"):
                conn.execute(text(f"DROP TABLE {table}"))
            for column in ("email", "digests"):
                conn.execute(text(f"ALTER TABLE users DROP COLUMN {column}"))
            conn.execute(text("DELETE FROM alembic_version"))
            for revision in ("0002_person_keys", "0003_users_tokens", "0004_append_function"):
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})
        assert upgrade_schema(engine) == {"0007_checkpoints"}
        assert current_revisions(engine) == schema_heads()
    finally:
        engine.dispose()
