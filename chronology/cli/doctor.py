"""The doctor: the state of this installation in one screen."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..services import health

MARKS = {"ok": "ok     ", "warning": "WARNING", "failed": "FAILED "}


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the database, free disk space, the mail server, the audit chain and the last backup.

    Prints one line for each. Exits 1 when any check failed (a warning alone exits 0), so it can
    run from cron or a monitoring system.
    """
    results = health.checks()
    width = max(len(c.name) for c in results)
    for check in results:
        click.echo(f"{MARKS[check.status]}  {check.name.ljust(width)}  {check.detail}")
    failed = [c.name for c in results if c.status == "failed"]
    if failed:
        raise click.ClickException(f"{len(failed)} check(s) failed: {', '.join(failed)}.")


COMMANDS = [doctor_command]
