"""Wiring the casework Application into the container (called once from ``bootstrap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casework.domain.aggregates import casework_aggregates
from casework.domain.application import Application
from casework.domain.frameworks import FrameworkRegistry
from casework.domain.personal_data import PersonVault
from casework.personal_data_store import SqlKeyStore, read_key_file

if TYPE_CHECKING:
    from casework.bootstrap import Casework


def wire_application(cw: Casework) -> None:
    """``cw.vault`` (restricted personal data), ``cw.frameworks`` (quality assurance frameworks)
    and ``cw.application`` (the command bus, with the
    casework aggregates registered; other areas add theirs with ``cw.application.register``)."""
    master = read_key_file(cw.settings.key_file) if cw.settings.key_file else None
    cw.vault = PersonVault(SqlKeyStore(cw.engine, master))
    cw.frameworks = FrameworkRegistry.load()
    cw.application = Application(
        cw.store,
        cw.clock,
        vault=cw.vault,
        frameworks=cw.frameworks,
        aggregates=casework_aggregates(),
    )
