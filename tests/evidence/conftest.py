"""Evidence tests: a store with one provider's history (a whistleblower's record, a visit, and a
second provider around it) and the council's signing key in a temporary file."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner, Result

from casework.bootstrap import Casework
from casework.cli.main import app as cli
from casework.domain.actors import Actor, Role
from casework.domain.intelligence import AllocateIntelligence, LogIntelligence
from casework.domain.personal_data import PersonDetails
from casework.domain.providers import RegisterProvider
from casework.domain.visits import CompleteVisit, PlanVisit
from casework.evidence.bundle import export_bundle
from casework.evidence.signing import SigningKeys
from casework.settings import Settings

MANNY = Actor("manny", Role.manager)
WHISTLEBLOWER = "Mary Ann Smith-Jones"
CONTACT = "mary.sj@example.org"


@dataclass
class History:
    provider_id: str
    other_provider_id: str
    record_id: str
    person_id: str


def build_history(cw: Casework, clock) -> History:
    run = cw.application.execute
    pid = run(RegisterProvider(name="Elm Court", service_type="care_home_residential"), MANNY).aggregate_id
    other = run(RegisterProvider(name="Ash Villa", service_type="home_care"), MANNY).aggregate_id
    logged = run(LogIntelligence(
        provider_id=pid, source="whistleblowing", summary="Rotas falsified at night",
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
        whistleblower=PersonDetails(name=WHISTLEBLOWER, contact=CONTACT)), MANNY)
    run(LogIntelligence(provider_id=other, source="complaint", summary="Late calls",
                        received_at=datetime(2026, 3, 1, tzinfo=UTC)), MANNY)
    clock.advance(timedelta(hours=1))
    run(AllocateIntelligence(record_id=logged.aggregate_id, officer="amy"), MANNY)
    visit = run(PlanVisit(provider_id=pid, reason="responsive", announced=False,
                          planned_for=datetime(2026, 3, 4, 10, tzinfo=UTC)), MANNY).aggregate_id
    clock.advance(timedelta(days=3))
    run(CompleteVisit(visit_id=visit, findings="Rotas did not match the signing-in book"), MANNY)
    return History(pid, other, logged.aggregate_id, logged.events[0].data["whistleblower"]["person_id"])


@pytest.fixture
def history(casework: Casework, clock) -> History:
    return build_history(casework, clock)


def bundle_of(cw: Casework, provider_id: str, key: Path) -> bytes:
    made = export_bundle(cw.store, lambda: SigningKeys.load(key), provider_id, now=cw.clock.now(),
                         exported_by={"name": "test", "role": "auditor", "via": "test"},
                         council="Test council")
    assert made is not None
    return made


def members(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


def invoke(args: list[str], settings: Settings) -> Result:
    """A ``casework`` command run in this process on the test's store and signing key."""
    env = {"CASEWORK_DATABASE_URL": settings.database_url, "CASEWORK_LOG_LEVEL": "WARNING",
           "CASEWORK_SIGNING_KEY_FILE": settings.signing_key_file}
    try:
        return CliRunner().invoke(cli, args, env=env)
    finally:
        structlog.reset_defaults()


@pytest.fixture
def bundle(casework: Casework, history: History, signing_key_file: Path) -> Iterator[bytes]:
    yield bundle_of(casework, history.provider_id, signing_key_file)
