"""Demonstration scenarios: seeded, repeatable years of a team's work, written as events through
the same commands the API uses. One module per scenario; ``SCENARIOS`` names them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from casework.demo import leicester_2018, north_northants_2024, nottingham_city
from casework.demo.writer import Loaded, Writer


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    load: Callable[[Writer], None]
    summary: str


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(leicester_2018.NAME, leicester_2018.SEED, leicester_2018.load,
                 "Leicester City 2018/19: intelligence, visits, QAF outcomes by service type"),
        Scenario(north_northants_2024.NAME, north_northants_2024.SEED, north_northants_2024.load,
                 "North Northamptonshire May-July 2024: visits by reason, open action plans"),
        Scenario(nottingham_city.NAME, nottingham_city.SEED, nottingham_city.load,
                 "Nottingham City 2014/15 and 2015/16: RAG outcomes by client category"),
    )
}
DEFAULT_SCENARIO = leicester_2018.NAME


def load_scenario(cw: Any, name: str = DEFAULT_SCENARIO) -> Loaded:
    """Write scenario ``name`` into ``cw``'s store; a scenario already written is left alone."""
    try:
        scenario = SCENARIOS[name]
    except KeyError:
        known = ", ".join(sorted(SCENARIOS))
        raise ValueError(f"no demonstration scenario {name!r} (known: {known})") from None
    writer = Writer(cw.application, scenario.name, scenario.seed)
    if writer.first_command_done():
        writer.loaded.already_loaded = True
        return writer.loaded
    scenario.load(writer)
    writer.flush()
    return writer.loaded


__all__ = ["DEFAULT_SCENARIO", "SCENARIOS", "Loaded", "Scenario", "load_scenario"]
