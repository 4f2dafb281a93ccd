"""The ``person_keys`` table behind ``casework.domain.personal_data.PersonVault`` (persistence
side, so the domain stays free of SQLAlchemy). Keys live apart from the events: erasing a person
deletes their row and touches no event."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError

from casework.events.errors import StoreUnavailable

metadata = MetaData()

person_keys = Table(
    "person_keys",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("ciphertext", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class SqlKeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, person_id: str, key: bytes, ciphertext: str) -> None:
        row = {
            "person_id": person_id,
            "key": key,
            "ciphertext": ciphertext,
            "created_at": datetime.now(UTC),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(person_keys).values(**row))
        except DBAPIError as exc:
            raise StoreUnavailable("could not store a person key") from exc

    def get(self, person_id: str) -> tuple[bytes, str] | None:
        query = select(person_keys.c.key, person_keys.c.ciphertext).where(
            person_keys.c.person_id == person_id
        )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except DBAPIError as exc:
            raise StoreUnavailable("could not read a person key") from exc
        return None if row is None else (bytes(row[0]), row[1])

    def delete(self, person_id: str) -> bool:
        try:
            with self.engine.begin() as conn:
                result = conn.execute(delete(person_keys).where(person_keys.c.person_id == person_id))
        except DBAPIError as exc:
            raise StoreUnavailable("could not erase a person key") from exc
        return result.rowcount > 0
