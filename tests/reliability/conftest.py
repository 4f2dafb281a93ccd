"""The reliability tests start real ``casework`` processes; their logs stay out of the way."""

from __future__ import annotations

import pytest
import structlog


@pytest.fixture(autouse=True)
def _logging_not_left_on_a_closed_stream():
    """``casework`` commands run in CliRunner point the logs at its stream, closed afterwards."""
    yield
    structlog.reset_defaults()

