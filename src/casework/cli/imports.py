"""``casework import cqc FILE``: providers and their CQC ratings from CQC location records."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from casework.bootstrap import Casework, bootstrap
from casework.cli.terminal import say, say_above, shown_markup
from casework.cli.verbosity import command_settings
from casework.files import FileTooLarge
from casework.wording import counted

if TYPE_CHECKING:
    from casework.imports.cqc_importer import ImportReport


def _bundled_example() -> str:
    from casework.imports.cqc import BUNDLED_CQC_FILE

    return f"casework/data/{BUNDLED_CQC_FILE.name} in the package"


import_app = typer.Typer(help="Bring outside data in.", no_args_is_help=True)


@import_app.command("cqc")
def import_cqc(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="JSON Lines: one CQC location object per line, as CQC's public API "
                                     "answers GET /locations/{id} (the bundled example: "
                                     f"{_bundled_example()})."),
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
    settings = command_settings(scheduler_enabled=False)
    cw = bootstrap(settings)
    try:
        report = run_import(cw, file, progress=sys.stderr.isatty(), areas=contracted_area or None)
    except FileTooLarge as exc:
        say(f"error: {exc} Nothing was imported.", err=True)
        raise typer.Exit(2) from None
    finally:
        cw.close()
    if not report.locations and not report.rejected_lines:
        say(f"error: {file} holds no records (it is empty or blank): nothing imported", err=True)
        raise typer.Exit(1)
    print_report(report, file)
    if not report.ok:
        raise typer.Exit(1)


def run_import(
    cw: Casework, file: Path, *, progress: bool, areas: list[str] | None = None
) -> ImportReport:
    """Import ``file`` into ``cw`` (with a progress bar on a terminal), printing each rejected
    line on standard error as it is read; returns the ImportReport. ``areas``: the local
    authorities whose locations the council contracts (default: CASEWORK_COUNCIL_AREAS). Raises
    ``FileTooLarge`` when a line of it is over the limit: having imported nothing, for a regular
    file, which is read once through before importing (a pipe can be read only once)."""
    from casework.imports.cqc import count_records
    from casework.imports.cqc_importer import CqcImporter

    importer = CqcImporter(
        cw.application, contracted_areas=cw.settings.council_areas if areas is None else areas
    )
    total = count_records(file) if file.is_file() else None
    if not progress:
        return importer.import_file(file, on_rejected=lambda r: say(f"rejected {r}", err=True))
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("importing {task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(shown_markup(file.name), total=total)
        return importer.import_file(
            file, progress=lambda n: bar.advance(task, n),
            on_rejected=lambda r: say_above(bar.console, f"rejected {r}"),
        )


def print_report(report: ImportReport, file: Path) -> None:
    """What was imported (standard output) and, on standard error, how many lines were
    rejected (each was printed as it was read)."""
    say(f"imported {counted(report.locations, 'location')} ({report.beds:,} beds; "
        f"{report.current_ratings} current and {report.historic_ratings} historic ratings listed)")
    say(f"providers: {report.providers_registered} registered, {report.providers_updated} updated, "
        f"{report.providers_unchanged} unchanged")
    if report.providers_registered:
        market = report.providers_registered - report.registered_contracted
        say(f"of those registered: {report.registered_contracted} contracted by the council, "
            f"{market} market intelligence (outside the council's areas: "
            f"{', '.join(report.contracted_areas) or 'none set; set CASEWORK_COUNCIL_AREAS'})")
    say(f"appended {counted(report.events_appended, 'event')}: "
        f"{counted(report.ratings_appended, 'CQC rating')}, "
        f"{counted(report.intelligence_logged, 'intelligence record')} for triage (ratings fallen "
        "to Requires improvement or Inadequate)")
    if not report.rejected_lines:
        return
    numbers = [str(r.line) for r in report.rejected[:SHOWN_LINE_NUMBERS]]
    more = report.rejected_lines - len(numbers)
    listed = ", ".join(numbers) + (f" and {more:,} more" if more else "")
    which = "line" if report.rejected_lines == 1 else "lines"
    say(f"{counted(report.rejected_lines, 'line', grouped=True)} rejected ({which} {listed}); "
        f"{counted(report.locations, 'location', grouped=True)} imported", err=True)
    if not report.locations:
        say(f"no line of {file} could be read as a CQC location: is it JSON Lines, one location "
            "object per line (as in the bundled file, see `casework import cqc --help`)?", err=True)


SHOWN_LINE_NUMBERS = 20  # in the summary; each rejected line had its own line as it was read
