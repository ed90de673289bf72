"""The backup command."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..services import ServiceError
from ..services.backup import backup


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write; it must not exist yet.")
@with_appcontext
def backup_command(out: Path) -> None:
    """Back up the whole database (SQLite online backup, or pg_dump for PostgreSQL)."""
    try:
        kind = backup(out)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Backed up the {kind} database to {out}.")


COMMANDS = [backup_command]
