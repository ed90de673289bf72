"""Commands to set up schools and staff accounts, and a DSL's contact details for referrals."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..domain.vocabulary import ROLES
from ..extensions import db
from ..models import User
from ..services import ServiceError, accounts
from ..services.casework import InvalidRecord
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


@click.command("set-profile")
@click.option("--email", required=True, help="The email address the person signs in with.")
@click.option("--phone", default=None, help="The phone number a receiving agency can ring them on.")
@click.option("--job-title", default=None, metavar="TITLE", help="Their role, for example Designated Safeguarding Lead.")
@click.option("--secure-email", default=None, metavar="ADDR",
              help="A secure address for replies about a referral (an empty value clears it).")
@with_appcontext
def set_profile_command(email: str, phone: str | None, job_title: str | None, secure_email: str | None) -> None:
    """Set the contact details a referral prints for the DSL who makes it.

    Give at least one of --phone, --job-title and --secure-email; what is not given stays as it is.
    """
    if phone is None and job_title is None and secure_email is None:
        raise click.UsageError("Give at least one of --phone, --job-title and --secure-email.")
    try:
        address = accounts.normalise_email(email)
    except ServiceError as error:
        raise click.ClickException(f"--email: {error.message}") from None
    user = db.session.scalar(select(User).where(User.email == address))
    if user is None:
        raise click.ClickException(f"--email: no user has the email address {address}. Create them with create-user.")
    try:
        accounts.set_profile(user, job_title=job_title, phone=phone, secure_email=secure_email)
    except InvalidRecord as invalid:
        raise click.ClickException(" ".join(f"--{name.replace('_', '-')}: {message}"
                                            for name, message in invalid.errors.items())) from None
    click.echo(f"{user.email}: job title {user.job_title or '(none)'}, phone {user.phone or '(none)'}, "
               f"secure email {user.secure_email or '(none)'}.")


COMMANDS = [create_school_command, create_user_command, set_profile_command]
