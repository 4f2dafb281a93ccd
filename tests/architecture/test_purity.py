"""The domain and the event types are pure: importing them loads no database, web or scheduler
code, so they can be tested, reasoned about and reused without any of it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import casework.domain
import casework.events

HEAVY = ("sqlalchemy", "psycopg", "fastapi", "starlette", "apscheduler", "uvicorn", "alembic")
# The store is the one part of casework.events that talks to a database (kept apart from the types).
IMPURE_BY_DESIGN = ("casework.events.store", "casework.events.schema")


def _pure_modules() -> list[str]:
    found = []
    for package in (casework.events, casework.domain):
        found.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if not info.name.startswith(IMPURE_BY_DESIGN):
                found.append(info.name)
    return sorted(found)


@pytest.mark.parametrize("module", _pure_modules())
def test_importing_a_domain_or_event_module_loads_no_database_web_or_scheduler_code(module: str) -> None:
    probe = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "", f"importing {module} loads {loaded.stdout.strip()}"


def test_the_store_is_not_reexported_from_the_event_types_package() -> None:
    assert not hasattr(casework.events, "EventStore")
    assert not hasattr(casework.events, "StoredEvent")
