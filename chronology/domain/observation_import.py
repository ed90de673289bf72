"""Reading past concerns (from paper or another system) out of CSV, checking each row's format."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .dates import parse_date
from .observation_rules import MAX_TEXT
from .pupil_import import (
    RowError, cell, extra_cells_error, heading_key, map_headings, parse_yes_no, read_table,
)
from .upn import clean_upn, upn_problem
from .vocabulary import CATEGORY_SLUGS, SOURCE_SLUGS

REQUIRED = ("upn", "occurred_on", "categories", "source", "description", "recorded_by")
# first_hand is not in the list; a file may add it, otherwise the source decides it.
OPTIONAL = ("child_voice", "action_taken", "first_hand")
ALIASES: dict[str, str] = {heading_key(name): name for name in REQUIRED + OPTIONAL}
TEXTS = ("description", "child_voice", "action_taken")

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Only the shape is checked here; the service matches the address against the school's users.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ObservationRow:
    """One past concern, its format checked; whether the child and writer exist is the service's to say."""

    line: int
    upn: str
    occurred_on: date
    categories: tuple[str, ...]
    source: str
    description: str
    child_voice: str
    action_taken: str
    recorded_by: str
    first_hand: bool


@dataclass(frozen=True)
class ObservationFile:
    rows: tuple[ObservationRow, ...] = ()
    errors: tuple[RowError, ...] = ()
    headings: Mapping[str, str] | None = None
    ignored_columns: tuple[str, ...] = ()

    def heading(self, name: str) -> str:
        """The column's heading as the file spells it, for messages about that column."""
        return (self.headings or {}).get(name, name)


def parse_observations(text: str) -> ObservationFile:
    """Every row of the file, or every problem with it; a caller writes nothing unless errors is empty."""
    table = read_table(text)
    errors: list[RowError] = [table.error] if table.error else []
    if not table.header:
        return ObservationFile(errors=tuple(errors))
    columns, headings, ignored, header_errors = map_headings(table, ALIASES, REQUIRED)
    if header_errors:
        return ObservationFile(errors=tuple(header_errors + errors), headings=headings,
                               ignored_columns=tuple(ignored))
    if not table.rows and not errors:
        errors.append(RowError(table.header_line, "", "The file has a heading row but no records."))
    rows: list[ObservationRow] = []
    first_line: dict[tuple[object, ...], int] = {}
    for line, cells in table.rows:
        row, row_errors = _read_row(line, cells, columns, headings)
        if extra := extra_cells_error(line, cells, len(table.header)):
            row_errors.insert(0, extra)
        if row is not None:
            # The same record twice is almost always a copy-and-paste slip; a person decides which stays.
            key = (row.upn, row.occurred_on, row.categories, row.source, row.description,
                   row.child_voice, row.action_taken, row.recorded_by)
            if key in first_line:
                row_errors.append(RowError(line, "", f"This row repeats line {first_line[key]} exactly; "
                                                     "remove one of them."))
            else:
                first_line[key] = line
        if row_errors:
            errors.extend(row_errors)
        elif row is not None:
            rows.append(row)
    return ObservationFile(rows=tuple(rows), errors=tuple(errors), headings=headings,
                           ignored_columns=tuple(ignored))


# A history file names the same few thousand children again and again; check each UPN once.
_upn_problem = lru_cache(maxsize=8192)(upn_problem)
_clean_upn = lru_cache(maxsize=8192)(clean_upn)


def _read_row(line: int, cells: tuple[str, ...], columns: dict[str, int],
              headings: dict[str, str]) -> tuple[ObservationRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(name: str, reason: str) -> None:
        errors.append(RowError(line, headings[name], reason))

    def raw(name: str) -> str:
        return cell(cells, columns[name]) if name in columns else ""

    upn = raw("upn").strip()
    if not upn:
        fail("upn", "The UPN is missing.")
    elif problem := _upn_problem(upn):
        fail("upn", problem)
    else:
        upn = _clean_upn(upn)

    occurred_on: date | None = None
    when = raw("occurred_on").strip()
    if not _ISO_DATE.match(when):
        fail("occurred_on", f"{when!r} is not a date in the form YYYY-MM-DD, for example 2025-03-27."
             if when else "The date it happened is missing; write it as YYYY-MM-DD.")
    else:
        try:
            occurred_on = parse_date(when)
        except ValueError as problem:
            fail("occurred_on", str(problem))

    categories = tuple(dict.fromkeys(
        c.strip().casefold() for c in raw("categories").split(";") if c.strip()
    ))
    unknown = [c for c in categories if c not in CATEGORY_SLUGS]
    if not categories:
        fail("categories", "Give at least one category, separated by ';'.")
    elif unknown:
        fail("categories", f"Unknown category: {', '.join(unknown)}.")

    source = raw("source").strip().casefold()
    if source not in SOURCE_SLUGS:
        fail("source", f"{raw('source').strip()!r} is not a source; use one of {', '.join(sorted(SOURCE_SLUGS))}."
             if source else "The source is missing.")

    # What was written is kept exactly as written: no trimming, no rewording.
    texts = {name: raw(name) for name in TEXTS}
    if not texts["description"].strip():
        fail("description", "What was seen or heard is missing.")
    for name, text in texts.items():
        if len(text) > MAX_TEXT:
            fail(name, f"This is longer than {MAX_TEXT:,} characters.")

    recorded_by = raw("recorded_by").strip().lower()
    if not _EMAIL.match(recorded_by):
        fail("recorded_by", f"{raw('recorded_by').strip()!r} is not an email address."
             if recorded_by else "The email of the person who recorded it is missing.")

    first_hand = source == "staff"
    if "first_hand" in columns and raw("first_hand").strip():
        try:
            first_hand = parse_yes_no(raw("first_hand"))
        except ValueError as problem:
            fail("first_hand", str(problem))

    if errors or occurred_on is None:
        return None, errors
    return ObservationRow(
        line=line, upn=upn, occurred_on=occurred_on, categories=categories, source=source,
        description=texts["description"], child_voice=texts["child_voice"],
        action_taken=texts["action_taken"], recorded_by=recorded_by, first_hand=first_hand,
    ), errors
