"""Commands to set up schools and staff accounts."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..domain.vocabulary import ROLES
from ..services import ServiceError, accounts
from .common import school_by_urn


@click.command("create-school")
@click.option("--name", required=True, help="The school's name, as staff know it.")
@click.option("--urn", required=True, help="The school's unique reference number (6 to 8 digits).")
@click.option("--organisation", default=None, help="The trust or local authority (defaults to the school).")
@with_appcontext
def create_school_command(name: str, urn: str, organisation: str | None) -> None:
    """Create a school."""
    try:
        school = accounts.create_school(name, urn, organisation)
    except ServiceError as error:
        raise click.ClickException(f"--{error.field or 'name'}: {error.message}") from None
    click.echo(f"Created {school.name} (URN {school.urn}).")


@click.command("create-user")
@click.option("--school", "urn", required=True, help="URN of the school the person works at.")
@click.option("--email", required=True, help="Their work email address; they sign in with it.")
@click.option("--name", required=True, help="Their full name.")
@click.option("--role", required=True, type=click.Choice(ROLES), multiple=True,
              help="staff, dsl or admin; repeat to give more than one.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(urn: str, email: str, name: str, role: tuple[str, ...], password_stdin: bool) -> None:
    """Create a staff account, or give an existing one another role at a school."""
    school = school_by_urn(urn)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(school, email, name, list(role), password)
    except ServiceError as error:
        raise click.ClickException(f"--{error.field or 'email'}: {error.message}") from None
    click.echo(f"{user.email} is {', '.join(sorted(user.roles_at(school.id)))} at {school.name}.")


COMMANDS = [create_school_command, create_user_command]
