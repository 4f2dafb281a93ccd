"""How a CQC location becomes a Casework provider's service type and client categories.

The whole mapping is the one table below, read top to bottom. Each row says: when a location
lists this CQC value (in its gacServiceTypes, specialisms or regulatedActivities), it offers this
Casework service type and/or serves these client categories.

- Service type: a location may match several rows (a nursing home that also runs a homecare
  agency); it takes the matching service type that comes first in ``SERVICE_TYPE_PRECEDENCE``.
- Client categories: the union of every matching row's categories.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from casework.events.providers import ClientCategory, ServiceType
from casework.imports.cqc import CqcLocation

CARE_HOME_NURSING = ServiceType.care_home_nursing
CARE_HOME_RESIDENTIAL = ServiceType.care_home_residential
SUPPORTED_LIVING = ServiceType.supported_living
EXTRA_CARE = ServiceType.extra_care
HOME_CARE = ServiceType.home_care
DAY_SERVICE = ServiceType.day_service

OP, MH, LD, PDSI = ClientCategory.OP, ClientCategory.MH, ClientCategory.LD, ClientCategory.PDSI

SERVICE = "gacServiceTypes"
SPECIALISM = "specialisms"
ACTIVITY = "regulatedActivities"


@dataclass(frozen=True)
class Row:
    source: str  # which list of the CQC record
    cqc_value: str  # the name CQC uses there
    service_type: ServiceType | None
    categories: tuple[ClientCategory, ...]


# fmt: off
MAPPING: tuple[Row, ...] = (
    #   source      CQC value                                      service type           categories
    Row(SERVICE,    "Nursing homes",                               CARE_HOME_NURSING,     ()),
    Row(SERVICE,    "Residential homes",                           CARE_HOME_RESIDENTIAL, ()),
    Row(SERVICE,    "Supported living",                            SUPPORTED_LIVING,      ()),
    Row(SERVICE,    "Supported housing",                           EXTRA_CARE,            ()),
    Row(SERVICE,    "Extra Care housing services",                 EXTRA_CARE,            ()),
    Row(SERVICE,    "Homecare agencies",                           HOME_CARE,             ()),
    Row(SERVICE,    "Shared Lives",                                SUPPORTED_LIVING,      ()),
    Row(SERVICE,    "Community services - Learning disabilities",  DAY_SERVICE,           (LD,)),
    Row(SERVICE,    "Rehabilitation (illness/injury)",             None,                  (PDSI,)),
    Row(SERVICE,    "Specialist college service",                  None,                  (LD,)),
    Row(ACTIVITY,   "Accommodation for persons who require nursing or personal care",
                                                                   CARE_HOME_RESIDENTIAL, ()),
    Row(ACTIVITY,   "Personal care",                               HOME_CARE,             ()),
    Row(ACTIVITY,   "Treatment of disease, disorder or injury",    None,                  ()),
    Row(ACTIVITY,   "Diagnostic and screening procedures",         None,                  ()),
    Row(SPECIALISM, "Caring for adults over 65 yrs",               None,                  (OP,)),
    Row(SPECIALISM, "Dementia",                                    None,                  (OP,)),
    Row(SPECIALISM, "Mental health conditions",                    None,                  (MH,)),
    Row(SPECIALISM, "Caring for people whose rights are restricted under the Mental Health Act",
                                                                   None,                  (MH,)),
    Row(SPECIALISM, "Eating disorders",                            None,                  (MH,)),
    Row(SPECIALISM, "Substance misuse problems",                   None,                  (MH,)),
    Row(SPECIALISM, "Learning disabilities",                       None,                  (LD,)),
    Row(SPECIALISM, "Physical disabilities",                       None,                  (PDSI,)),
    Row(SPECIALISM, "Sensory impairment",                          None,                  (PDSI,)),
    Row(SPECIALISM, "Caring for adults under 65 yrs",              None,                  ()),
    Row(SPECIALISM, "Caring for children",                         None,                  ()),
)
# fmt: on

# When several rows match, the service type listed first wins.
SERVICE_TYPE_PRECEDENCE = (
    CARE_HOME_NURSING,
    CARE_HOME_RESIDENTIAL,
    EXTRA_CARE,
    SUPPORTED_LIVING,
    HOME_CARE,
    DAY_SERVICE,
)
CATEGORY_ORDER = (OP, MH, LD, PDSI)

_INDEX: dict[tuple[str, str], Row] = {(r.source, r.cqc_value.lower()): r for r in MAPPING}


@dataclass(frozen=True)
class Classification:
    service_type: ServiceType | None
    categories: tuple[ClientCategory, ...]
    unmapped: tuple[str, ...]  # CQC values the table does not know ("source: value")


def classify(location: CqcLocation) -> Classification:
    """The service type and client categories the table gives this location."""
    rows: list[Row] = []
    unmapped: list[str] = []
    for source, values in (
        (SERVICE, location.service_types),
        (ACTIVITY, location.regulated_activities),
        (SPECIALISM, location.specialisms),
    ):
        for value in values:
            row = _INDEX.get((source, value.lower()))
            if row is None:
                unmapped.append(f"{source}: {value}")
            else:
                rows.append(row)
    return Classification(
        service_type=_first_service_type(r.service_type for r in rows if r.service_type),
        categories=tuple(c for c in CATEGORY_ORDER if any(c in r.categories for r in rows)),
        unmapped=tuple(unmapped),
    )


def _first_service_type(candidates: Iterable[ServiceType]) -> ServiceType | None:
    found = set(candidates)
    return next((s for s in SERVICE_TYPE_PRECEDENCE if s in found), None)
