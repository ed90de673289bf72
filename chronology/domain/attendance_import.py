"""Reading a school's MIS attendance export (CSV): one row per child and period, every problem with it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from .family import AttendanceDraft, attendance_problems
from .pupil_import import (
    ImportFile, RowError, extra_cells_error, heading_key, open_file, read_optional_date, read_upn,
)

REQUIRED = ("upn", "period_start", "period_end")
MAX_SESSIONS = 10_000
SESSIONS = ("possible_sessions", "attended_sessions")
OPTIONAL = (*SESSIONS, "attendance_percent")
ALIASES: dict[str, str] = {heading_key(name): name for name in REQUIRED + OPTIONAL}
ALIASES.update({
    "start": "period_start",
    "start date": "period_start",
    "from": "period_start",
    "from date": "period_start",
    "date from": "period_start",
    "end": "period_end",
    "end date": "period_end",
    "to": "period_end",
    "to date": "period_end",
    "date to": "period_end",
    "possible": "possible_sessions",
    "sessions possible": "possible_sessions",
    "possible marks": "possible_sessions",
    "attended": "attended_sessions",
    "sessions attended": "attended_sessions",
    "attendance marks": "attended_sessions",
    "attendance %": "attendance_percent",
    "% attendance": "attendance_percent",
    "attendance percentage": "attendance_percent",
    "percentage attendance": "attendance_percent",
    "attendance": "attendance_percent",
    "percentage": "attendance_percent",
    "%": "attendance_percent",
})


@dataclass(frozen=True)
class AttendanceRow:
    line: int
    upn: str
    draft: AttendanceDraft


AttendanceFile = ImportFile[AttendanceRow]


def parse_attendance(text: str) -> AttendanceFile:
    """Every period in the export, or every problem with it; a caller writes nothing unless errors is empty."""
    opened = open_file(text, ALIASES, REQUIRED, "attendance figures")
    if isinstance(opened, ImportFile):
        return opened
    headings = opened.headings
    if not (set(SESSIONS) <= set(headings) or "attendance_percent" in headings):
        return AttendanceFile(errors=(RowError(opened.table.header_line, "", (
            "The heading row needs possible_sessions and attended_sessions, or attendance_percent.")),),
            headings=headings, ignored_columns=opened.ignored)
    errors = opened.errors
    rows: list[AttendanceRow] = []
    first_line: dict[tuple[str, date, date], int] = {}
    for line, cells in opened.table.rows:
        row, row_errors = _read_period(line, opened.cells(cells), headings)
        if extra := extra_cells_error(line, cells, len(opened.table.header)):
            row_errors.insert(0, extra)
        if row is not None:
            assert row.draft.period_start and row.draft.period_end
            key = (row.upn, row.draft.period_start, row.draft.period_end)
            if key in first_line:
                row_errors.append(RowError(line, headings["period_start"],
                                           f"This pupil's period {key[1]:%d/%m/%Y} to {key[2]:%d/%m/%Y} is also "
                                           f"on line {first_line[key]}; keep one row per period."))
            else:
                first_line[key] = line
        if row_errors:
            errors.extend(row_errors)
        elif row is not None:
            rows.append(row)
    return AttendanceFile(rows=tuple(rows), errors=tuple(errors), headings=headings,
                          ignored_columns=opened.ignored)


def _whole_number(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number of sessions.") from None
    # A school year has about 380 sessions; a number far beyond that is a slip (and too big to store).
    if value > MAX_SESSIONS:
        raise ValueError(f"{value:,} sessions is more than a period can have; check the column.")
    return value


def _percent(raw: str) -> float | None:
    text = raw.strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{raw.strip()!r} is not a percentage; write it as a number, for example 94.5.") from None
    if not math.isfinite(value):
        raise ValueError(f"{raw.strip()!r} is not a percentage; write it as a number, for example 94.5.")
    return value


def _read_period(line: int, raw: dict[str, str],
                 headings: dict[str, str]) -> tuple[AttendanceRow | None, list[RowError]]:
    errors: list[RowError] = []
    unread: set[str] = set()

    def read(name: str, reader):  # noqa: ANN001, ANN202
        if name not in raw:
            return None
        try:
            return reader(raw[name])
        except ValueError as problem:
            errors.append(RowError(line, headings[name], str(problem)))
            unread.add(name)
            return None

    upn = read("upn", read_upn)
    draft = AttendanceDraft(
        period_start=read("period_start", read_optional_date), period_end=read("period_end", read_optional_date),
        possible_sessions=read("possible_sessions", _whole_number),
        attended_sessions=read("attended_sessions", _whole_number),
        attendance_percent=read("attendance_percent", _percent),
    )
    # The same checks as the child's page; a cell that could not be read is reported once, above.
    for name, reason in attendance_problems(draft).items():
        if name in unread or (name == "possible_sessions" and unread):
            continue
        column = headings.get(name) or headings.get("attendance_percent") or name
        errors.append(RowError(line, column, reason))
    if errors or upn is None:
        return None, errors
    return AttendanceRow(line=line, upn=str(upn), draft=draft), errors
