"""Shared helpers for commands: find a school, fail with a clear message."""

from __future__ import annotations

import click
from sqlalchemy import select

from ..extensions import db
from ..models import School


def school_by_urn(urn: str) -> School:
    school = db.session.scalar(select(School).where(School.urn == urn.strip()))
    if school is None:
        raise click.ClickException(f"--school: no school has the URN {urn!r}. Create it first with create-school.")
    return school
