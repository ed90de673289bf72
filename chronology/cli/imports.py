"""Commands that import pupils and past concerns from CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click
from flask.cli import with_appcontext

from ..models import School, User
from ..services.imports import ImportReport, import_observations, import_pupils
from .common import school_by_urn

FILE = click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
SCHOOL = click.option("--school", "urn", required=True, metavar="URN", help="The school's URN.")


def _run(importer: Callable[[School, bytes, User | None], ImportReport], file: Path, urn: str) -> None:
    school = school_by_urn(urn)
    report = importer(school, file.read_bytes(), None)
    if not report.ok:
        for error in report.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(report.summary())
    click.echo(f"{school.name} (URN {school.urn}): {report.summary()}")
    if report.ignored_columns:
        click.echo(f"Columns not used: {', '.join(report.ignored_columns)}.")


@click.command("import-pupils")
@FILE
@SCHOOL
@with_appcontext
def import_pupils_command(file: Path, urn: str) -> None:
    """Add or update the school's pupils from its MIS export (CSV).

    Columns: upn, legal_forename, preferred_forename, legal_surname, date_of_birth, gender,
    year_group, send (common MIS headings such as "DOB" or "SEN Status" also work), and
    optionally the context flags disability, eal, looked_after, child_in_need, early_help_plan,
    young_carer, cp_plan (none/current/past), joined_on and left_on. Dates are DD/MM/YYYY or
    YYYY-MM-DD. Pupils are matched by UPN, so importing again updates them. All or nothing:
    if any row is wrong, every problem is listed and nothing is written.
    """
    _run(import_pupils, file, urn)


@click.command("import-observations")
@FILE
@SCHOOL
@with_appcontext
def import_observations_command(file: Path, urn: str) -> None:
    """Import past concerns about the school's children, from paper or another system (CSV).

    Columns: upn, occurred_on (YYYY-MM-DD), categories (slugs separated by ';'), source,
    description, child_voice, action_taken, recorded_by (the email of a user of the school).
    Rows already imported by an earlier run are skipped. All or nothing: if any row is wrong,
    every problem is listed and nothing is written.
    """
    _run(import_observations, file, urn)


COMMANDS = [import_pupils_command, import_observations_command]
