"""Every router of the HTTP API, in the order /docs lists them."""

from casework.api.routes import (
    action_plans,
    alerts,
    calendar,
    deadlines,
    escalation,
    evidence,
    intelligence,
    notices,
    people,
    provider_failure,
    providers,
    safeguarding,
    stats,
    users,
    visits,
)

ROUTERS = [
    providers.router,
    intelligence.router,
    visits.router,
    action_plans.router,
    safeguarding.router,
    escalation.router,
    notices.router,
    provider_failure.router,
    deadlines.router,
    alerts.router,
    stats.router,
    users.router,
    people.router,
    evidence.router,
    calendar.router,
]

__all__ = ["ROUTERS"]
