"""Quality assurance frameworks: versioned configuration, not code.

A framework (``config/framework-*.json``, or any directory given to ``FrameworkRegistry.load``)
names its domains and their indicators, the scale indicators are scored on, how a percentage of
the possible points becomes a RAG, and when an outcome is compliant::

    {"id": "leicester-qaf", "version": 1, "name": "...",
     "scale": {"kind": "labels", "points": {"not_met": 0, "partially_met": 1, "met": 2}},
            # or {"kind": "numeric", "min": 1, "max": 4}
     "rag": {"green": 80, "amber": 50},      # percent of possible points, at or above
     "compliance": {"min_percent": 50, "max_red_domains": 0},
     "domains": [{"id": "personalised_care", "name": "Personalised Care",
                  "indicators": [{"id": "personalised_care", "name": "..."}]}]}

Leicester's six-area framework is the default; Nottingham City's 43 indicators scored
red/amber/green fit the same shape. Scores may cover part of a framework (an assessment takes
several visits); the outcome is computed over the indicators scored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from casework.domain.errors import InvalidInput
from casework.events.rag import Rag
from casework.files import MIB, read_text_within

DEFAULT_FRAMEWORK_ID = "leicester-qaf"
FRAMEWORK_FILE_LIMIT = 1 * MIB  # the bundled ones are under 5 KiB
Score = int | str


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Indicator(_Model):
    id: str
    name: str


class FrameworkDomain(_Model):
    id: str
    name: str
    indicators: list[Indicator] = Field(min_length=1)


class Scale(_Model):
    kind: Literal["numeric", "labels"]
    min: int = 0
    max: int = 0
    points: dict[str, int] = {}

    @model_validator(mode="after")
    def _complete(self) -> Scale:
        if self.kind == "labels" and not self.points:
            raise ValueError("a labels scale needs points")
        if self.kind == "numeric" and self.max <= self.min:
            raise ValueError("a numeric scale needs min < max")
        return self

    @property
    def floor(self) -> int:
        return min(self.points.values()) if self.kind == "labels" else self.min

    @property
    def ceiling(self) -> int:
        return max(self.points.values()) if self.kind == "labels" else self.max

    def points_of(self, score: Score) -> int | None:
        """The points a score is worth, or None when it is not on this scale."""
        if self.kind == "labels":
            return self.points.get(str(score).strip().lower()) if isinstance(score, str) else None
        if isinstance(score, bool):
            return None
        try:
            value = int(score)
        except (TypeError, ValueError):
            return None
        if str(value) != str(score).strip() and value != score:
            return None
        return value if self.min <= value <= self.max else None

    def describe(self) -> str:
        if self.kind == "labels":
            return "one of " + ", ".join(self.points)
        return f"a whole number from {self.min} to {self.max}"


class RagThresholds(_Model):
    green: float
    amber: float

    def rag(self, percent: float) -> Rag:
        if percent >= self.green:
            return Rag.green
        return Rag.amber if percent >= self.amber else Rag.red


class Compliance(_Model):
    min_percent: float = 0
    max_red_domains: int = 0


@dataclass(frozen=True)
class Outcome:
    percent: float
    rag: Rag
    compliant: bool
    domain_percent: dict[str, float]
    domain_rag: dict[str, Rag]


class Framework(_Model):
    id: str
    version: int = Field(ge=1)
    name: str
    scale: Scale
    rag: RagThresholds
    compliance: Compliance = Compliance()
    domains: list[FrameworkDomain] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_indicators(self) -> Framework:
        ids = [i.id for d in self.domains for i in d.indicators]
        if len(ids) != len(set(ids)):
            raise ValueError("indicator ids must be unique within a framework")
        return self

    @property
    def indicators(self) -> dict[str, str]:
        """indicator id -> domain id"""
        return {i.id: d.id for d in self.domains for i in d.indicators}

    def validate_scores(self, scores: Mapping[str, Score], field: str = "scores") -> dict[str, Score]:
        """Scores normalised (labels lower-case, numbers as int); ``InvalidInput`` naming
        ``scores.<indicator>`` for an unknown indicator or a score off the scale."""
        known = self.indicators
        errors: list[tuple[str, str]] = []
        clean: dict[str, Score] = {}
        for indicator, score in scores.items():
            where = f"{field}.{indicator}"
            if indicator not in known:
                errors.append((where, f"not an indicator of {self.id} v{self.version}"))
            elif self.scale.points_of(score) is None:
                errors.append((where, f"{score!r} is not {self.scale.describe()}"))
            elif self.scale.kind == "labels":
                clean[indicator] = str(score).strip().lower()
            else:
                clean[indicator] = int(score)
        if errors:
            raise InvalidInput(*errors[0], *errors[1:])
        return clean

    def outcome(self, scores: Mapping[str, Score]) -> Outcome:
        """Roll valid scores up per domain and overall into percentages, RAGs and compliance."""
        if not scores:
            raise InvalidInput("scores", "score at least one indicator")
        known = self.indicators
        span = self.scale.ceiling - self.scale.floor
        got: dict[str, list[float]] = {}
        for indicator, score in scores.items():
            points = self.scale.points_of(score)
            if indicator not in known or points is None:
                raise InvalidInput(f"scores.{indicator}", "not valid in this framework")
            got.setdefault(known[indicator], []).append((points - self.scale.floor) / span)
        domain_percent = {d: round(100 * sum(v) / len(v), 1) for d, v in got.items()}
        domain_rag = {d: self.rag.rag(p) for d, p in domain_percent.items()}
        every = [x for v in got.values() for x in v]
        percent = round(100 * sum(every) / len(every), 1)
        reds = sum(1 for r in domain_rag.values() if r is Rag.red)
        compliant = percent >= self.compliance.min_percent and reds <= self.compliance.max_red_domains
        return Outcome(percent, self.rag.rag(percent), compliant, domain_percent, domain_rag)


class FrameworkRegistry:
    """Every framework version known, by id; ``get(id)`` is the latest version."""

    def __init__(self, frameworks: Iterable[Framework] = (), default_id: str = DEFAULT_FRAMEWORK_ID):
        self._by_key: dict[tuple[str, int], Framework] = {}
        self.default_id = default_id
        for framework in frameworks:
            self.add(framework)

    @classmethod
    def load(cls, *directories: Path, default_id: str = DEFAULT_FRAMEWORK_ID) -> FrameworkRegistry:
        """The bundled frameworks plus any ``framework-*.json`` in ``directories``."""
        registry = cls(default_id=default_id)
        bundled = resources.files("casework") / "config"
        for entry in sorted(bundled.iterdir(), key=lambda e: e.name):
            if entry.name.startswith("framework-") and entry.name.endswith(".json"):
                registry.add(Framework.model_validate(json.loads(entry.read_text())))
        for directory in directories:
            for path in sorted(Path(directory).glob("framework-*.json")):
                text = read_text_within(path, limit=FRAMEWORK_FILE_LIMIT, what="the framework file")
                registry.add(Framework.model_validate_json(text))
        return registry

    def add(self, framework: Framework) -> None:
        key = (framework.id, framework.version)
        if key in self._by_key and self._by_key[key] != framework:
            raise ValueError(f"framework {framework.id} v{framework.version} defined twice")
        self._by_key[key] = framework

    def get(self, framework_id: str | None = None, version: int | None = None) -> Framework:
        """A framework (default: the default id, latest version); InvalidInput when unknown."""
        framework_id = framework_id or self.default_id
        versions = sorted(v for (i, v) in self._by_key if i == framework_id)
        if not versions:
            raise InvalidInput("framework_id", f"unknown framework {framework_id!r}")
        version = version or versions[-1]
        if (framework_id, version) not in self._by_key:
            raise InvalidInput("framework_version", f"{framework_id} has no version {version}")
        return self._by_key[(framework_id, version)]

    def ids(self) -> list[tuple[str, int]]:
        return sorted(self._by_key)
