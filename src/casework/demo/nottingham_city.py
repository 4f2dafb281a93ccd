"""Nottingham City Council's residential care quality monitoring, 2014/15 and 2015/16
(seeds/000, spec/domain.md).

83 residential and nursing care homes (41 older people, 13 mental health, 3 physical disability
and sensory impairment, 26 learning disability), each annual quality monitoring visit scored on
Nottingham's 43-indicator framework (every indicator Red / Amber / Green; the framework rolls the
scores up into the visit's RAG). Visit outcomes by client category reproduced:

            2014/15 red amber green    2015/16 red amber green
    OP              14   16    9               4   22   13
    PDSI             0    2    0               0    1    1
    MH               2    5    3               1    6    3
    LD               2   10    4               2    7    7
    total           18   33   16               7   36   24
"""

from __future__ import annotations

from datetime import date

from casework.demo.writer import Writer
from casework.domain.frameworks import FrameworkRegistry
from casework.events.providers import ClientCategory as C
from casework.events.providers import ServiceType as T
from casework.events.rag import Rag
from casework.events.visits import VisitReason

NAME = "nottingham-city"
SEED = 2015
FRAMEWORK = "nottingham-city-qmf"
HOMES = {C.OP: 41, C.MH: 13, C.PDSI: 3, C.LD: 26}
# financial year -> category -> (red, amber, green)
OUTCOMES = {
    (date(2014, 4, 1), date(2015, 3, 31)): {C.OP: (14, 16, 9), C.PDSI: (0, 2, 0), C.MH: (2, 5, 3),
                                            C.LD: (2, 10, 4)},
    (date(2015, 4, 1), date(2016, 3, 31)): {C.OP: (4, 22, 13), C.PDSI: (0, 1, 1), C.MH: (1, 6, 3),
                                            C.LD: (2, 7, 7)},
}
# How many of the 43 indicators are scored green / amber / red to give each RAG.
MIX = {Rag.green: (34, 7, 2), Rag.amber: (14, 17, 12), Rag.red: (5, 15, 23)}


def load(w: Writer) -> None:
    framework = FrameworkRegistry.load().get(FRAMEWORK)
    indicators = list(framework.indicators)
    homes: dict[C, list[str]] = {}
    for category, count in HOMES.items():
        for i in range(count):
            service_type = T.care_home_nursing if i % 4 == 0 else T.care_home_residential
            homes.setdefault(category, []).append(
                w.provider(service_type, [category], registered=date(2012, 4, 2), district="Nottingham",
                           beds=w.rng.randint(20, 70)))
    for (start, end), by_category in OUTCOMES.items():
        for category, (red, amber, green) in by_category.items():
            rags = [Rag.red] * red + [Rag.amber] * amber + [Rag.green] * green
            # The same homes both years: only homes scored in both years are compared.
            for pid, rag in zip(homes[category], rags, strict=False):
                scores = _scores(w, indicators, rag)
                assert framework.outcome(scores).rag is rag
                w.visit(pid, w.day_between(start, end), VisitReason.full_monitoring, scores=scores,
                        framework_id=FRAMEWORK, findings="Annual quality monitoring visit")


def _scores(w: Writer, indicators: list[str], rag: Rag) -> dict[str, str]:
    green, amber, red = MIX[rag]
    labels = ["green"] * green + ["amber"] * amber + ["red"] * red
    w.rng.shuffle(labels)
    return dict(zip(indicators, labels, strict=True))
