"""The fuzzing tests use the root fixtures (``casework`` on both backends, ``tokens`` and
``as_role``); ``records.make_records`` adds one real record of each kind for them to aim at."""

from __future__ import annotations

from casework.domain.actors import Actor, Role

ADMIN = Actor("fuzz-admin", Role.admin)

