"""Reading CQC location records (JSON Lines of the public API's ``GET /locations/{id}`` objects).

``read_locations(path)`` streams the file one line at a time and yields, per non-blank line,
either a ``CqcLocation`` (what Casework needs of it, cleaned) or a ``Rejected`` (its line number
and why it could not be read). A bad record never stops the rest; a line longer than
``MAX_LINE_BYTES`` stops the reading with ``FileTooLarge`` (``count_records`` finds it before an
import starts, so that such a file imports nothing).

CQC's quirks handled here:
- ``registrationDate`` is ``dd/mm/yyyy``; report dates are ISO ``yyyy-mm-dd``.
- Ratings are spelt ``Requires improvement``; ``Inspected but not rated`` is a rating of its own,
  ``No published rating`` is none;
  pre-2014 reports carry ``No action`` / ``Compliance action``; focused inspections publish only
  some key questions and no overall rating; some locations have no rating at all.
- A focused inspection can appear twice: in ``historicRatings`` (partial, no overall) and in
  ``currentRatings`` (with the overall rating carried forward) under the same ``reportLinkId``.
  It is one report, so the two are merged, the current one winning.
- A historic report "Inspected but not rated" overall is a focused inspection that left the
  overall rating as it was (``currentRatings`` still shows the earlier rating), so it is read as
  a report with no overall rating; its key questions are kept. Only a location's current rating
  can be "Inspected but not rated" overall (a service inspected but never rated).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from casework.events.providers import CqcRating, KeyQuestion
from casework.files import MIB, lines_within

# 421 Devon and Plymouth care homes as CQC published them in January 2021 (CQC's public API,
# location objects as JSON Lines); used by ``make demo`` and the tests.
BUNDLED_CQC_FILE = Path(__file__).resolve().parent.parent / "data" / "cqc-devon-plymouth-2021.jsonl"
# The longest location in the bundled file is 7,761 bytes (a home with many historic reports);
# 1 MiB leaves a hundred times that and keeps a wrong file (/dev/zero) from filling memory.
MAX_LINE_BYTES = 1 * MIB
WHAT = "the CQC file"
JSON_DEPTH = 1024  # orjson's limit: deeper nesting is refused, never followed

# CQC's words for the key questions -> Casework's.
KEY_QUESTIONS = {
    "safe": KeyQuestion.safe,
    "effective": KeyQuestion.effective,
    "caring": KeyQuestion.caring,
    "responsive": KeyQuestion.responsive,
    "well-led": KeyQuestion.well_led,
}

# CQC's rating words (lower-cased) -> Casework's rating; None = the report gave no rating on
# today's scale. A word not listed here makes the record unreadable (it is rejected).
RATING_WORDS: dict[str, CqcRating | None] = {
    "outstanding": CqcRating.outstanding,
    "good": CqcRating.good,
    "requires improvement": CqcRating.requires_improvement,
    "inadequate": CqcRating.inadequate,
    "inspected but not rated": CqcRating.inspected_but_not_rated,
    "not yet rated": CqcRating.not_yet_rated,
    "no published rating": None,
    # The pre-2014 regime's outcomes: a published report, but no rating on today's scale.
    "no action": None,
    "compliance action": None,
    "enforcement action": None,
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_UK_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")


class RecordError(ValueError):
    """A location record that cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class CqcReport:
    """One published CQC report's ratings: overall (None when the report gave none) and the key
    questions it rated. ``key`` identifies the report within its location."""

    report_date: date
    report_link_id: str | None
    overall: CqcRating | None
    key_questions: dict[KeyQuestion, CqcRating] = field(default_factory=dict)
    current: bool = False

    @property
    def key(self) -> str:
        return self.report_link_id or self.report_date.isoformat()


@dataclass(frozen=True, slots=True)
class CqcLocation:
    """What Casework takes from one CQC location record."""

    line: int
    location_id: str
    provider_id: str | None
    name: str
    beds: int | None
    local_authority: str | None
    nhs_area: str | None
    nhs_area_code: str | None
    district: str | None
    postcode: str | None
    address: str | None
    registration_date: date | None
    registration_status: str | None
    service_types: tuple[str, ...]
    specialisms: tuple[str, ...]
    regulated_activities: tuple[str, ...]
    ratings: tuple[CqcReport, ...]  # oldest first, one per published report
    historic_listed: int = 0  # entries in historicRatings as published (before merging)
    # The registered manager CQC names (a contact with the role "Registered Manager" under
    # regulatedActivities, as CQC's API gives it), if any.
    registered_manager: str | None = None

    @property
    def current_rating(self) -> CqcReport | None:
        return next((r for r in reversed(self.ratings) if r.current), None)

    @property
    def historic_ratings(self) -> tuple[CqcReport, ...]:
        return tuple(r for r in self.ratings if not r.current)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line that could not be read, and why."""

    line: int
    reason: str
    location_id: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" (location {self.location_id})" if self.location_id else "")
        return f"{where}: {self.reason}"


def read_locations(source: str | Path | Iterable[str]) -> Iterator[CqcLocation | Rejected]:
    """Stream a JSON Lines file (or any iterable of lines). Blank lines are skipped. A file's
    line longer than ``MAX_LINE_BYTES`` raises ``FileTooLarge`` (naming the file, the line and
    the limit) having read no more of it."""
    if isinstance(source, str | Path):
        yield from _read_lines(lines_within(source, max_line=MAX_LINE_BYTES, what=WHAT))
    else:
        yield from _read_lines(source)


def count_records(path: str | Path) -> int:
    """The non-blank lines of a CQC file, read as ``read_locations`` reads it (so a line over
    the limit raises ``FileTooLarge`` here, before anything is imported)."""
    return sum(1 for line in lines_within(path, max_line=MAX_LINE_BYTES, what=WHAT) if line.strip())


def _read_lines(lines: Iterable[str | bytes]) -> Iterator[CqcLocation | Rejected]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            raw = orjson.loads(_utf8(text))
        except UnicodeDecodeError as exc:
            yield Rejected(number, f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at "
                                   f"position {exc.start + 1} cannot be read; save the file as UTF-8")
            continue
        except orjson.JSONDecodeError as exc:
            yield Rejected(number, _not_json(exc, text))
            continue
        if not isinstance(raw, dict):
            yield Rejected(number, f"expected a JSON object, found {type(raw).__name__}")
            continue
        try:
            yield parse_location(raw, line=number)
        except RecordError as exc:
            yield Rejected(number, str(exc), _text(raw.get("locationId")))


def _utf8(line: str | bytes) -> str | bytes:
    """A line as orjson reads it, its bytes first checked as UTF-8 (orjson's own message for a
    stray byte speaks of surrogates)."""
    if isinstance(line, bytes):
        line.decode("utf-8")  # raises UnicodeDecodeError naming the byte and where it is
    return line


def _not_json(exc: orjson.JSONDecodeError, line: str | bytes) -> str:
    """Why a line is not a JSON value, in words: a line cut short (no newline: the end of a file
    that was truncated), nested past what a reader follows, or not JSON at all."""
    message = str(exc)
    ending = b"\n" if isinstance(line, bytes) else "\n"
    if "depth limit" in message:
        return f"too deeply nested: JSON nested more than {JSON_DEPTH} levels deep ({message})"
    if "unexpected end of data" in message and not line.endswith(ending):  # type: ignore[arg-type]
        return f"not valid JSON: the line is cut short ({message}); the file may be truncated"
    return f"not valid JSON ({message}); each line must be one CQC location object"


def parse_location(raw: dict[str, Any], *, line: int = 0) -> CqcLocation:
    """One location object -> ``CqcLocation``; raises ``RecordError`` saying what is wrong."""
    location_id = _text(raw.get("locationId"))
    if not location_id:
        raise RecordError("no locationId")
    name = _text(raw.get("name"))
    if not name:
        raise RecordError("no name")
    return CqcLocation(
        line=line,
        location_id=location_id,
        provider_id=_text(raw.get("providerId")),
        name=name,
        beds=_beds(raw.get("numberOfBeds")),
        local_authority=_text(raw.get("localAuthority")),
        nhs_area=_text(raw.get("onspdCcgName")),
        nhs_area_code=_text(raw.get("onspdCcgCode")),
        district=_text(raw.get("postalAddressTownCity")),
        postcode=_text(raw.get("postalCode")),
        address=", ".join(
            t for k in ("postalAddressLine1", "postalAddressLine2") if (t := _text(raw.get(k)))
        )
        or None,
        registration_date=_optional_date(raw.get("registrationDate"), "registrationDate"),
        registration_status=_text(raw.get("registrationStatus")),
        service_types=_names(raw.get("gacServiceTypes"), "gacServiceTypes"),
        specialisms=_names(raw.get("specialisms"), "specialisms"),
        regulated_activities=_names(raw.get("regulatedActivities"), "regulatedActivities"),
        ratings=_ratings(raw),
        historic_listed=len(raw.get("historicRatings") or []),
        registered_manager=_registered_manager(raw.get("regulatedActivities")),
    )


def _registered_manager(activities: Any) -> str | None:
    """The first contact whose ``personRoles`` include "Registered Manager", as CQC's API lists
    them under each regulated activity: "Jane Smith" (title and given and family names)."""
    for activity in activities if isinstance(activities, list) else ():
        contacts = activity.get("contacts") if isinstance(activity, dict) else None
        for contact in contacts if isinstance(contacts, list) else ():
            if not isinstance(contact, dict):
                continue
            roles = contact.get("personRoles")
            if isinstance(roles, list) and "Registered Manager" in roles:
                parts = [_text(contact.get(k)) for k in ("personTitle", "personGivenName",
                                                          "personFamilyName")]
                name = " ".join(p for p in parts if p)
                if name:
                    return name
    return None


def parse_cqc_date(value: Any, what: str) -> date:
    """CQC writes ``yyyy-mm-dd`` (reports) and ``dd/mm/yyyy`` (registration)."""
    text = _text(value)
    try:
        if text and _ISO_DATE.match(text):
            return date.fromisoformat(text[:10])
        if text and _UK_DATE.match(text):
            return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        pass
    raise RecordError(f"{what} {value!r} is not a date (expected yyyy-mm-dd or dd/mm/yyyy)")


def _optional_date(value: Any, what: str) -> date | None:
    return None if value in (None, "") else parse_cqc_date(value, what)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _beds(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise RecordError(f"numberOfBeds {value!r} is not a number")
    try:
        beds = int(value)
    except (TypeError, ValueError):
        raise RecordError(f"numberOfBeds {value!r} is not a number") from None
    if beds != value and str(beds) != str(value).strip():
        raise RecordError(f"numberOfBeds {value!r} is not a whole number")
    if beds < 0:
        raise RecordError(f"numberOfBeds {value!r} is negative")
    return beds


def _names(items: Any, what: str) -> tuple[str, ...]:
    """``[{"name": ...}, ...]`` -> names, in order, without repeats."""
    if items in (None, ""):
        return ()
    if not isinstance(items, list):
        raise RecordError(f"{what} is not a list")
    names: list[str] = []
    for item in items:
        name = _text(item.get("name")) if isinstance(item, dict) else _text(item)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _rating_word(value: Any, where: str) -> CqcRating | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return RATING_WORDS[text.lower()]
    except KeyError:
        raise RecordError(f"{where}: unknown rating {text!r}") from None


def _key_questions(items: Any, where: str) -> dict[KeyQuestion, CqcRating]:
    result: dict[KeyQuestion, CqcRating] = {}
    for item in items or ():
        if not isinstance(item, dict):
            raise RecordError(f"{where}: a key question rating is not an object")
        name = (_text(item.get("name")) or "").lower()
        question = KEY_QUESTIONS.get(name)
        if question is None:
            raise RecordError(f"{where}: unknown key question {item.get('name')!r}")
        rating = _rating_word(item.get("rating"), f"{where} {item.get('name')}")
        if rating is not None:
            result[question] = rating
    return result


def _ratings(raw: dict[str, Any]) -> tuple[CqcReport, ...]:
    by_report: dict[str, CqcReport] = {}
    historic = raw.get("historicRatings") or []
    if not isinstance(historic, list):
        raise RecordError("historicRatings is not a list")
    for index, item in enumerate(historic, start=1):
        where = f"historicRatings[{index}]"
        if not isinstance(item, dict):
            raise RecordError(f"{where} is not an object")
        overall = item.get("overall") or {}
        overall_rating = _rating_word(overall.get("rating"), f"{where} overall")
        if overall_rating is CqcRating.inspected_but_not_rated:
            overall_rating = None  # a focused inspection: the overall rating stood (see above)
        rating = CqcReport(
            report_date=parse_cqc_date(item.get("reportDate"), f"{where} reportDate"),
            report_link_id=_text(item.get("reportLinkId")),
            overall=overall_rating,
            key_questions=_key_questions(overall.get("keyQuestionRatings"), where),
        )
        by_report[rating.key] = rating
    current = raw.get("currentRatings") or {}
    overall = current.get("overall") if isinstance(current, dict) else None
    if overall:
        where = "currentRatings"
        rating = CqcReport(
            report_date=parse_cqc_date(
                overall.get("reportDate") or current.get("reportDate"), f"{where} reportDate"
            ),
            report_link_id=_text(overall.get("reportLinkId")),
            overall=_rating_word(overall.get("rating"), f"{where} overall"),
            key_questions=_key_questions(overall.get("keyQuestionRatings"), where),
            current=True,
        )
        by_report[rating.key] = rating  # the same report listed as historic too: current wins
    return tuple(sorted(by_report.values(), key=lambda r: (r.report_date, r.current)))
