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
@click.option("--checkpoint", "checkpoint_file", type=click.File("r", encoding="utf-8"), default=None,
              metavar="FILE", help="A file `audit-checkpoint` wrote: also prove nothing up to it was removed or changed.")
@with_appcontext
def audit_verify_command(checkpoint_file) -> None:  # noqa: ANN001 (a click file)
    """Check each school's audit chain, event by event, under this installation's audit key.

    Exits 0 when every event matches its hash, follows the one before it, has no gap before it
    and is not earlier than it; otherwise exits 1 and names each bad event. Removing a chain's
    newest events leaves a shorter chain that is still intact: keep the output of
    `audit-checkpoint` outside the database and pass it with --checkpoint to catch that.
    """
    noted = None
    if checkpoint_file is not None:
        try:
            noted = audit_service.read_checkpoint(checkpoint_file.read())
        except (audit_service.BadCheckpoint, UnicodeDecodeError) as bad:
            raise click.ClickException(str(bad) if isinstance(bad, audit_service.BadCheckpoint)
                                       else "The checkpoint file is not text: it is not a file `audit-checkpoint` wrote.") from None
    report = audit_service.verify_chain()
    for chain in report.chains:
        if chain.intact:
            head = (f"the last is event {chain.last_id} (number {chain.last_seq}, at {canonical_at(chain.last_at)}), "
                    f"head hash {chain.head}" if chain.count else "no events yet")
            click.echo(f"{chain.name}: intact, {chain.count} event(s); {head}.")
            continue
        click.echo(f"{chain.name}: NOT INTACT, {chain.count} event(s):")
        for bad in chain.problems:
            click.echo(f"  - {bad.describe()}")
        if chain.more_problems:
            click.echo(f"  - and {chain.more_problems} more bad event(s)")
        if chain.problems[0].problem.startswith("its contents do not match") and chain.count == len(chain.problems) + chain.more_problems:
            click.echo("  Every event fails: if nobody changed them, this installation's audit key "
                       f"(key id {report.key_id}) is not the one that sealed them. Restore AUDIT_KEY or "
                       "instance/audit_key from your backup.")
    stale = audit_service.verify_checkpoint(noted) if noted is not None else []
    for problem in stale:
        click.echo(f"Against the checkpoint: {problem}")
    if not report.intact or stale:
        bad = report.first_bad
        first = f" First bad {bad.describe()}." if bad is not None else ""
        raise click.ClickException(f"The audit log has been tampered with.{first} See the list above.")
    if report.count == 0:
        click.echo("The audit log is empty.")
        return
    against = f" Nothing up to the checkpoint of {noted['made_at']} was removed or changed." if noted else ""
    click.echo(f"The audit log is intact: {report.count} event(s) in {sum(1 for c in report.chains if c.count)} "
               f"chain(s), sealed under audit key {report.key_id}.{against}")


@click.command("audit-checkpoint")
@click.option("--output", "output", type=click.Path(dir_okay=False, writable=True), default=None,
              metavar="FILE", help="Write the checkpoint to FILE instead of printing it.")
@with_appcontext
def audit_checkpoint_command(output: str | None) -> None:
    """Print each school's audit chain head (event id, number, hash, time), signed with the audit key.

    Keep it where the database's users cannot change it (print it, or mail it to the head
    teacher). Later, `audit-verify --checkpoint FILE` proves that nothing up to those heads was
    removed or changed. Making a checkpoint is itself recorded in the audit log.
    """
    made = audit_service.checkpoint()
    for chain in made["chains"]:
        if not chain["intact"]:
            # Noted as it stands, but a checkpoint of a broken chain proves only that it stays broken.
            click.echo(f"Warning: {chain['name']}'s chain is not intact: run audit-verify to see why.", err=True)
    audit_service.record("audit.checkpoint", user_id=None, school_id=None,
                         detail={"chains": len(made["chains"]), "key_id": made["key_id"]})
    db.session.commit()
    text = json.dumps(made, ensure_ascii=False, indent=2)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        click.echo(f"Checkpoint of {len(made['chains'])} chain(s) written to {output}. Keep it outside this server.")
        return
    click.echo(text)


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


COMMANDS = [audit_verify_command, audit_checkpoint_command, audit_log_command]
