"""Bringing outside data in: CQC location records (reader, mapping table, importer)."""

from casework.imports.cqc import BUNDLED_CQC_FILE, CqcLocation, CqcReport, Rejected, read_locations
from casework.imports.cqc_mapping import MAPPING, Classification, classify

__all__ = [
    "BUNDLED_CQC_FILE",
    "MAPPING",
    "Classification",
    "CqcLocation",
    "CqcReport",
    "Rejected",
    "classify",
    "read_locations",
]
