"""Typed settings, read once from the environment (prefix ``CASEWORK_``) and passed down."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything Casework reads from its environment.

    ``CASEWORK_DATABASE_URL`` chooses the store: the default is an SQLite file in the working
    directory; ``postgresql+psycopg://user@host:5432/dbname`` for PostgreSQL.
    """

    # A refused value is never echoed: an error names the variable and the rule only (a short
    # session secret, a database URL with its password, end up in start-up errors and logs).
    model_config = SettingsConfigDict(env_prefix="CASEWORK_", extra="ignore", hide_input_in_errors=True)

    database_url: str = "sqlite:///casework.db"
    # SQLite durability: FULL fsyncs the WAL on every commit (survives power loss).
    sqlite_synchronous: str = Field(default="FULL", pattern="^(OFF|NORMAL|FULL|EXTRA)$")
    log_level: str = "INFO"
    # Where per-person encryption keys live when not in the database (see docs/security.md).
    key_file: str | None = None
    council_name: str = "Casework demonstration council"
    # The council's own area(s): local authority names as CQC writes them ("Leicester",
    # "Devon"), comma-separated (CASEWORK_COUNCIL_AREAS=Leicester). A CQC location imported from
    # one of these areas is registered as a contracted provider; any other is market
    # intelligence, known but not counted in the council's figures. None set: every imported
    # location is market intelligence until an officer marks it contracted.
    council_areas: Annotated[list[str], NoDecode] = []
    # The council's Ed25519 signing key file (`casework keys signing create PATH`): signs evidence
    # bundles and checkpoints of the log (docs/evidence-bundle.md). Like the default database, the
    # default is a file in the working directory (`make demo` creates it); while it does not
    # exist, no bundle or checkpoint is made and the commands say how to make it.
    signing_key_file: str | None = "casework-signing-key.json"
    # `casework serve` records a signed checkpoint of the whole log this often; 0: never.
    checkpoint_interval_hours: float = Field(default=24, ge=0, le=24 * 366)
    scheduler_enabled: bool = True
    scheduler_interval_seconds: int = 30
    # JSON file overriding the default deadline policy (casework.domain.policy.DeadlinePolicy).
    deadline_policy_file: str | None = None
    # The serious breaches that may justify immediate termination or skipping a sanction stage
    # (a JSON list: CASEWORK_SERIOUS_BREACH_GROUNDS='["fraud", "insolvency"]'), and the days a
    # proposal of immediate termination waits for a second manager's approval before it lapses.
    # Unset: the defaults of casework.domain.sanction_policy (four grounds; 7 days).
    serious_breach_grounds: list[str] | None = Field(default=None, min_length=1, max_length=50)
    termination_approval_days: int | None = Field(default=None, ge=1, le=90)
    # The same as JSON in the environment, over the file: e.g. CASEWORK_DEADLINE_POLICY=
    # '{"final_notice_reminders": [30, 14, 7], "remedy_notice_reminders":
    # [{"days": 7, "working_days": true}]}'. Checked by DeadlinePolicy (one truth).
    deadline_policy: dict[str, Any] | None = None
    # Owners of deadlines no officer on their case owns: the team by deadline kind
    # (CASEWORK_DEADLINE_TEAMS='{"suspension_review": "contracts-team"}', over the policy's
    # owner_teams) and the team for every other kind (CASEWORK_DEFAULT_DEADLINE_TEAM).
    deadline_teams: dict[str, str] | None = None
    default_deadline_team: str | None = Field(default=None, min_length=1, max_length=100)
    projection_poll_seconds: float = 0.5
    # True: a server's commands answer after their append and the read models fold in the
    # background, one pass for every write made meanwhile; a read waits only for what its reader
    # wrote (the Casework-Position it echoes, or the browser's cookie: projections/consistency.py),
    # so other people's writes may show a moment later. False (the default): every command
    # folds the read models before it answers, and every read sees every earlier write.
    read_models_deferred: bool = False
    # Processes a rebuild of the read models may use on PostgreSQL (1: this process alone; 0:
    # one per core). Worth it where PostgreSQL has cores of its own: on 2 cores shared with the
    # server it measured no faster (benchmarks/README.md). Logs under 100,000 events always
    # rebuild in one process.
    rebuild_workers: int = Field(default=1, ge=0, le=64)
    # Web sessions: cookies are marked Secure unless explicitly served over plain HTTP locally.
    secure_cookies: bool = False
    # Key that signs web session cookies (32+ characters). Unset: a random key per process, so
    # sessions end when the server restarts and each server process signs its own.
    session_secret: str | None = Field(default=None, min_length=32, repr=False)
    # A signed-in web session ends after this long without a page (CASEWORK_SESSION_IDLE_MINUTES)
    # and this long after signing in, however busy (CASEWORK_SESSION_MAX_HOURS): a working day.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=10, ge=1, le=7 * 24)
    # /docs and /redoc (vendored Swagger UI and ReDoc, no CDN). Set false to serve neither, e.g.
    # in production where nobody explores the API from a browser; /openapi.json stays.
    api_docs: bool = True
    max_body_bytes: int = 1_000_000
    # GET /metrics: Prometheus text, no token (like /healthz: it holds no personal data). Set
    # false to serve none (404), e.g. where the port is reachable from outside the council.
    metrics: bool = True
    # /healthz lists a read model as ``lagging`` when it is more than this many events behind the
    # log, or the oldest event it has not passed was recorded more than this long ago. Lagging
    # is reported, never 503: every server process reads the same read models (docs/scaling.md).
    health_lag_events: int = Field(default=10_000, ge=1)
    health_lag_seconds: float = Field(default=60, gt=0)

    @field_validator("serious_breach_grounds")
    @classmethod
    def _grounds_named(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        grounds = [" ".join(g.split()) for g in value]
        if any(not g or len(g) > 200 for g in grounds):
            raise ValueError("each ground is a short name of 1 to 200 characters")
        if len({g.casefold() for g in grounds}) != len(grounds):
            raise ValueError("each ground is named once")
        return grounds


    @field_validator("council_areas", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    # ------------------------------------------------------------------ alerts by email
    # smtp://user:password@host:587?starttls=true (STARTTLS), smtps://user:password@host:465
    # (TLS from the start) or smtp://127.0.0.1:1025 (a local test server). Unset: email is off,
    # alerts stay in the app. Never logged (it may hold a password).
    smtp_url: SecretStr | None = Field(default=None, repr=False)
    mail_from: str = "casework@localhost"
    # Links in emails and calendar feeds point here (the address people open Casework at).
    base_url: str = "http://127.0.0.1:8000"
    # The daily digest: sent at this local time (HH:MM) in ``digest_timezone``.
    digest_time: time = time(7, 30)
    digest_timezone: str = "Europe/London"
    # Team owners' addresses, JSON: {"contracts-team": "contracts@council.example"}; and one
    # address that receives every alert, as well as its owner (e.g. a shared mailbox).
    team_emails: dict[str, str] = Field(default_factory=dict)
    team_email: str | None = None
    # Who is in which team, JSON: {"contracts-team": ["amy", "bob"]}. A member's calendar feed
    # and digest include the team's deadlines, and the team's address hears of its members'.
    teams: dict[str, list[str]] = Field(default_factory=dict)
    # Retries of a message the mail server refused: the wait doubles from ``outbox_retry_seconds``
    # up to a day; after ``outbox_max_attempts`` the message is marked failed.
    outbox_retry_seconds: int = Field(default=60, ge=1, le=86_400)
    outbox_max_attempts: int = Field(default=10, ge=1, le=100)

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        smtp_server(value.get_secret_value())  # raises ValueError naming the rule
        return value

    @field_validator("mail_from", "team_email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not is_email_address(value):
            raise ValueError("must be an email address such as casework@council.example")
        return value

    @field_validator("team_emails")
    @classmethod
    def _team_addresses(cls, value: dict[str, str]) -> dict[str, str]:
        for team, address in value.items():
            if not is_email_address(address):
                raise ValueError(f"the address of team {team!r} is not an email address")
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be a time zone name such as Europe/London") from None
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
            raise ValueError("must be the http(s) address Casework is opened at")
        return value.rstrip("/")

    @property
    def email_on(self) -> bool:
        return self.smtp_url is not None


def deadline_policy_overrides(settings: Settings) -> dict[str, Any]:
    """What the settings change in the deadline policy file's (or the default) policy."""
    overrides = dict(settings.deadline_policy or {})
    if settings.deadline_teams is not None:
        overrides["owner_teams"] = {**overrides.get("owner_teams", {}), **settings.deadline_teams}
    if settings.default_deadline_team is not None:
        overrides["default_team"] = settings.default_deadline_team
    return overrides


EMAIL_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*$"
)


def is_email_address(value: str) -> bool:
    """A plain address (local@domain), at most 254 characters: no display name, no spaces."""
    return len(value) <= 254 and EMAIL_ADDRESS.match(value) is not None


class SmtpServer:
    """Where to send mail, from ``CASEWORK_SMTP_URL``."""

    def __init__(self, host: str, port: int, tls: bool, starttls: bool,
                 username: str | None, password: str | None) -> None:
        self.host, self.port, self.tls, self.starttls = host, port, tls, starttls
        self.username, self.password = username, password

    def __repr__(self) -> str:  # never the password
        return f"SmtpServer({self.host}:{self.port}, tls={self.tls}, starttls={self.starttls})"


def smtp_server(url: str) -> SmtpServer:
    """Parse ``smtp://[user:pass@]host[:port][?starttls=true]`` or ``smtps://...``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("must start smtp:// (STARTTLS with ?starttls=true) or smtps:// (TLS)")
    if not parts.hostname:
        raise ValueError("names no host (smtp://host:587)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not a number from 1 to 65535") from None
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "false") in ("1", "true", "yes")
    tls = parts.scheme == "smtps"

    return SmtpServer(
        host=parts.hostname, port=port or (465 if tls else 587 if starttls else 25), tls=tls,
        starttls=starttls and not tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
