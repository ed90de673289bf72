"""The demo command: a synthetic school to try the product with."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..services.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create a demo school with synthetic children and a few months of concerns."""
    school, created = seed_demo()
    click.echo(("Created" if created else "Already there:") + f" {school.name} (URN {school.urn}).")
    click.echo("Demo sign-ins (synthetic data only; never use these passwords for real):")
    for email, name, roles in DEMO_USERS:
        click.echo(f"  {email:<26} password: {DEMO_PASSWORD}   ({', '.join(roles)})")


COMMANDS = [seed_demo_command]
