"""A real SMTP server in the test process (aiosmtpd), and Casework wired to send mail to it.

``mailbox.messages`` holds every message the server accepted, parsed; ``mailbox.refuse`` makes
it answer a transient refusal (451) instead; ``mailbox.stop()`` / ``start()`` take it away and
bring it back on the same port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import Casework, bootstrap
from casework.clock import FixedClock
from casework.domain.actors import Actor, Role
from casework.events.store.database import reading
from casework.settings import Settings

ADMIN = Actor("test-admin", Role.admin)
BASE_URL = "https://casework.council.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: str | None = None
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            return self.refuse
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]

    def everything(self) -> str:
        """Every message received: its headers and its decoded text."""
        return "\n".join(
            "\n".join(f"{k}: {v}" for k, v in m.items()) + "\n" + m.get_content()
            for _, m in self.messages
        )


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def mail_settings(database_url: str, mailbox: Mailbox) -> Settings:
    return Settings(
        database_url=database_url, scheduler_enabled=False, smtp_url=mailbox.url,  # type: ignore[arg-type]
        mail_from="casework@council.example", base_url=BASE_URL,
        team_emails={"contracts-team": "contracts@council.example"},
        digest_time=time(23, 59),  # out of the way: the digest tests set their own
    )


@pytest.fixture
def casework(mail_settings: Settings, clock: FixedClock) -> Iterator[Casework]:
    cw = bootstrap(mail_settings, clock=clock)
    yield cw
    cw.close()


def record(store, stream: str, event, at: datetime, actor: str = "mia"):
    """Append one event to ``stream``, by ``actor`` (who owns the deadlines it sets)."""
    from casework.events import Metadata, to_new_event

    new = to_new_event(event, metadata=Metadata(actor=actor, provider_id=getattr(event, "provider_id", None)),
                       occurred_at=at)
    return store.append(stream, [new])[0]


def outbox_rows(cw: Casework) -> list:
    from sqlalchemy import select

    from casework.alerts.outbox import outbox

    with reading(cw.engine) as conn:
        return list(conn.execute(select(outbox).order_by(outbox.c.created_at, outbox.c.recipient)))


def provider_led_by(store, provider_id: str, name: str, lead: str | None, at: datetime) -> None:
    """A registered provider whose case ``lead`` leads (``LeadOfficerAssigned``): the owner of
    its escalation deadlines and their reminders. With no lead they belong to the team
    (``contracts-team`` by default), whoever recorded the events."""
    from casework.events.providers import LeadOfficerAssigned, ProviderRegistered, ServiceType

    stream = f"provider-{provider_id}"
    if not store.stream_version(stream):
        record(store, stream, ProviderRegistered(
            provider_id=provider_id, name=name, service_type=ServiceType.home_care), at)
    if lead is not None:
        record(store, stream, LeadOfficerAssigned(provider_id=provider_id, officer=lead), at)


def final_notice(cw: Casework, provider_id: str, at: datetime, actor: str = "amy") -> None:
    """A 90-day final notice issued to ``provider_id`` at ``at``: its reminders and expiry follow."""
    from casework.events.sanctions import FinalNoticeIssued, SanctionStage

    record(cw.store, f"escalation-{provider_id}", FinalNoticeIssued(
        provider_id=provider_id, from_stage=SanctionStage.contract_suspension,
        reason="no improvement"), at, actor=actor)


@pytest.fixture
def client(casework: Casework) -> Iterator[TestClient]:
    with TestClient(create_app(casework), raise_server_exceptions=False) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

