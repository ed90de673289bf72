"""Commands for the audit log: check the hash chain, and list who viewed, exported or changed what."""

from __future__ import annotations

import json
from datetime import datetime, time
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..models.audit import canonical_at
from ..services import audit as audit_service

UK = ZoneInfo("Europe/London")


@click.command("audit-verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the audit log's hash chain, event by event in id order.

    Exits 0 when every event matches its hash and follows the one before it; otherwise exits 1
    and names the first bad event. Removing the newest events leaves a shorter chain that is
    still intact: compare the printed head hash with one noted down earlier to catch that.
    """
    report = audit_service.verify_chain()
    if not report.intact:
        bad = report.first_bad
        assert bad is not None
        ok = report.count - 1
        raise click.ClickException(
            f"The audit log has been tampered with. First bad {bad.describe()}. "
            f"The {ok} event(s) before it are intact."
        )
    if report.count == 0:
        click.echo("The audit log is empty.")
        return
    click.echo(f"The audit log is intact: {report.count} event(s), the last is event {report.last_id}; "
               f"head hash {report.head}.")


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD, such as 2026-03-27.") from None
    return datetime.combine(day, time.min, tzinfo=UK)


@click.command("audit-log")
@click.option("--upn", default=None, metavar="UPN", help="Only events about this child (their Unique Pupil Number).")
@click.option("--user", "email", default=None, metavar="EMAIL", help="Only events by this user (their email address).")
@click.option("--since", default=None, metavar="YYYY-MM-DD", callback=_since,
              help="Only events from the start of this day (UK time) onwards.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (one object per event).")
@with_appcontext
def audit_log_command(upn: str | None, email: str | None, since: datetime | None, as_json: bool) -> None:
    """List who viewed, exported or changed what: for a subject access request or an investigation.

    Each event: id, at (UTC), user (email, or null for the system), action, object_type,
    object_id, child_upn, ip_address ("cli" for commands) and detail. Running this command is
    itself recorded in the audit log, as an export.
    """
    try:
        found = list(audit_service.events(upn=upn, email=email, since=since))
    except audit_service.UnknownFilter as unknown:
        raise click.ClickException(str(unknown)) from None
    audit_service.record("audit-log.export", user_id=None, school_id=None, detail={
        "upn": upn, "user": email, "since": canonical_at(since) if since else None, "events": len(found),
    })
    db.session.commit()
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("No audit events match.")
        return
    for event in found:
        who = event["user"] or "(system)"
        what = f"{event['object_type']} {event['object_id']}" if event["object_type"] else ""
        child = f" child {event['child_upn']}" if event["child_upn"] else ""
        click.echo(f"{event['id']}\t{event['at']}\t{who}\t{event['action']}\t{what}{child}\t{event['ip_address']}")


COMMANDS = [audit_verify_command, audit_log_command]
