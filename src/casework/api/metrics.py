"""``GET /metrics``: Prometheus text for whoever keeps Casework running (docs/scaling.md,
"Operability").

Two kinds of figure:
- measured in this process as things happen: how long appends and commands take (histograms,
  fed by ``EventStore.timers`` and ``Application.timers``) and how many deadlines the scheduler
  fired (a counter, fed by ``DeadlineScheduler.reporters``);
- read from the database at each scrape (``ScrapeTime``): the read models' lag and halts,
  deadlines due and not yet fired, the outbox's backlog, and the warm-up's state. Each is an
  indexed query or two: nothing scans the log.

Each app has its own ``CollectorRegistry`` (never the library's process-wide one), so two apps
in one process (tests) share nothing. No figure carries personal data: labels are command class
names, read-model names and fixed words; no ids, names or free text.
"""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from casework import __version__
from casework.application.bus import Outcome
from casework.bootstrap import Casework
from casework.warmup import Warmup
from casework.workflows.deadline_calendar import due_now
from casework.workflows.scheduler import FiringReport

log = structlog.get_logger("casework.metrics")

# Seconds. A single-event append commits in 0.5-1 ms on a quiet machine, a batch of 1,000 in
# 40-90 ms; a whole command (checks, append, catch-up) in 6-15 ms (docs/scaling.md).
APPEND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
COMMAND_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FIRED = ("alert", "reminder")


class Metrics:
    """The registry of one app, and the callbacks that feed it from ``cw``'s store, command bus
    and scheduler."""

    def __init__(self, cw: Casework, warmup: Warmup | None = None) -> None:
        self.registry = CollectorRegistry()
        self.appends = Histogram(
            "casework_append_seconds",
            "How long appending to the event log took, from the first statement to the commit "
            "(one stream: a command; several: a command that links records, an import or a "
            "demonstration batch). Slow appends slow every write.",
            ["streams"], buckets=APPEND_BUCKETS, registry=self.registry,
        )
        self.commands = Histogram(
            "casework_command_seconds",
            "How long a command took, from its checks to the read models showing it, by command "
            "and outcome: ok; refused (not permitted, not allowed in the record's state, invalid "
            "or not found: the user is told why); conflict (someone else changed the record "
            "first); error (the database unreachable, or a bug: see the log).",
            ["command", "outcome"], buckets=COMMAND_BUCKETS, registry=self.registry,
        )
        self.fired = Counter(
            "casework_deadlines_fired",
            "Deadlines (alert) and reminders (reminder) this process's scheduler fired. Only the "
            "process running the scheduler counts (with serve --workers N, the supervisor, which "
            "serves no /metrics): watch casework_deadlines_due instead.",
            ["type"], registry=self.registry,
        )
        for kind in FIRED:
            self.fired.labels(kind)
        self.registry.register(ScrapeTime(cw, warmup))
        cw.store.timers.append(self.appended)
        cw.application.timers.append(self.executed)
        cw.scheduler.reporters.append(self.reported)

    def appended(self, streams: int, events: int, seconds: float) -> None:
        self.appends.labels("one" if streams == 1 else "several").observe(seconds)

    def executed(self, command: str, outcome: Outcome, seconds: float) -> None:
        self.commands.labels(command, outcome.value).observe(seconds)

    def reported(self, report: FiringReport) -> None:
        self.fired.labels("alert").inc(len(report.alerts))
        self.fired.labels("reminder").inc(len(report.reminders))

    def scrape(self) -> bytes:
        return generate_latest(self.registry)


class ScrapeTime:
    """The figures read from the database at each scrape (a prometheus_client custom collector).
    A reading that fails (the database unreachable, a read model's table not made yet) is left
    out of that scrape and logged by its error's type; ``casework_up`` says whether the database
    answered at all."""

    def __init__(self, cw: Casework, warmup: Warmup | None) -> None:
        self.cw = cw
        self.warmup = warmup

    def collect(self) -> Iterator[Metric]:
        yield self._warmup()
        info = GaugeMetricFamily(
            "casework_info", "Always 1: the version this process runs and its store's dialect.",
            labels=["version", "store"],
        )
        info.add_metric([__version__, self.cw.engine.dialect.name], 1)
        yield info
        up = True
        for reading in (self._read_models, self._deadlines, self._outbox):
            try:
                yield from list(reading())
            except Exception as exc:  # left out of this scrape; the next one tries again
                up = False
                log.warning("metrics_reading_failed", reading=reading.__name__.strip("_"),
                            error=type(exc).__name__)
        yield GaugeMetricFamily(
            "casework_up", "1 when every figure read from the database at this scrape could be "
            "read; 0 when one could not (the database unreachable: see the log).", value=int(up),
        )

    def _warmup(self) -> Metric:
        state = "ready"
        if self.warmup is not None and not self.warmup.done:
            state = "starting"
        elif self.warmup is not None and self.warmup.failed:
            state = "failed"
        family = GaugeMetricFamily(
            "casework_warmup",
            "1 for this process's start-up state: starting (the read models catching up with the "
            "log; /healthz answers 503), ready, or failed (they could not: see the log; restart "
            "once the cause is fixed).",
            labels=["state"],
        )
        for each in ("starting", "ready", "failed"):
            family.add_metric([each], int(each == state))
        return family

    def _read_models(self) -> Iterator[Metric]:
        lags = self.cw.projections.lags()
        head = GaugeMetricFamily(
            "casework_log_head_position",
            "The position of the newest event in the log (how many events were ever stored).",
            value=max((lag.head for lag in lags), default=0),
        )
        events = GaugeMetricFamily(
            "casework_read_model_lag_events",
            "Events appended to the log that a read model has not passed yet. 0 when it is up to "
            "date; growing while its pages show stale answers.",
            labels=["read_model"],
        )
        seconds = GaugeMetricFamily(
            "casework_read_model_lag_seconds",
            "How long ago the oldest event a read model has not passed was recorded. 0 when it "
            "is up to date; on a quiet system it stays 0, so anything above a few seconds means "
            "the read model is stuck or slow.",
            labels=["read_model"],
        )
        halted = GaugeMetricFamily(
            "casework_read_model_halted",
            "1 when a read model stopped at an event it could not fold: its pages show stale "
            "answers until someone fixes the cause and runs casework rebuild --projection NAME.",
            labels=["read_model"],
        )
        for lag in lags:
            events.add_metric([lag.name], lag.events)
            seconds.add_metric([lag.name], lag.seconds)
            halted.add_metric([lag.name], int(lag.halted))
        yield from (head, events, seconds, halted)

    def _deadlines(self) -> Iterator[Metric]:
        due = GaugeMetricFamily(
            "casework_deadlines_due",
            "Deadlines (alert) and reminders (reminder) that are due now and not yet fired. The "
            "scheduler fires them every CASEWORK_SCHEDULER_INTERVAL_SECONDS: above 0 for longer "
            "than that, it is not running or its deadline read model is behind.",
            labels=["type"],
        )
        counts = due_now(self.cw.engine, self.cw.clock.now())
        for kind in FIRED:
            due.add_metric([kind], counts[kind])
        yield due

    def _outbox(self) -> Iterator[Metric]:
        messages = GaugeMetricFamily(
            "casework_outbox_messages",
            "Email messages waiting in the outbox (pending: not sent yet, or waiting to retry) "
            "and given up on (failed: see casework outbox status). Always 0 with email off.",
            labels=["status"],
        )
        for status, count in self.cw.alerts.backlog().items():
            messages.add_metric([status], count)
        yield messages


def mount_metrics(app: FastAPI, cw: Casework, warmup: Warmup | None) -> Metrics:
    """``GET /metrics`` on ``app``, from a registry of its own fed by ``cw``."""
    metrics = Metrics(cw, warmup)

    @app.get(
        "/metrics", tags=["health"], summary="Figures for Prometheus (no personal data)",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                         "description": "Prometheus text format 0.0.4"}},
    )
    def scrape() -> Response:
        return Response(metrics.scrape(), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return metrics


__all__ = ["Metrics", "ScrapeTime", "mount_metrics"]
