"""Every router of the HTTP API, in the order /docs lists them."""

from casework.api.routes import (
    alerts,
    deadlines,
    escalation,
    intelligence,
    notices,
    provider_failure,
    providers,
    users,
)

ROUTERS = [
    providers.router,
    intelligence.router,
    escalation.router,
    notices.router,
    provider_failure.router,
    deadlines.router,
    alerts.router,
    users.router,
]

__all__ = ["ROUTERS"]
