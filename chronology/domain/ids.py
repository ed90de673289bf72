"""Numbers that arrive from a browser: a record's id, a page number, a count typed in a form.

`str.isdigit()` is true of "²" and "٣", which `int()` then refuses or reads as another number, and
an id longer than an INTEGER column holds makes the database raise instead of finding nothing.
Every such number is read here: ASCII digits only, within range, or None."""

from __future__ import annotations

MAX_ID = 2**31 - 1  # the largest value an INTEGER primary key holds on SQLite and PostgreSQL


def whole_number(raw: object, *, most: int) -> int | None:
    """A whole number from 0 to `most` written in ASCII digits, or None for anything else."""
    if not isinstance(raw, str) or not raw or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(most)):
        return None
    value = int(raw)
    return value if value <= most else None


def record_id(raw: object) -> int | None:
    """A record's id (1 or more, small enough for the database), or None: no such record."""
    value = whole_number(raw, most=MAX_ID)
    return value if value else None
