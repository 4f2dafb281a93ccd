"""``casework import cqc FILE``: CQC location records in, providers and their ratings out.

For each location, through the Application's commands (``CommandBatch``, one ``append_batch``
per chunk of locations):
- the provider, ``uuid5`` of its CQC location id, is registered (service type and client
  categories from ``cqc_mapping.MAPPING``), or its details updated when the file says otherwise;
- every published report (historic and current) becomes ``CqcRatingPublished`` at its report
  date, with a command id made of the location id and the report's link id (or date), so that
  importing the same file again appends nothing and a newer file appends only new reports;
- when the newest report is new and rates the service Requires improvement or Inadequate, down
  from before (or on its first rating), an intelligence record (source ``cqc``) is logged for
  triage, received at the time of the import.
A record that cannot be read or is refused by the domain is reported with its line number and
reason; the rest import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import islice
from pathlib import Path

import structlog
from pydantic import ValidationError

from casework.application.batch import CommandBatch, deterministic_id
from casework.application.bus import Application
from casework.domain.actors import SYSTEM, Actor
from casework.domain.errors import DomainError
from casework.domain.intelligence import LogIntelligence
from casework.domain.providers import PublishCqcRating, RegisterProvider, UpdateProviderDetails
from casework.events.intelligence import IntelligenceSource
from casework.events.providers import CqcRating
from casework.imports.cqc import CqcLocation, CqcReport, Rejected, read_locations
from casework.imports.cqc_mapping import classify

log = structlog.get_logger("casework.imports.cqc")

CHUNK = 100  # locations per transaction
KEPT_REJECTIONS = 1000  # in the report; every one goes to ``on_rejected`` as it is read
_RANK = {
    CqcRating.inadequate: 1,
    CqcRating.requires_improvement: 2,
    CqcRating.good: 3,
    CqcRating.outstanding: 4,
}
_CONCERNING = {CqcRating.requires_improvement, CqcRating.inadequate}
_LABEL = {
    CqcRating.outstanding: "Outstanding",
    CqcRating.good: "Good",
    CqcRating.requires_improvement: "Requires improvement",
    CqcRating.inadequate: "Inadequate",
}


def provider_id_for(location_id: str) -> str:
    """The Casework provider id of a CQC location: the same on every import and every install."""
    return deterministic_id("cqc-location", location_id)


@dataclass
class ImportReport:
    locations: int = 0
    providers_registered: int = 0
    providers_updated: int = 0
    providers_unchanged: int = 0
    ratings_appended: int = 0
    intelligence_logged: int = 0
    events_appended: int = 0
    beds: int = 0
    current_ratings: int = 0
    historic_ratings: int = 0
    # Of the providers registered: in the council's areas (contracted), or market intelligence.
    registered_contracted: int = 0
    contracted_areas: tuple[str, ...] = ()
    # The first KEPT_REJECTIONS rejected lines; ``rejected_lines`` counts them all. A file of
    # millions of bad lines (not JSON Lines at all) is read in flat memory: give ``on_rejected``
    # to see every one as it is read.
    rejected: list[Rejected] = field(default_factory=list)
    rejected_lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected_lines

    def reject(self, rejected: Rejected) -> None:
        self.rejected_lines += 1
        if len(self.rejected) < KEPT_REJECTIONS:
            self.rejected.append(rejected)


class CqcImporter:
    def __init__(
        self,
        app: Application,
        actor: Actor = SYSTEM,
        *,
        chunk: int = CHUNK,
        contracted_areas: Iterable[str] = (),
    ) -> None:
        """``contracted_areas``: local authority names (CQC's ``localAuthority``, any case) whose
        locations the council contracts; a location registered from any other area is market
        intelligence (``contracted=False``). An import never changes a provider already known:
        an officer may have set it since."""
        self.app = app
        self.actor = actor
        self.chunk = chunk
        self.area_names = tuple(dict.fromkeys(a.strip() for a in contracted_areas if a.strip()))
        self.contracted_areas = frozenset(a.casefold() for a in self.area_names)

    def contracted(self, loc: CqcLocation) -> bool:
        return (loc.local_authority or "").strip().casefold() in self.contracted_areas

    def import_file(
        self, path: str | Path, progress: Callable[[int], None] | None = None,
        on_rejected: Callable[[Rejected], None] | None = None,
    ) -> ImportReport:
        return self.import_records(read_locations(path), progress, on_rejected)

    def import_records(
        self,
        records: Iterable[CqcLocation | Rejected],
        progress: Callable[[int], None] | None = None,
        on_rejected: Callable[[Rejected], None] | None = None,
    ) -> ImportReport:
        """Import a stream of read records; ``progress(n)`` after each chunk of n records,
        ``on_rejected(r)`` for each line rejected, once its chunk is done."""
        report = ImportReport(contracted_areas=self.area_names)
        for chunk in _chunks(iter(records), self.chunk):
            for rejected in self._import_chunk(chunk, report):
                report.reject(rejected)
                if on_rejected:
                    on_rejected(rejected)
            if progress:
                progress(len(chunk))
        log.info(
            "cqc_import_done",
            locations=report.locations,
            events=report.events_appended,
            rejected=report.rejected_lines,
        )
        return report

    def _import_chunk(self, chunk: list[CqcLocation | Rejected], report: ImportReport) -> list[Rejected]:
        """Import a chunk's locations in one transaction; returns its rejected lines."""
        found: list[Rejected] = []
        batch = CommandBatch(self.app, self.actor)
        now = self.app.clock.now()
        outcomes: list[tuple[CqcLocation, _Outcome]] = []
        for record in chunk:
            if isinstance(record, Rejected):
                found.append(record)
                continue
            point = batch.savepoint()
            try:
                outcomes.append((record, self._import_location(batch, record, now)))
            except DomainError as exc:
                batch.rollback(point)
                found.append(Rejected(record.line, str(exc), record.location_id))
            except ValidationError as exc:  # a value past a command's limit (domain/fields.py)
                batch.rollback(point)
                found.append(Rejected(record.line, refused_fields(exc), record.location_id))
        stored = batch.commit()
        report.events_appended += len(stored)
        for location, outcome in outcomes:  # counted only once committed
            report.locations += 1
            report.beds += location.beds or 0
            report.current_ratings += location.current_rating is not None
            report.historic_ratings += location.historic_listed
            report.providers_registered += outcome.registered
            report.registered_contracted += outcome.registered and self.contracted(location)
            report.providers_updated += outcome.updated
            report.providers_unchanged += not (outcome.registered or outcome.updated)
            report.ratings_appended += outcome.ratings
            report.intelligence_logged += outcome.intelligence
        return found

    def _import_location(self, batch: CommandBatch, loc: CqcLocation, now: datetime) -> _Outcome:
        kind = classify(loc)
        if kind.service_type is None:
            raise _Unmapped(loc, kind.unmapped)
        pid = provider_id_for(loc.location_id)
        details = {
            "name": loc.name,
            "service_type": kind.service_type,
            "categories": list(kind.categories),
            "cqc_location_id": loc.location_id,
            "cqc_provider_id": loc.provider_id,
            "beds": loc.beds,
            "district": loc.local_authority,
            "nhs_area": loc.nhs_area,
        }
        outcome = _Outcome()
        provider = batch.state("provider", pid)
        if provider.version == 0:
            first_seen = min(
                [d for d in (loc.registration_date, *(r.report_date for r in loc.ratings)) if d],
                default=now.date(),
            )
            batch.execute(
                RegisterProvider(
                    provider_id=pid, address=loc.address, postcode=loc.postcode,
                    registered_manager=loc.registered_manager,
                    contracted=self.contracted(loc),
                    occurred_at=min(_at(first_seen), now), **details,
                ),
                command_id=f"cqc:{loc.location_id}:registered",
            )
            outcome.registered = True
        else:
            changed = _changed(provider, details)
            if changed:
                digest = hashlib.sha256(repr(sorted(changed.items())).encode()).hexdigest()[:16]
                batch.execute(
                    UpdateProviderDetails(provider_id=pid, **changed),
                    command_id=f"cqc:{loc.location_id}:details:v{provider.version}:{digest}",
                )
                outcome.updated = True
        newest_is_new = False
        for index, rating in enumerate(loc.ratings):
            before = batch.executed
            batch.execute(
                PublishCqcRating(
                    provider_id=pid,
                    report_date=rating.report_date,
                    overall=rating.overall,
                    key_questions=rating.key_questions,
                    report_id=rating.report_link_id,
                    occurred_at=_at(rating.report_date),
                ),
                command_id=f"cqc:{loc.location_id}:report:{rating.key}",
            )
            appended = batch.executed > before
            outcome.ratings += appended
            newest_is_new = appended and index == len(loc.ratings) - 1
        if newest_is_new and (fall := _fall(loc.ratings)):
            batch.execute(
                LogIntelligence(
                    provider_id=pid,
                    source=IntelligenceSource.cqc,
                    received_at=now,
                    summary=fall,
                    occurred_at=now,
                ),
                command_id=f"cqc:{loc.location_id}:report:{loc.ratings[-1].key}:intelligence",
            )
            outcome.intelligence = True
        return outcome


@dataclass
class _Outcome:
    registered: bool = False
    updated: bool = False
    ratings: int = 0
    intelligence: bool = False


class _Unmapped(DomainError):
    status = 422
    title = "Not mapped"

    def __init__(self, loc: CqcLocation, unmapped: tuple[str, ...]) -> None:
        listed = ", ".join(unmapped) or "none listed"
        super().__init__(
            f"no Casework service type for its CQC service types ({listed}); "
            "add a row to casework.imports.cqc_mapping.MAPPING"
        )


# A command's field -> the CQC field it comes from, so a refusal names what the file says.
SOURCE_FIELDS = {
    "name": "name", "address": "postalAddressLine1/postalAddressLine2", "postcode": "postalCode",
    "district": "localAuthority", "nhs_area": "onspdCcgName", "cqc_location_id": "locationId",
    "cqc_provider_id": "providerId", "report_id": "reportLinkId", "beds": "numberOfBeds",
}


def refused_fields(exc: ValidationError) -> str:
    """Why a command refused a location's values, naming each CQC field and the limit it broke
    (never quoting a long value back)."""
    problems = []
    for error in exc.errors(include_url=False):
        field_name = str(error["loc"][0]) if error["loc"] else ""
        source = SOURCE_FIELDS.get(field_name, field_name)
        limit = (error.get("ctx") or {}).get("max_length")
        given = error.get("input")
        if error["type"] == "string_too_long" and isinstance(given, str):
            problems.append(f"{source} is {len(given):,} characters long; at most {limit} are allowed")
        else:
            problems.append(f"{source}: {error['msg']}")
    return "; ".join(problems)


def _fall(reports: tuple[CqcReport, ...]) -> str | None:
    """Words for the intelligence record when the newest report rates the service Requires
    improvement or Inadequate, down from the last rating before it (or on a first rating)."""
    newest = reports[-1]
    if newest.overall not in _CONCERNING:
        return None
    earlier = [r.overall for r in reports[:-1] if r.overall in _RANK]
    previous = earlier[-1] if earlier else None
    if previous is not None and _RANK[previous] <= _RANK[newest.overall]:
        return None
    was = f", down from {_LABEL[previous]}" if previous else " on its first rating"
    return (
        f"CQC rated this service {_LABEL[newest.overall]} overall in its report of "
        f"{newest.report_date:%-d %B %Y}{was}."
    )


def _changed(provider: object, details: Mapping[str, object]) -> dict[str, object]:
    changed: dict[str, object] = {}
    for name, value in details.items():
        current = getattr(provider, name, None)
        if name == "categories":
            current = list(current or ())
        if value is not None and value != current:
            changed[name] = value
    return changed


def _at(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _chunks(records: Iterator[CqcLocation | Rejected], size: int) -> Iterator[list]:
    while chunk := list(islice(records, size)):
        yield chunk
