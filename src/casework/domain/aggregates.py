"""The casework aggregates the Application is built with (the workflows add theirs with
``app.register``)."""

from __future__ import annotations

from casework.domain.aggregate import Aggregate
from casework.domain.intelligence import INTELLIGENCE
from casework.domain.providers import PROVIDER


def casework_aggregates() -> list[Aggregate]:
    return [PROVIDER, INTELLIGENCE]
