"""The pieces every aggregate is made of, and how to add one to the Application.

An aggregate is one stream per record (``<stream_prefix>-<id>``), folded into a state by a pure
``evolve(state, event) -> state`` and changed by a pure ``decide(state, command[, ctx]) ->
list[DomainEvent]`` that returns new events or raises a ``DomainError``. To add one::

    NOTICE = Aggregate(
        kind="notice to remedy breach",           # words used in errors: "no notice ... with id"
        stream_prefix="notice",                   # stream "notice-<id>"
        initial=lambda ident: NoticeState(id=ident),
        evolve=evolve,
        decide=decide,                            # decide(state, command) or (state, command, ctx)
        routes={
            IssueNotice: Route(lambda c: c.notice_id, creates=True, provider_of=lambda c: c.provider_id),
            ExtendNotice: Route(lambda c: c.notice_id),
        },
        lifecycle=NOTICE_LIFECYCLE, state_of=lambda s: s.state,
    )
    app.register(NOTICE)

``Route.id_of`` gives the aggregate id a command acts on; for a creating command it may return
None, and the Application makes a new id (derived from the command id when one is given, so a
retry names the same record). ``provider_of`` makes the Application refuse an unknown provider
with ``InvalidInput`` naming ``provider_id``. The state should carry ``provider_id`` (the
Application copies it into every event's metadata) and ``version`` (set after each fold).

Commands are frozen pydantic models deriving from ``Command``: class-level ``permitted`` roles
and an ``occurred_at`` (None = the clock; never in the future).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, model_validator

from casework.domain.actors import Actor, Role
from casework.domain.errors import InvalidInput
from casework.domain.fields import (  # every text a command takes: at most MAX_TEXT long
    IDENTIFIER_PATTERN,
    IDENTIFIER_RULE,
    MAX_TEXT,
)
from casework.domain.lifecycle import Lifecycle
from casework.events.base import DomainEvent
from casework.events.personal_data import SealedPerson

S = TypeVar("S")

OFFICERS = frozenset({Role.officer, Role.manager})
MANAGERS = frozenset({Role.manager})
# Casework records what happens to care services now: times and dates outside these years are
# typing mistakes (and 0001 or 9999 with an offset cannot even be converted to UTC).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


def invalid_input(exc: ValidationError) -> InvalidInput:
    """A pydantic ``ValidationError`` as ``InvalidInput``, one (field, reason) per error."""
    errors = [(".".join(str(part) for part in err["loc"]) or "body", _reason(err)) for err in exc.errors()]
    return InvalidInput(*errors[0], *errors[1:])


def _reason(err: Any) -> str:
    """Pydantic's message, but an id that breaks the ``Identifier`` pattern is told in words."""
    pattern = err.get("ctx", {}).get("pattern")
    if err.get("type") == "string_pattern_mismatch" and pattern == IDENTIFIER_PATTERN:
        return IDENTIFIER_RULE
    return str(err["msg"])


class Command(BaseModel):
    """Base of casework commands. Build from untrusted input with ``Cls.parse(data)`` so that a
    bad field becomes ``InvalidInput`` (422) naming it."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, str_max_length=MAX_TEXT
    )

    permitted: ClassVar[frozenset[Role]] = OFFICERS
    # What the command does, in words, for Forbidden messages ("a user with role 'auditor' may
    # not log intelligence"); defaults to the class name.
    verb: ClassVar[str] = ""

    occurred_at: AwareDatetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        """PostgreSQL cannot hold NUL in text: refuse it anywhere, naming the field."""
        if (where := nul_at(data)) is not None:
            raise InvalidInput(where or "body", "must not contain the NUL character (\\u0000)")
        return data

    @model_validator(mode="after")
    def _refuse_far_dates(self) -> Self:
        if (where := far_date_at(self)) is not None:
            raise InvalidInput(where, f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
        return self

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise invalid_input(exc) from None

    @classmethod
    def describe(cls) -> str:
        return cls.verb or cls.__name__


def nul_at(value: Any, path: str = "") -> str | None:
    """The dotted path of the first text holding a NUL character in ``value``, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, BaseModel):
        value = dict(value)
    if isinstance(value, Mapping):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list | tuple | set | frozenset):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if "\x00" in str(key):
            return here
        if (inner := nul_at(item, here)) is not None:
            return inner
    return None


def far_date_at(value: Any, path: str = "") -> str | None:
    """The dotted path of the first date or time in ``value`` outside the accepted years."""
    if isinstance(value, datetime):
        try:
            year = value.astimezone(UTC).year if value.tzinfo else value.year
        except OverflowError:
            return path
        return None if EARLIEST_YEAR <= year <= LATEST_YEAR else path
    if isinstance(value, date):
        return None if EARLIEST_YEAR <= value.year <= LATEST_YEAR else path
    if isinstance(value, BaseModel):
        value = dict(value)
    if isinstance(value, Mapping):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if (where := far_date_at(item, f"{path}.{key}" if path else str(key))) is not None:
            return where
    return None


def require_text(field_name: str, value: str | None) -> str:
    """The stripped text, or InvalidInput when it is empty."""
    if value is None or not value.strip():
        raise InvalidInput(field_name, "must not be empty")
    return value.strip()


@dataclass(frozen=True)
class Context:
    """What ``decide`` may know beyond the state and the command. Tests build one with
    ``Context.fixed(now)``; the Application builds the real one per command."""

    actor: Actor
    now: datetime
    occurred_at: datetime
    # Read another aggregate's current state: lookup(stream_prefix, id) -> state or None.
    lookup: Callable[[str, str], Any] = field(default=lambda prefix, ident: None)
    # Encrypt restricted personal data with a new per-person key (PersonVault.seal).
    seal: Callable[[str], SealedPerson] | None = None
    frameworks: Any = None  # casework.domain.frameworks.FrameworkRegistry
    sanctions: Any = None  # casework.domain.sanction_policy.SanctionPolicy (None: the defaults)

    @classmethod
    def fixed(cls, now: datetime, actor: Actor | None = None, **kw: Any) -> Context:
        kw.setdefault("occurred_at", now)
        return cls(actor=actor or Actor("amy", Role.officer), now=now, **kw)

    def sealed(self, clear: str) -> SealedPerson:
        if self.seal is None:
            raise RuntimeError("this context cannot seal personal data (no vault)")
        return self.seal(clear)


@dataclass(frozen=True)
class Route:
    """How a command finds its aggregate (see the module docstring)."""

    id_of: Callable[[Any], str | None]
    creates: bool = False
    provider_of: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class Aggregate(Generic[S]):
    kind: str
    stream_prefix: str
    initial: Callable[[str], S]
    evolve: Callable[[S, DomainEvent], S]
    decide: Callable[..., list[DomainEvent]]
    routes: Mapping[type, Route | Callable[[Any], str | None]] = field(default_factory=dict)
    lifecycle: Lifecycle | None = None
    state_of: Callable[[S], str] | None = None
    # True when a record exists before its first event (escalation starts in 'monitoring').
    exists_without_events: bool = False
    # Where the lifecycle table alone does not say what is allowed (escalation's guards of time,
    # grounds and people): the actions ``decide`` would accept now, for the context's actor.
    allowed_now: Callable[[Any, Context], set[str]] | None = None

    def stream(self, ident: str) -> str:
        return f"{self.stream_prefix}-{ident}"

    def ident(self, stream: str) -> str:
        return stream.removeprefix(f"{self.stream_prefix}-")

    def route(self, command_type: type) -> Route:
        found = self.routes[command_type]
        return found if isinstance(found, Route) else Route(found)

    def fold(self, ident: str, events: Iterable[DomainEvent], state: S | None = None) -> S:
        state = self.initial(ident) if state is None else state
        for event in events:
            state = self.evolve(state, event)
        return state

    def run_decide(self, state: S, command: Any, ctx: Context) -> list[DomainEvent]:
        if _takes_context(self.decide):
            return list(self.decide(state, command, ctx))
        return list(self.decide(state, command))

    def allowed_actions(self, state: S) -> set[str]:
        if self.lifecycle is None or self.state_of is None:
            return set()
        return self.lifecycle.allowed_actions(self.state_of(state))


def with_version(state: S, version: int) -> S:
    """Set ``version`` on a dataclass state that has one (other states are returned as they are)."""
    if is_dataclass(state) and any(f.name == "version" for f in fields(state)):
        return replace(state, version=version)  # type: ignore[type-var]
    return state


@functools.lru_cache(maxsize=256)  # inspect.signature costs ~20 us, on every command
def _takes_context(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3 or any(p.kind is p.VAR_POSITIONAL for p in params)
