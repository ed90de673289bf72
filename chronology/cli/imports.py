"""Commands that import pupils, their families and attendance, and past concerns and casework from CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click
from flask.cli import with_appcontext

from ..models import School, User
from ..services.imports import ImportReport, import_observations, import_pupils
from ..services.imports_casework import import_casework
from ..services.imports_family import import_attendance, import_contacts
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
    young_carer, cp_plan (none/current/past), joined_on and left_on.

    Optional details a referral asks for (kept as the child's details, which a DSL can also
    correct on the child's page): address, ethnicity, religion, first_language,
    interpreter_needed (Y/N), sen_primary_need (an MIS code: SpLD, MLD, SLD, PMLD, SEMH, SLCN,
    HI, VI, MSI, PD, ASD, OTH, NSA), communication_needs, nhs_number. An empty detail keeps
    what is recorded.

    Dates are DD/MM/YYYY or YYYY-MM-DD. A date of birth must make the pupil 2 to 25 years old
    on the day of the import (nursery to the end of an EHC plan). Names are kept as typed, but
    not with a control or text-direction character in them, nor starting with = + - or @.
    Pupils are matched by UPN, so importing again updates them. All or nothing: if any row is
    wrong, every problem is listed and nothing is written.
    """
    _run(import_pupils, file, urn)


@click.command("import-contacts")
@FILE
@SCHOOL
@with_appcontext
def import_contacts_command(file: Path, urn: str) -> None:
    """Add or update each pupil's family and household from the MIS contacts export (CSV).

    Columns: upn, name, relationship (needed), and date_of_birth, lives_with_child,
    parental_responsibility (Y/N, yes/no or true/false; empty means not known), phone, mobile,
    email, sibling_upn (a pupil of this school: the two are linked as siblings) and note. MIS
    headings such as "Contact Name", "Relationship to Pupil", "Lives With Pupil", "Parental
    Responsibility", "Telephone", "Mobile", "Email Address", "Contact DOB" and "Sibling UPN"
    also work. Dates are DD/MM/YYYY or YYYY-MM-DD.

    A person is matched by name within the pupil's family, so importing again updates them
    (a new version only when something changed) and never adds them twice; an empty cell keeps
    what is recorded. All or nothing: if any row is wrong, every problem is listed and nothing
    is written.
    """
    _run(import_contacts, file, urn)


@click.command("import-attendance")
@FILE
@SCHOOL
@with_appcontext
def import_attendance_command(file: Path, urn: str) -> None:
    """Add or update each pupil's attendance per term or half-term from the MIS (CSV).

    Columns: upn, period_start, period_end, and either possible_sessions and attended_sessions,
    or attendance_percent (headings such as "Start Date", "End Date", "Possible Sessions",
    "Attended" and "Attendance %" also work). Dates are DD/MM/YYYY or YYYY-MM-DD.

    A period is matched by pupil, start and end, so importing again updates it. All or
    nothing: if any row is wrong, every problem is listed and nothing is written.
    """
    _run(import_attendance, file, urn)


@click.command("import-casework")
@FILE
@SCHOOL
@with_appcontext
def import_casework_command(file: Path, urn: str) -> None:
    """Import past reviews, referrals and life events, from paper or another system (CSV).

    Columns: upn, record (review, referral or life-event), date (when it was decided, referred
    or happened), recorded_by (the email of a user of the school), and as the record needs:
    kind (a review's decision, or a life event's kind), note (a review's reason, a life
    event's note), agency, agency_detail, their_reference, status, outcome, outcome_on,
    follow_up_on (a referral's), support and ended_on (in-school support), significant (Y/N).
    A referral may carry its consent answers: parents_told (yes/no), why_not_told, consent
    (given, refused or not-needed), consent_by, consent_covers, consent_reason, child_views,
    level_of_need (one of the school's levels). Slugs are the product's; a wrong one is
    reported with the allowed ones.

    A review answers the pupil's concern recorded on its date, or on the date in an optional
    concern_date column (the first one that day, if there are several); import the concerns
    first. Dates are DD/MM/YYYY or YYYY-MM-DD. Records keep their own dates and are marked
    as imported. Rows already imported by an earlier run are skipped (a referral: same pupil,
    agency, date and person). All or nothing: if any row is wrong, every problem is listed
    and nothing is written.
    """
    _run(import_casework, file, urn)


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


COMMANDS = [import_pupils_command, import_contacts_command, import_attendance_command,
            import_observations_command, import_casework_command]
