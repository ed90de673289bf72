"""Importing a school's MIS contacts (a child's family) and attendance figures: all or nothing, never doubled.

Each record is a versioned one (services.family): importing the same file again finds the same
records and adds a version only where something changed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import select

from ..domain.attendance_import import parse_attendance
from ..domain.contact_import import ContactFile, ContactRow, parse_contacts
from ..domain.family import AttendanceDraft, MemberDraft, attendance_percent, member_problems
from ..domain.names import search_key
from ..domain.pupil_import import RowError, UnreadableUpload
from ..extensions import db
from ..models import AttendancePeriod, Child, FamilyMember, School, User
from . import clock, family
from .imports import ImportReport, _commit, _text

LATER_IMPORT = "updated by a later import"


def _roll(school: School) -> dict[str, Child]:
    """The whole roll, leavers too: a leaver's family and attendance are still part of their record."""
    return {c.upn: c for c in db.session.scalars(select(Child).where(Child.school_id == school.id))}


def _not_on_roll(upn: str) -> str:
    return f"No child with the UPN {upn} is on this school's roll; import pupils first."


def _by_line(*found) -> tuple[RowError, ...]:  # noqa: ANN002
    """The file's problems and the roll's in one list, in the order of the file (headings first)."""
    return tuple(sorted((e for errors in found for e in errors), key=lambda e: e.line or 0))


# --- contacts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What one row will write: the child, the member it updates (None for a new one) and the values."""

    child: Child
    before: FamilyMember | None
    values: dict[str, Any]


def import_contacts(school: School, data: bytes | str, by: User | None, *,
                    today: date | None = None) -> ImportReport:
    """Add or update each child's family from the MIS contacts export; one bad row and nothing is written."""
    today = today or clock.today()
    try:
        parsed = parse_contacts(_text(data), today=today)
    except UnreadableUpload as problem:
        return ImportReport("contacts", errors=(RowError(None, "", str(problem)),))
    ignored = parsed.ignored_columns
    children = _roll(school)
    members = _current_members(school)
    # Rows whose format was fine are still checked against the roll, so one report lists everything.
    plans, errors = _plan_contacts(parsed, children, members, today)
    if errors or parsed.errors:
        return ImportReport("contacts", errors=_by_line(parsed.errors, errors), ignored_columns=ignored)

    created = updated = 0
    for plan in plans:
        staged = family.stage_version(FamilyMember, plan.child, by, plan.values,
                                      record_key=plan.before.record_key if plan.before else None,
                                      source="import", reason=LATER_IMPORT if plan.before else "")
        if plan.before is None:
            created += 1
        elif staged is not None:
            updated += 1
    report = ImportReport("contacts", created=created, updated=updated, unchanged=len(plans) - created - updated,
                          ignored_columns=ignored)
    _commit("contacts.import", school, by, report, rows=len(plans))
    return report


def _current_members(school: School) -> dict[int, dict[str, FamilyMember]]:
    """Each child's family as it stands, by folded name: the newest version of each record, not removed."""
    newest: dict[str, FamilyMember] = {}
    for version in db.session.scalars(select(FamilyMember).where(FamilyMember.school_id == school.id)
                                      .order_by(FamilyMember.number)):
        newest[version.record_key] = version
    found: dict[int, dict[str, FamilyMember]] = {}
    for member in sorted(newest.values(), key=lambda m: m.id):
        if not member.removed:
            found.setdefault(member.child_id, {}).setdefault(search_key(member.name), member)
    return found


def _plan_contacts(parsed: ContactFile, children: dict[str, Child], members: dict[int, dict[str, FamilyMember]],
                   today: date) -> tuple[list[_Plan], list[RowError]]:
    """What only the database can tell (is the child, and the sibling, on this roll), and what each row writes."""
    plans: list[_Plan] = []
    errors: list[RowError] = []
    for row in parsed.rows:
        child = children.get(row.upn)
        if child is None:
            errors.append(RowError(row.line, parsed.heading("upn"), _not_on_roll(row.upn)))
        sibling = children.get(row.sibling_upn) if row.sibling_upn else None
        if row.sibling_upn and sibling is None:
            errors.append(RowError(row.line, parsed.heading("sibling_upn"),
                                   f"No child with the sibling UPN {row.sibling_upn} is on this school's roll."))
        if child is None or (row.sibling_upn and sibling is None):
            continue
        before = members.get(child.id, {}).get(row.name_key)
        draft = _merged(before, row, sibling)
        # The page's checks on the record as it will stand, so an import can never save what the page refuses.
        for name, reason in member_problems(draft, today).items():
            errors.append(RowError(row.line, parsed.heading(name), reason))
        plans.append(_Plan(child, before, family.member_values(draft)))
    return plans, errors


def _merged(before: FamilyMember | None, row: ContactRow, sibling: Child | None) -> MemberDraft:
    """The file's answers over what the school recorded: an empty cell keeps what was known."""
    recorded: dict[str, Any] = {}
    if before is not None:
        recorded = {f.name: getattr(before, f.name) for f in fields(MemberDraft) if f.name != "relationship"}
        recorded["relationship"] = before.relationship_to_child
    values = {**recorded, **row.values}
    if before is not None and str(row.values["name"]).casefold() == before.name.casefold():
        # An export in capitals is the same person, not a new spelling to version.
        values["name"] = before.name
    if "date_of_birth" in row.values:
        values["due_date"] = None  # the baby has been born
    if before is not None and "note" in row.values:
        values["note"] = _added_lines(before.note, str(row.values["note"]))
    if sibling is not None:
        values["sibling_child_id"] = sibling.id
    return MemberDraft(**values)


def _added_lines(recorded: str, given: str) -> str:
    """A DSL's note stays; the file's lines not already in it are added below (so a second run adds none)."""
    lines = recorded.splitlines()
    extra = [line for line in given.splitlines() if line.strip() and line not in lines]
    return "\n".join([*lines, *extra]) if recorded.strip() else given


# --- attendance ----------------------------------------------------------------------------------


def import_attendance(school: School, data: bytes | str, by: User | None) -> ImportReport:
    """Add or update attendance per child and period from the MIS; one bad row and nothing is written."""
    try:
        parsed = parse_attendance(_text(data))
    except UnreadableUpload as problem:
        return ImportReport("attendance", errors=(RowError(None, "", str(problem)),))
    ignored = parsed.ignored_columns
    children = _roll(school)
    errors = [RowError(row.line, parsed.heading("upn"), _not_on_roll(row.upn))
              for row in parsed.rows if row.upn not in children]
    if errors or parsed.errors:
        return ImportReport("attendance", errors=_by_line(parsed.errors, errors), ignored_columns=ignored)

    recorded: dict[str, AttendancePeriod] = {}
    for version in db.session.scalars(select(AttendancePeriod).where(AttendancePeriod.school_id == school.id)
                                      .order_by(AttendancePeriod.number)):
        recorded[version.record_key] = version
    created = updated = 0
    for row in parsed.rows:
        child = children[row.upn]
        assert row.draft.period_start and row.draft.period_end
        before = recorded.get(family.attendance_key(child, row.draft.period_start, row.draft.period_end))
        if before is not None and not before.removed and _same_percent_only(before, row.draft):
            continue  # the same figure with fewer details: the sessions on record still stand
        staged = family.stage_attendance(child, by, row.draft, source="import")
        if before is None:
            created += 1
        elif staged is not None:
            updated += 1
    report = ImportReport("attendance", created=created, updated=updated,
                          unchanged=len(parsed.rows) - created - updated, ignored_columns=ignored)
    _commit("attendance.import", school, by, report, rows=len(parsed.rows))
    return report


def _same_percent_only(before: AttendancePeriod, draft: AttendanceDraft) -> bool:
    return (draft.possible_sessions is None and draft.attended_sessions is None
            and before.attendance_percent == attendance_percent(draft))
