"""Committee reports: the annual quality report's figures, computed from events via the read
models, rendered as HTML, CSV or JSON."""

from casework.reports.model import AnnualReport, QafRow, RatingProfile
from casework.reports.render import ReportFormat, render

__all__ = ["AnnualReport", "QafRow", "RatingProfile", "ReportFormat", "render"]
