"""Commands for the pattern prompts: the nightly evaluation, and open prompts for scripts."""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import Child
from ..services import clock, prompts as prompt_service
from .common import school_by_urn

SCHOOL = click.option("--school", "urn", required=True, metavar="URN", help="The school's URN.")


def _as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> date:
    if value is None:
        return clock.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD, "
                                 "such as 2026-03-27.") from None


AS_OF = click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", callback=_as_of,
                     help="Evaluate as of this day (default: today).")


def _refuse_future(as_of: date) -> None:
    # Records not yet written cannot be evaluated: a prompt "as of" next week would be a guess.
    if as_of > clock.today():
        raise click.BadParameter(f"{as_of.isoformat()} is in the future; prompts are kept as of "
                                 "today or an earlier day.", param_hint="'--as-of'")


@click.command("evaluate-prompts")
@SCHOOL
@AS_OF
@with_appcontext
def evaluate_prompts_command(urn: str, as_of: date) -> None:
    """Re-evaluate the pattern prompts for every child of a school (run it nightly).

    Prompts that fire are raised or updated with their new evidence; prompts whose rule no
    longer fires leave the DSL's lists. A dismissed prompt comes back only on new evidence.
    """
    school = school_by_urn(urn)
    _refuse_future(as_of)
    summary = prompt_service.reevaluate_school(school, as_of)
    click.echo(
        f"{school.name} (URN {school.urn}), as of {as_of.isoformat()}: {summary.children} "
        f"child(ren) evaluated; {summary.raised} prompt(s) raised, {summary.updated} updated, "
        f"{summary.reopened} raised again on new evidence, {summary.lapsed} no longer firing; "
        f"{summary.open} open."
    )


@click.command("prompts")
@SCHOOL
@click.option("--upn", default=None, help="Only this child (their Unique Pupil Number).")
@AS_OF
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, for scripts.")
@with_appcontext
def prompts_command(urn: str, upn: str | None, as_of: date, as_json: bool) -> None:
    """List the open pattern prompts of a school, evaluated as of a day; changes nothing.

    Sorted by UPN, then rule number (E2 before E10). With --json, each prompt is
    {"upn", "rule", "title", "explanation", "next_step", "evidence", "also", "merged_into",
    "raised_on"}: evidence lists each record, oldest first, as {"ref", "date", "kind",
    "categories", "label"} (ref is "observation:12": the kind of record, then its id); also
    lists the rules whose prompts a DSL reads with this one, and merged_into names the rule a
    prompt is shown under (null if none). Every prompt that fires is listed, merged or not.
    """
    school = school_by_urn(urn)
    _refuse_future(as_of)
    children = None
    if upn is not None:
        wanted = upn.strip().upper()
        child = db.session.scalar(select(Child).where(Child.school_id == school.id, Child.upn == wanted))
        if child is None:
            raise click.BadParameter(f"no child at {school.name} has the UPN {upn!r}.",
                                     param_hint="'--upn'")
        children = [child]
    found = prompt_service.open_as_of(school, as_of, children)
    if as_json:
        click.echo(json.dumps([p.as_json() for p in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(f"No open prompts at {school.name} as of {as_of.isoformat()}.")
        return
    for p in found:
        shown = f"  (shown with {p.merged_into})" if p.merged_into else ""
        click.echo(f"{p.child.upn}  {p.rule:<4} {p.raised_on.isoformat()}  {p.title}{shown}")
        click.echo(f"      evidence: {'; '.join(c.text for c in p.cited)}")
        if p.next_step:
            click.echo(f"      next step: {p.next_step}")


COMMANDS = [evaluate_prompts_command, prompts_command]
