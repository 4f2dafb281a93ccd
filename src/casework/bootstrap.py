"""The one composition root: ``serve``, the CLI and the tests all build Casework here.

``bootstrap(settings, clock)`` builds a complete container in one pass, in the order below;
nothing is registered by import side effect and nothing is process-global, so two containers
in one process (a test's two stores) share nothing. Tests call it with a temporary store and
``clock=FixedClock(...)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import Engine

from casework.alerts.service import JOB_ID as OUTBOX_JOB
from casework.alerts.service import Alerts
from casework.application.bus import Application
from casework.clock import Clock, SystemClock
from casework.domain.action_plans import ACTION_PLAN
from casework.domain.aggregate import Aggregate
from casework.domain.escalation import ESCALATION
from casework.domain.frameworks import FrameworkRegistry
from casework.domain.intelligence import INTELLIGENCE
from casework.domain.notices import NOTICE
from casework.domain.personal_data import PersonVault
from casework.domain.policy import DeadlinePolicy, Period, Timing, load_policy
from casework.domain.provider_failure import PROVIDER_FAILURE
from casework.domain.providers import PROVIDER
from casework.domain.safeguarding import SAFEGUARDING
from casework.domain.sanction_policy import DEFAULT_SANCTION_POLICY, SanctionPolicy
from casework.domain.visits import ASSESSMENT, VISIT
from casework.events.store import EventStore
from casework.events.store.database import ensure_schema, make_engine
from casework.personal_data_store import SqlKeyStore, read_key_file
from casework.projections.parallel import Spawn
from casework.projections.provider_view import ProviderViewProjection
from casework.projections.registry import Registry
from casework.projections.runner import ProjectionRunner
from casework.projections.statistics import StatisticsProjection
from casework.projections.triage import TriageProjection
from casework.settings import Settings, deadline_policy_overrides, load_settings
from casework.users import UserDirectory
from casework.workflows.deadline_calendar import DeadlineProjection, catch_up_with
from casework.workflows.scheduler import DeadlineScheduler

# Every aggregate the command bus runs, listed once.
AGGREGATES: tuple[Aggregate, ...] = (
    PROVIDER, INTELLIGENCE, SAFEGUARDING, VISIT, ASSESSMENT, ACTION_PLAN,
    ESCALATION, NOTICE, PROVIDER_FAILURE,
)


@dataclass
class Casework:
    """Everything a process needs, wired once by ``bootstrap``."""

    settings: Settings
    clock: Clock
    engine: Engine
    store: EventStore
    policy: DeadlinePolicy
    sanctions: SanctionPolicy  # grounds for immediate termination, approval window
    vault: PersonVault  # restricted personal data, sealed per person
    frameworks: FrameworkRegistry  # quality assurance frameworks
    application: Application  # the command bus
    users: UserDirectory  # users and their API tokens
    projections: ProjectionRunner  # the read models; ``serve`` also starts its follower
    scheduler: DeadlineScheduler  # built stopped; ``serve`` starts it
    alerts: Alerts  # the outbox (email), digests and calendar feeds

    def close(self) -> None:
        self.projections.stop()
        self.scheduler.shutdown()
        self.engine.dispose()


def read_models(policy: DeadlinePolicy) -> Registry:
    """Every read model the runner keeps, in the order they are caught up."""
    registry = Registry()
    for projection in (
        DeadlineProjection(policy), ProviderViewProjection(), TriageProjection(policy),
        StatisticsProjection(),
    ):
        registry.register(projection)
    return registry


def sanction_policy(settings: Settings, policy: DeadlinePolicy) -> SanctionPolicy:
    """The council's grounds for immediate termination and its approval window (settings), with
    the final notice's period from the deadline policy."""
    return SanctionPolicy(
        grounds=tuple(settings.serious_breach_grounds or DEFAULT_SANCTION_POLICY.grounds),
        approval_within=Period(days=settings.termination_approval_days)
        if settings.termination_approval_days else DEFAULT_SANCTION_POLICY.approval_within,
        timing=Timing(policy),
    )


def bootstrap(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    migrate: bool = True,
    catch_up: bool = True,
) -> Casework:
    """Build Casework. ``migrate``: create or upgrade the schema first. ``catch_up``: bring the
    read models up to the head of the log before returning (False when a rebuild is about to
    replace them)."""
    settings = settings or load_settings()
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    if migrate:
        ensure_schema(engine)
    store = EventStore(engine, clock)
    policy = load_policy(settings.deadline_policy_file, deadline_policy_overrides(settings))

    master_key = read_key_file(settings.key_file) if settings.key_file else None
    vault = PersonVault(SqlKeyStore(engine, master_key))
    frameworks = FrameworkRegistry.load()
    sanctions = sanction_policy(settings, policy)
    application = Application(
        store, clock, vault=vault, frameworks=frameworks, sanctions=sanctions, aggregates=AGGREGATES
    )

    runner = ProjectionRunner(
        engine, clock, read_models(policy), poll_seconds=settings.projection_poll_seconds
    )
    # A rebuild may share the work among worker processes that bootstrap from the same settings.
    runner.spawn = Spawn(settings, clock, build=f"{__name__}:bootstrap")
    runner.rebuild_workers = settings.rebuild_workers or os.cpu_count() or 1
    store.listeners.append(runner.on_appended)  # this process reads its own writes

    # Fires from the deadline read model, caught up by this runner (it folds no log of its own).
    scheduler = DeadlineScheduler(
        store, clock, catch_up_with(runner), interval_seconds=settings.scheduler_interval_seconds
    )
    # Email (when CASEWORK_SMTP_URL is set): an alert's messages are written in the transaction
    # of its event, and sent by the outbox worker on the scheduler's background thread.
    alerts = Alerts(engine, clock, settings)
    if alerts.recorder is not None:
        store.in_transaction.append(alerts.recorder)
    if alerts.worker is not None:
        scheduler.jobs.append((OUTBOX_JOB, alerts.tick))
    cw = Casework(
        settings=settings, clock=clock, engine=engine, store=store, policy=policy,
        sanctions=sanctions, vault=vault,
        frameworks=frameworks, application=application, users=UserDirectory(engine, store, clock),
        projections=runner, scheduler=scheduler, alerts=alerts,
    )
    if catch_up:
        runner.catch_up()
    return cw
