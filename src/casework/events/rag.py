"""Red / Amber / Green: the rating councils give visits, frameworks and risk criteria."""

from __future__ import annotations

from enum import StrEnum


class Rag(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"
