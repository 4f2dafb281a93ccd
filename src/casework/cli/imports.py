"""``casework import cqc FILE``: providers and their CQC ratings from CQC location records."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from casework.bootstrap import Casework, bootstrap
from casework.cli.terminal import say, shown_markup
from casework.files import FileTooLarge
from casework.logs import configure_logging
from casework.settings import load_settings

if TYPE_CHECKING:
    from casework.imports.cqc_importer import ImportReport

import_app = typer.Typer(help="Bring outside data in.", no_args_is_help=True)


@import_app.command("cqc")
def import_cqc(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="JSON Lines of CQC location objects (as in data/cqc/)."),
    contracted_area: list[str] = typer.Option(
        [], "--contracted-area", metavar="AREA",
        help="A local authority whose locations the council contracts (CQC's localAuthority, e.g. "
        "Leicester); repeat for several. Default: CASEWORK_COUNCIL_AREAS. Locations of other areas "
        "are registered as market intelligence, not counted in the council's figures.",
    ),
) -> None:
    """Import or update providers and every CQC rating (current and historic, each at its report
    date). Importing the same file again appends nothing. Exit 1 when some records were rejected
    (their line numbers and reasons are printed); the others are imported. Exit 2, importing
    nothing, when a line is longer than 1 MiB (not a file of CQC records)."""
    settings = load_settings(scheduler_enabled=False)
    configure_logging(settings.log_level)
    cw = bootstrap(settings)
    try:
        report = run_import(cw, file, progress=sys.stderr.isatty(), areas=contracted_area or None)
    except FileTooLarge as exc:
        say(f"error: {exc} Nothing was imported.", err=True)
        raise typer.Exit(2) from None
    finally:
        cw.close()
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def run_import(
    cw: Casework, file: Path, *, progress: bool, areas: list[str] | None = None
) -> ImportReport:
    """Import ``file`` into ``cw`` (with a progress bar on a terminal); returns the ImportReport.
    Raises ``FileTooLarge`` when a line of it is over the limit: having imported nothing, for a
    regular file, which is read once through before importing (a pipe can be read only once)."""
    from casework.imports.cqc import count_records
    from casework.imports.cqc_importer import CqcImporter

    importer = CqcImporter(
        cw.application, contracted_areas=cw.settings.council_areas if areas is None else areas
    )
    total = count_records(file) if file.is_file() else None
    if not progress:
        return importer.import_file(file)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("importing {task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(shown_markup(file.name), total=total)
        return importer.import_file(file, progress=lambda n: bar.advance(task, n))


def print_report(report: ImportReport) -> None:
    say(
        f"{report.locations} locations read ({report.beds:,} beds; {report.current_ratings} current "
        f"and {report.historic_ratings} historic ratings listed)"
    )
    say(
        f"providers: {report.providers_registered} registered, {report.providers_updated} updated, "
        f"{report.providers_unchanged} unchanged"
    )
    if report.providers_registered:
        market = report.providers_registered - report.registered_contracted
        say(
            f"of those registered: {report.registered_contracted} contracted by the council, "
            f"{market} market intelligence (outside the council's areas: "
            f"{', '.join(report.contracted_areas) or 'none set; set CASEWORK_COUNCIL_AREAS'})"
        )
    say(
        f"appended {report.events_appended} events: {report.ratings_appended} CQC ratings, "
        f"{report.intelligence_logged} intelligence records for triage (ratings fallen to "
        "Requires improvement or Inadequate)"
    )
    for rejected in report.rejected:
        say(f"rejected {rejected}", err=True)
    if report.rejected:
        lines = ", ".join(str(r.line) for r in report.rejected)
        say(f"{len(report.rejected)} records rejected (lines {lines}); the rest imported", err=True)
