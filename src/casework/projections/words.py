"""The system's identifiers in the team's words: one place for every page, sentence and report
line (``requirement_to_improve`` -> ``Requirement to improve``, ``cqc`` -> ``CQC``)."""

from __future__ import annotations

import re

# Words that read better than the identifier they come from.
LABELS = {
    "cqc": "CQC",
    "nhs": "NHS / health professional",
    "health_professional": "Health professional / NHS",
    "rag": "RAG",
    "qaf": "QAF",
    "op": "Older people",
    "mh": "Mental health",
    "ld": "Learning disability",
    "pdsi": "Physical disability and sensory impairment",
    "final_notice_90_day": "90 day final notice",
    "cqc_referral": "Referral to CQC",
    "no_further_action": "No further action",
    "non_compliant": "Non-compliant",
    "care_home_nursing": "Care home (nursing)",
    "care_home_residential": "Care home (residential)",
    "home_care": "Home care (domiciliary)",
}


def label(value: object) -> str:
    """``requirement_to_improve`` -> ``Requirement to improve``; None or "" -> an em dash."""
    if value is None or value == "":
        return "—"
    text = str(getattr(value, "value", value))
    if text.lower() in LABELS:
        return LABELS[text.lower()]
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def lower(value: object) -> str:
    """A label inside a sentence: lower case, except acronyms (CQC, QAF, NHS) and numbers."""
    text = label(value)
    if text[:1].isupper() and not text[:3].isupper():
        return text[:1].lower() + text[1:]
    return text


def event_label(type_name: str) -> str:
    """``RequirementToImproveIssued`` -> ``Requirement to improve issued``; CQC stays CQC."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|$)|[A-Z]?[a-z0-9]+", type_name)
    acronyms = {"cqc", "nhs", "rag", "qaf"}
    text = " ".join(w.upper() if w.lower() in acronyms else w.lower() for w in words)
    return text[:1].upper() + text[1:]


__all__ = ["LABELS", "event_label", "label", "lower"]
