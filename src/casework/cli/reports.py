"""``casework report annual``: the annual quality report for a period, as HTML, CSV or JSON."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from casework.bootstrap import bootstrap
from casework.cli.terminal import say, say_document
from casework.cli.verbosity import command_settings
from casework.reports.render import ReportFormat

report_app = typer.Typer(help="Committee reports computed from the event log.", no_args_is_help=True)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: give yyyy-mm-dd") from None


@report_app.command("annual")
def annual(
    date_from: date = typer.Option(..., "--from", parser=_date, metavar="DATE",
                                   help="First day of the period (yyyy-mm-dd)."),
    date_to: date = typer.Option(..., "--to", parser=_date, metavar="DATE",
                                 help="Last day of the period, inclusive (yyyy-mm-dd)."),
    fmt: ReportFormat = typer.Option(ReportFormat.html, "--format", help="html, csv or json."),
    out: Path | None = typer.Option(None, "--out", help="Write to this file (default: standard output)."),
    population: str = typer.Option(
        "contracted", "--population", metavar="WHOSE",
        help="contracted (default): the council's contracted providers; all: every provider known, "
        "market intelligence (CQC locations of other areas) included.",
    ),
) -> None:
    """The annual quality report's figures for the period: intelligence logged and actioned,
    visits by kind and month, QAF outcomes by service type, the CQC rating profile, sanctions in
    force and open action plans. Exempt information is never included."""
    from casework.projections.statistics import Population
    from casework.reports.annual import annual_report
    from casework.reports.render import render

    if population not in set(Population):
        raise typer.BadParameter(f"{population!r}: give contracted or all", param_hint="'--population'")
    start, end = date_from, date_to
    if end < start:
        raise typer.BadParameter(f"{end} is before --from {start}", param_hint="'--to'")
    settings = command_settings(scheduler_enabled=False)
    cw = bootstrap(settings)
    try:
        text = render(annual_report(cw, start, end, Population(population)), fmt)
    finally:
        cw.close()
    if out is None:
        say_document(text)
    else:
        out.write_text(text, encoding="utf-8")
        say(f"wrote the {fmt.value} report for {start} to {end} to {out}", err=True)
