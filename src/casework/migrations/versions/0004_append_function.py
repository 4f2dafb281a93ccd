"""PostgreSQL: ``casework_append``, a one-stream append in one round trip.

The store's general append is five statements (BEGIN; the append lock and NOTIFY; the stream
head; INSERT; COMMIT). For the common case, a command appending to one stream, this function
does the lock, the head check, the insert and the notification in a single statement that the
store runs in autocommit, so the append costs one round trip and one commit.

The caller computes the events' hashes from the head it believes in (``p_version``,
``p_hash``); the function re-reads the head *after* taking the lock (plpgsql takes a fresh
snapshot per statement under READ COMMITTED) and writes nothing if it differs, returning the
actual head instead. The hash chain and optimistic concurrency are therefore checked by the
database under the same lock as before, whatever the caller's cache says.

Revision ID: 0004_append_function
"""

from alembic import op

revision = "0004_append_function"
down_revision = "0003_users_tokens"
branch_labels = None
depends_on = None

# casework.events.store.APPEND_LOCK_KEY (0x6361_7365_0002) and NOTIFY_CHANNEL, frozen here.
_FUNCTION = """
CREATE OR REPLACE FUNCTION casework_append(
    p_stream text, p_version integer, p_hash text,
    p_event_ids text[], p_types text[], p_schema_versions smallint[], p_data text[],
    p_metadata text[], p_provider_ids text[], p_occurred_at timestamptz[],
    p_recorded_at timestamptz, p_hashes text[]
) RETURNS TABLE (o_position bigint, o_event_id text, o_head_version integer, o_head_hash text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    head_version integer;
    head_hash text;
BEGIN
    -- Positions are allocated in commit order: the same transaction-scoped lock as every append.
    PERFORM pg_advisory_xact_lock(109270198976514);
    SELECT e.version, e.hash INTO head_version, head_hash
      FROM events AS e WHERE e.stream = p_stream ORDER BY e.version DESC LIMIT 1;
    IF coalesce(head_version, 0) <> p_version OR coalesce(head_hash, '') <> p_hash THEN
        -- The caller's head is stale: write nothing and tell it the actual head.
        RETURN QUERY SELECT NULL::bigint, NULL::text, coalesce(head_version, 0), coalesce(head_hash, '');
        RETURN;
    END IF;
    PERFORM pg_notify('casework_events', '');
    RETURN QUERY
    INSERT INTO events AS e (event_id, stream, version, type, schema_version, data, metadata,
                             provider_id, occurred_at, recorded_at, hash)
    SELECT u.event_id, p_stream, p_version + u.n::integer, u.type, u.schema_version, u.data,
           u.metadata, u.provider_id, u.occurred_at, p_recorded_at, u.hash
      FROM unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata, p_provider_ids,
                  p_occurred_at, p_hashes)
           WITH ORDINALITY AS u(event_id, type, schema_version, data, metadata, provider_id,
                                occurred_at, hash, n)
     ORDER BY u.n
    RETURNING e.position, e.event_id::text, NULL::integer, NULL::text;
END
$$
"""

_DROP = (
    "DROP FUNCTION IF EXISTS casework_append(text, integer, text, text[], text[], smallint[], "
    "text[], text[], text[], timestamptz[], timestamptz, text[])"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DROP)
