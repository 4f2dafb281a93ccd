"""Service levels for intelligence records and action-plan item due dates, as deadlines.

Intelligence: allocated within 1 working day of receipt; risk assessed within 2 working days
of allocation; a high or critical risk gets its first action within 1 working day.
Action-plan items: a reminder 7 days before the due date; overdue on the day, unless completed.
"""

from __future__ import annotations
