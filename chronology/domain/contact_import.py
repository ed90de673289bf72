"""Reading a school's MIS contacts export (CSV) into checked family members, with every problem it has."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .family import MemberDraft, member_problems, phone_problem
from .names import search_key
from .pupil_import import (
    ImportFile, RowError, extra_cells_error, heading_key, open_file, parse_known_yes_no, read_optional_date,
    read_text, read_upn,
)

REQUIRED = ("upn", "name", "relationship")
OPTIONAL = ("date_of_birth", "lives_with_child", "parental_responsibility", "phone", "mobile", "email",
            "sibling_upn", "note")
ALIASES: dict[str, str] = {heading_key(name): name for name in REQUIRED + OPTIONAL}
ALIASES.update({
    "pupil upn": "upn",
    "unique pupil number": "upn",
    "contact name": "name",
    "contact": "name",
    "full name": "name",
    "contact full name": "name",
    "relationship to pupil": "relationship",
    "relationship to child": "relationship",
    "contact relationship": "relationship",
    "relation": "relationship",
    "dob": "date_of_birth",
    "contact dob": "date_of_birth",
    "contact date of birth": "date_of_birth",
    "lives with pupil": "lives_with_child",
    "lives with": "lives_with_child",
    "resides with pupil": "lives_with_child",
    "lives with the child": "lives_with_child",
    "has parental responsibility": "parental_responsibility",
    "pr": "parental_responsibility",
    "telephone": "phone",
    "telephone number": "phone",
    "phone number": "phone",
    "home telephone": "phone",
    "home phone": "phone",
    "contact telephone": "phone",
    "mobile phone": "mobile",
    "mobile number": "mobile",
    "mobile telephone": "mobile",
    "email address": "email",
    "e mail": "email",
    "e mail address": "email",
    "contact email": "email",
    "sibling": "sibling_upn",
    "sibling pupil upn": "sibling_upn",
    "notes": "note",
    "comments": "note",
})
MAX_LENGTH = {"name": 200, "relationship": 100, "email": 254, "note": 4000}


@dataclass(frozen=True)
class ContactRow:
    """One person in a child's family, as the file gives them.

    `values` holds MemberDraft fields, and only those with something in the cell: an MIS that
    leaves "Lives with pupil" empty does not know, so whatever the school recorded stays.
    """

    line: int
    upn: str
    name_key: str
    values: Mapping[str, object]
    sibling_upn: str | None


ContactFile = ImportFile[ContactRow]


def parse_contacts(text: str, *, today: date) -> ContactFile:
    """Every contact in the export, or every problem with it; a caller writes nothing unless errors is empty."""
    opened = open_file(text, ALIASES, REQUIRED, "contacts")
    if isinstance(opened, ImportFile):
        return opened
    headings = opened.headings
    errors = opened.errors
    rows: list[ContactRow] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, cells in opened.table.rows:
        row, row_errors = _read_contact(line, opened.cells(cells), headings, today)
        if extra := extra_cells_error(line, cells, len(opened.table.header)):
            row_errors.insert(0, extra)
        if row is not None:
            # Matching is by name within a child's family, so one name twice would be one person twice.
            key = (row.upn, row.name_key)
            if key in first_line:
                row_errors.append(RowError(line, headings["name"],
                                           f"{row.values['name']} is also on line {first_line[key]} for this "
                                           "pupil; keep one row per person."))
            else:
                first_line[key] = line
        if row_errors:
            errors.extend(row_errors)
        elif row is not None:
            rows.append(row)
    return ContactFile(rows=tuple(rows), errors=tuple(errors), headings=headings, ignored_columns=opened.ignored)


def _read_contact(line: int, raw: dict[str, str], headings: dict[str, str],
                  today: date) -> tuple[ContactRow | None, list[RowError]]:
    errors: list[RowError] = []
    values: dict[str, object] = {}

    def read(name: str, reader) -> object:  # noqa: ANN001
        try:
            return reader(raw[name])
        except ValueError as problem:
            errors.append(RowError(line, headings[name], str(problem)))
            return None

    upn = read("upn", read_upn)
    for name in ("name", "relationship", "email", "note"):
        if name in raw:
            text = read(name, lambda r, n=name: read_text(r, limit=MAX_LENGTH[n], lines_ok=n == "note"))
            if text:
                values[name] = text
    if "date_of_birth" in raw and (born := read("date_of_birth", read_optional_date)) is not None:
        values["date_of_birth"] = born
    for name in ("lives_with_child", "parental_responsibility"):
        if name in raw and (answer := read(name, parse_known_yes_no)) is not None:
            values[name] = answer

    # Exports often give a landline and a mobile: the mobile is the number a social worker rings,
    # and the landline is kept in the note rather than lost.
    numbers = {}
    for name in ("mobile", "phone"):
        number = read(name, read_text) if name in raw else ""
        if number and (problem := phone_problem(str(number))):
            errors.append(RowError(line, headings[name], f"{number!r}: {problem}"))
        elif number:
            numbers[name] = str(number)
    if numbers:
        values["phone"] = numbers.get("mobile") or numbers["phone"]
        if "mobile" in numbers and numbers.get("phone", numbers["mobile"]) != numbers["mobile"]:
            landline = f"Telephone: {numbers['phone']}"
            values["note"] = f"{values['note']}\n{landline}" if values.get("note") else landline

    sibling_upn = None
    if "sibling_upn" in raw and raw["sibling_upn"].strip():
        sibling_upn = read("sibling_upn", read_upn)
        if sibling_upn is not None and sibling_upn == upn:
            errors.append(RowError(line, headings["sibling_upn"],
                                   "The sibling UPN is this pupil's own UPN; a child cannot be their own sibling."))

    draft = MemberDraft(name=str(values.get("name", "")), relationship=str(values.get("relationship", "")),
                        date_of_birth=values.get("date_of_birth"),  # type: ignore[arg-type]
                        email=str(values.get("email", "")))
    # The same checks as the child's page, for the fields read above without one of their own.
    for name, reason in member_problems(draft, today).items():
        if name in ("name", "relationship") and any(e.column == headings[name] for e in errors):
            continue
        errors.append(RowError(line, headings.get(name, name), reason))
    if errors or upn is None:
        return None, errors
    return ContactRow(line=line, upn=str(upn), name_key=search_key(str(values["name"])), values=values,
                      sibling_upn=sibling_upn), errors
