"""The figures of an annual quality report (Leicester's 2018/19 report is the model), as data.

Every figure is a count or a share computed from events through the read models; the model holds
no names of people and no free text, so nothing exempt from publication can leak through it.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, computed_field

# Labels used in every format, in the order the report shows them.
SERVICE_TYPE_LABELS = {
    "care_home_nursing": "Nursing care homes",
    "care_home_residential": "Residential care homes",
    "home_care": "Domiciliary care",
    "supported_living": "Supported living",
    "extra_care": "Extra care",
    "day_service": "Day services",
}
VISIT_KIND_LABELS = {
    "announced": "Announced (assessment)",
    "unannounced": "Unannounced (assessment)",
    "additional": "Additional (assessment)",
    "responsive": "Safe and wellbeing / responsive",
    "out_of_hours": "Out of hours (of the above)",
}
VISIT_REASON_LABELS = {
    "welcome": "Welcome",
    "full_monitoring": "Full monitoring",
    "action_plan_review": "Action plan review",
    "responsive": "Responsive",
    "safe_and_wellbeing": "Safe and wellbeing",
    "high_risk_welfare_check": "High-risk support / welfare check",
    "additional": "Additional assessment visit",
}
RATING_ORDER = ("Outstanding", "Good", "Requires improvement", "Inadequate")
PLAN_GROUP_LABELS = {
    "older_person_domiciliary": "Older person domiciliary care",
    "older_person_residential_nursing": "Older person residential / nursing care",
    "working_age_supported_living_domiciliary": "Working age adult supported living / domiciliary care",
    "working_age_residential_nursing": "Working age adult residential / nursing care",
    "day_services": "Day services",
}
STAGE_LABELS = {
    "requirement_to_improve": "Requirement to improve",
    "contract_suspension": "Contract suspension",
    "final_notice_90_day": "90 day final notice",
    "terminated": "Terminated",
}


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a percentage to one decimal place; None when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True)


class MonthCount(_Figures):
    month: str  # yyyy-mm
    visits: int


class QafRow(_Figures):
    service_type: str
    compliant: int
    non_compliant: int
    ongoing: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent_compliant(self) -> float | None:
        return percent(self.compliant, self.compliant + self.non_compliant)


class RatingProfile(_Figures):
    """Contracted providers' latest overall CQC rating at the end of the period."""

    counts: dict[str, int]  # Outstanding, Good, Requires improvement, Inadequate
    not_rated: int
    reinspected: int  # providers with a newer rating published within the period
    improved: int  # ... whose new rating is better than the one before it

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rated(self) -> int:
        return sum(self.counts.get(r, 0) for r in RATING_ORDER)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def shares(self) -> dict[str, float | None]:
        return {r: percent(self.counts.get(r, 0), self.rated) for r in RATING_ORDER}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent_improved(self) -> float | None:
        return percent(self.improved, self.reinspected)


class AnnualReport(_Figures):
    council: str
    period_from: date
    period_to: date
    intelligence_logged: int
    intelligence_actioned: int
    visits_total: int
    visits_by_kind: dict[str, int]
    visits_by_reason: dict[str, int]
    visits_per_month: list[MonthCount]
    qaf_by_service_type: list[QafRow]
    rating_profile: RatingProfile
    sanctions_in_force: dict[str, int]  # escalation stage -> providers at it at the period end
    contracts_terminated: int = 0  # in the period: after a final notice, or immediately
    immediate_terminations: dict[str, int] = {}  # immediate, for a serious breach: grounds -> count
    notices_open: int
    open_action_plans_by_service_type: dict[str, int]
    open_action_plans_by_group: dict[str, int] = {}
    rag_by_category: dict[str, dict[str, int]] = {}
    # Whose figures: "contracted" (the council's contracted providers) or "all" providers known.
    population: str = "contracted"
    providers_counted: int = 0
    beds: int = 0
    # CQC at a glance, by service type: each latest overall rating (the words of RATING_ORDER,
    # and "not_rated") -> providers; and care home beds.
    ratings_by_service_type: dict[str, dict[str, int]] = {}
    beds_by_service_type: dict[str, int] = {}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def population_label(self) -> str:
        return "contracted providers" if self.population == "contracted" else "providers known"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def terminated_immediately(self) -> int:
        return sum(self.immediate_terminations.values())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def terminated_after_final_notice(self) -> int:
        return self.contracts_terminated - self.terminated_immediately

    @computed_field  # type: ignore[prop-decorator]
    @property
    def months(self) -> int:
        return len(self.visits_per_month)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def visits_per_month_average(self) -> float | None:
        return round(self.visits_total / self.months, 1) if self.months else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def assessment_visits(self) -> int:
        kinds = self.visits_by_kind
        return kinds.get("announced", 0) + kinds.get("unannounced", 0) + kinds.get("additional", 0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def qaf_total(self) -> QafRow:
        rows = self.qaf_by_service_type
        return QafRow(
            service_type="total",
            compliant=sum(r.compliant for r in rows),
            non_compliant=sum(r.non_compliant for r in rows),
            ongoing=sum(r.ongoing for r in rows),
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def open_action_plans_total(self) -> int:
        return sum(self.open_action_plans_by_service_type.values())
