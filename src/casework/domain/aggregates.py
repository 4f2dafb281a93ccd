"""The casework aggregates the Application is built with (the workflows add theirs with
``app.register``)."""

from __future__ import annotations

from casework.domain.action_plans import ACTION_PLAN
from casework.domain.aggregate import Aggregate
from casework.domain.intelligence import INTELLIGENCE
from casework.domain.providers import PROVIDER
from casework.domain.safeguarding import SAFEGUARDING
from casework.domain.visits import ASSESSMENT, VISIT


def casework_aggregates() -> list[Aggregate]:
    return [PROVIDER, INTELLIGENCE, SAFEGUARDING, VISIT, ASSESSMENT, ACTION_PLAN]
