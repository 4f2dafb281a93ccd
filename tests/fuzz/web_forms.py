"""The web pages' form posts for the fuzzers: each route, the ``WebForm`` it reads, and a
hypothesis strategy per form built from the form's own fields (the web routes are not in the
OpenAPI document, so schemathesis cannot generate them).

A field's values come from the command's type for it (an enum's members, ``true``/``false``, a
``datetime-local`` or a date, text), mixed with what no browser would send: text of any
Unicode, 20,001 characters, NUL, far dates, a number of 30 digits, a repeated field. A post also
carries fields its form does not have (ids of 150 characters, ``occurred_at``), which must be
ignored.
"""

from __future__ import annotations

import enum
import typing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st
from pydantic import AwareDatetime

from casework.web.forms import WebForm
from casework.web.pages import intelligence, providers


@dataclass(frozen=True)
class FormRoute:
    path: str  # a template whose ids are named as make_records names them
    form: WebForm
    action: str = ""  # the value of the form's ``action`` field (escalation)

    def url(self, ids: dict[str, str]) -> str:
        return self.path.format(**{k: quote(v, safe="") for k, v in ids.items()})


INTELLIGENCE = "/intelligence/{record_id}/"
PROVIDER = "/providers/{provider_id}"
FORM_ROUTES: list[FormRoute] = [
    FormRoute("/intelligence", intelligence.LOG_FORM),
    *(FormRoute(INTELLIGENCE + a, f) for a, f in intelligence.FORMS.items()),
    *(FormRoute(PROVIDER + "/escalation", f, a) for a, f in providers.ESCALATION_FORMS.items()),
    FormRoute(PROVIDER + "/notices", providers.NOTICE_FORM),
    FormRoute(PROVIDER + "/lead-officer", providers.LEAD_FORM),
    FormRoute(PROVIDER + "/visits", providers.VISIT_FORM),
    *(FormRoute(PROVIDER + "/visits/{visit_id}/" + a, f) for a, f in providers.VISIT_FORMS.items()),
    *(FormRoute(PROVIDER + "/action-plans/{plan_id}/items/{item_id}/" + a, f)
      for a, f in providers.ITEM_FORMS.items()),
    FormRoute(PROVIDER + "/safeguarding", providers.CONCERN_FORM),
    *(FormRoute(PROVIDER + "/safeguarding/{concern_id}/" + a, f) for a, f in providers.CONCERN_FORMS.items()),
]

# What no browser sends, for any field.
HOSTILE = st.one_of(
    st.text(max_size=40),  # any Unicode but lone surrogates, NUL included
    st.sampled_from([
        "", " ", "x" * 20_001, "名前", "\u202eRTL\u200b", "'; DROP TABLE events;--", "<script>x</script>",
        "9" * 30, "-1", "1e309", "0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01", "9999-12-31",
        "2026-02-30", "a\x00b",
    ]),
)
# Fields a form does not have: each must be ignored.
EXTRA_FIELDS = st.dictionaries(
    st.sampled_from(["record_id", "concern_id", "visit_id", "notice_id", "plan_id", "provider_id",
                     "occurred_at", "framework_id", "triggered_by.id", "whistleblower", "scores"]),
    st.sampled_from(["x" * 150, "bad/id", "名前", "2026-01-01T00:00:00Z", "1"]),
    max_size=3,
)


def _plausible(form: WebForm, name: str, action: str, ids: dict[str, str]) -> st.SearchStrategy[str]:
    """Values a browser might send for ``name``, from the command's type for that field."""
    if name == "action":
        return st.just(action)
    if name == "expected_version":
        return st.sampled_from(["", "0", "1", "2"])
    if name in ("announced", "out_of_hours"):
        return st.sampled_from(["true", ""])
    if name == "provider_id":
        return st.just(ids["provider_id"])
    if name == "actions":
        return st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=3).map("\n".join)
    head = name.split(".")[0]
    field = form.command.model_fields.get(head)
    annotation = field.annotation if field else str
    kinds = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    kind = kinds[0]
    if head == "scores":
        return st.sampled_from(["", "1", "2", "3", "4", "good", "outstanding"])
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return st.sampled_from([m.value for m in kind])
    if kind is bool:
        return st.sampled_from(["true", "false"])
    if kind in (datetime, AwareDatetime) or typing.get_origin(kind) is typing.Annotated:
        return st.sampled_from(["2026-03-01T10:00", "2026-03-09T10:00", "2026-03-02T08:59"])
    if kind is date:
        return st.sampled_from(["2026-04-01", "2026-06-30"])
    return st.text(min_size=1, max_size=30)


@st.composite
def posts(draw: st.DrawFn, route: FormRoute, ids: dict[str, str]) -> dict[str, Any]:
    """A post of ``route``'s form: each field plausible, hostile or left out; plus extras."""
    data: dict[str, Any] = {}
    names = [n.replace(".*", ".safe") for n in route.form.fields]
    for name in names:
        choice = draw(st.sampled_from(["plausible", "plausible", "hostile", "missing"]))
        if choice == "plausible":
            data[name] = draw(_plausible(route.form, name, route.action, ids))
        elif choice == "hostile":
            data[name] = draw(HOSTILE)
    if names and draw(st.booleans()):  # a repeated field: a list where one text is expected
        name = draw(st.sampled_from(names))
        data[name] = [str(data.get(name, "")), draw(HOSTILE)]
    return {**draw(EXTRA_FIELDS), **data}
