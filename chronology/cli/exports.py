"""The export-pdf command: a child's chronology as a referral-ready PDF, for a DSL of the school."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..extensions import db
from ..models import Child, User
from ..services import exports as export_service
from .common import school_by_urn


@click.command("export-pdf")
@click.option("--school", "urn", required=True, metavar="URN", help="The school's URN.")
@click.option("--upn", required=True, help="The child's Unique Pupil Number.")
@click.option("--kind", type=click.Choice(sorted(export_service.KINDS)), required=True,
              help="full: every record; multi-agency: significant events only; referral: the questions "
                   "a multi-agency referral form asks, then the significant events.")
@click.option("--as", "as_email", required=True, metavar="EMAIL",
              help="The e-mail address of the DSL producing the export.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              metavar="FILE", help="Where to write the PDF.")
@click.option("--hide-staff-names", is_flag=True, help="Show 'Member of staff' instead of staff names.")
@click.option("--reason", default="", metavar="TEXT",
              help="Why the school is worried, in the DSL's words (needed for multi-agency and referral).")
@click.option("--withhold", "withhold", multiple=True, metavar="NAME",
              help="A third party's name to replace with [name withheld]; repeat for each name.")
@with_appcontext
def export_pdf_command(urn: str, upn: str, kind: str, as_email: str, out: Path, hide_staff_names: bool,
                       reason: str, withhold: tuple[str, ...]) -> None:
    """Write a child's chronology as a PDF. Only a DSL of the school may; refusals are audited."""
    school = school_by_urn(urn)
    user = db.session.scalar(select(User).where(func.lower(User.email) == as_email.strip().lower()))
    if not export_service.may_export(user, school.id):
        why = "no such user" if user is None else "not a DSL of this school"
        export_service.record_refusal(school, user, child=None, as_email=as_email, why=why)
        raise click.ClickException(
            f"--as: {as_email} is not a designated safeguarding lead of {school.name} (URN {school.urn}), "
            "so cannot export a chronology. This refusal has been written to the audit log.")
    child = db.session.scalar(select(Child).where(Child.school_id == school.id, Child.upn == upn.strip().upper()))
    if child is None:
        raise click.BadParameter(f"no child at {school.name} has the UPN {upn!r}.", param_hint="'--upn'")
    options = export_service.ExportOptions(kind=kind, reason=reason, hide_staff_names=hide_staff_names,
                                           withheld_names=tuple(withhold))
    try:
        exported = export_service.export_pdf(child, user, options)
    except export_service.ConsentMissing as refused:
        raise click.ClickException(" ".join(refused.errors.values())
                                   + " This refusal has been written to the audit log.") from None
    except export_service.InvalidExport as invalid:
        raise click.UsageError(" ".join(invalid.errors.values())) from None
    out.write_bytes(exported.pdf)
    click.echo(f"Wrote {out} ({len(exported.pdf):,} bytes), export id {exported.export_id}. "
               "It is marked OFFICIAL-SENSITIVE: keep it secure.")


COMMANDS = [export_pdf_command]
