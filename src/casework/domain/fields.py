"""What a command's fields may hold: every limit, defined once.

Each text field of a command (and of an API request body) is one of these types, so the limit is
checked for every caller (API, web, CLI, importer) and shown in the OpenAPI schema. Read models
keep what commands accept: a read-model column holding one of these values is unbounded text or
a ``String`` sized from the constant here, and a column holding an enum is sized from the enum
(``enum_width``). So nothing the domain accepts can halt a read model
(tests/properties/test_anything_accepted_folds.py).

- ``Identifier``: an id a client may choose (a record, plan, item, visit, notice, procedure,
  concern or provider id). Letters, digits and ``. _ : -``, starting with a letter or digit, so
  it is safe in a stream name and a URL path. At most 64 characters: the longest streams made
  from ids, a fired action-item deadline ``deadline-action-plan-<plan>:<version>:
  action_item_reminder:<item>:<days>`` (9+12+64+1+10+1+20+1+64+1+4 = 187 characters) and a sent
  reminder ``reminder-action-plan-<plan>:<version>:action_item_overdue:<item>-<offset>`` (at
  most 190), are within the event store's 200 (``STREAM_NAME``; tests/domain/test_fields.py).
- ``Name``: a person's, service's or place's name (owners, officers, leads, districts).
- ``Label``: a short reference (postcode, contract reference, CQC ids, a framework id).
- ``Text``: free text (a summary, findings, a note, a reason).
- ``Link``: a reference to another record given in a command (its id an ``Identifier``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from casework.events.links import RecordRef

MAX_TEXT = 20_000
MAX_NAME = 200
MAX_LABEL = 200
MAX_IDENTIFIER = 64
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"

Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_IDENTIFIER, pattern=IDENTIFIER_PATTERN)
]
Name = Annotated[str, StringConstraints(max_length=MAX_NAME)]
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]


_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
# What an ``Identifier`` must be, in words (for errors a person reads instead of the pattern).
IDENTIFIER_RULE = (
    f"must be at most {MAX_IDENTIFIER} letters, digits, '.', '_', ':' or '-', "
    "starting with a letter or digit"
)


def is_identifier(value: str) -> bool:
    """True when ``value`` could be the id of a record (an ``Identifier``)."""
    return len(value) <= MAX_IDENTIFIER and _IDENTIFIER.match(value) is not None


def _linkable(ref: RecordRef) -> RecordRef:
    if not is_identifier(ref.id):
        raise ValueError(f"id {IDENTIFIER_RULE}")
    return ref


# A link to another record given in a command: its id is an ``Identifier`` (events keep the
# plain ``RecordRef``, so events stored before this limit still decode).
Link = Annotated[RecordRef, AfterValidator(_linkable)]


def enum_width(*enums: Iterable[str]) -> int:
    """The longest value of the given (string) enums: the width of a column that holds one."""
    return max(len(str(value)) for enum in enums for value in enum)


__all__ = [
    "IDENTIFIER_PATTERN", "IDENTIFIER_RULE", "MAX_IDENTIFIER", "MAX_LABEL", "MAX_NAME", "MAX_TEXT",
    "Identifier", "Label", "Link", "Name", "Text", "enum_width", "is_identifier",
]
