"""Importing pupils from the MIS and past concerns from paper or another system: all or nothing.

Contacts and attendance are in imports_family, past casework in imports_casework; all share the
report and the one audit event per import written here.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from ..domain.family import DetailsDraft
from ..domain.observation_import import ObservationFile, ObservationRow, parse_observations
from ..domain.observation_rules import ObservationDraft, problems
from ..domain.pupil_import import (DETAIL_FIELDS, PupilFile, PupilRow, RowError, UnreadableUpload, decode_upload,
                                   parse_pupils)
from ..extensions import db
from ..models import AuditEvent, Child, Membership, Observation, ObservationVersion, School, User
from ..models.types import utcnow
from . import ServiceError, audit, clock, family, prompts
from .accounts import normalise_email


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or every reason it did nothing."""

    kind: str  # "pupils", "observations", "contacts", "attendance" or "casework"
    errors: tuple[RowError, ...] = ()
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Observations already imported by an earlier run of the same file; skipped, not doubled.
    already_imported: int = 0
    # Pupils on the roll the file did not mention; left as they were, never removed.
    not_in_file: int = 0
    ignored_columns: tuple[str, ...] = ()
    # When every row was there already and this very file was imported before: when, and by whom.
    earlier: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors if e.line is not None})

    def summary(self) -> str:
        if not self.ok:
            where = f" on {_count(self.bad_lines, 'line')}" if self.bad_lines else ""
            return f"Nothing was imported: {_count(len(self.errors), 'problem')} found{where}."
        if self.kind in NOUNS:
            text = f"{_count(self.created, NOUNS[self.kind])} added, {self.updated} updated, {self.unchanged} unchanged."
            if self.not_in_file:
                text += f" {_count(self.not_in_file, 'pupil')} on the roll but not in this file: left unchanged."
            return text
        if self.earlier and not self.created:
            return f"Already imported {self.earlier}: nothing new in this file, so nothing was added."
        text = f"{_count(self.created, 'record')} imported."
        if self.already_imported:
            text += f" Skipped {_count(self.already_imported, 'record')} imported by an earlier run."
        return text


# What an import that updates in place counts; the others (past records) only ever add.
NOUNS = {"pupils": "pupil", "contacts": "contact", "attendance": "attendance period"}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _text(data: bytes | str) -> str:
    return decode_upload(data) if isinstance(data, bytes) else data


# --- pupils --------------------------------------------------------------------------------------

# A Child starts with these where the file has no column for them; an update leaves them alone.
NEW_CHILD_DEFAULTS: dict[str, object] = {"preferred_forename": None, "send": False, "cp_plan": "none"}


def import_pupils(school: School, data: bytes | str, by: User | None, *, today: date | None = None) -> ImportReport:
    """Add or update the school's pupils from its MIS export; one bad row and nothing is written."""
    try:
        parsed = parse_pupils(_text(data), today=today or clock.today())
    except UnreadableUpload as problem:
        return ImportReport("pupils", errors=(RowError(None, "", str(problem)),))
    ignored = parsed.ignored_columns
    if parsed.errors:
        return ImportReport("pupils", errors=parsed.errors, ignored_columns=ignored)
    try:
        return _write_pupils(school, parsed, by)
    except (IntegrityError, OperationalError) as error:
        # Only another writer of the same pupils at the same moment gets here (the lock below makes
        # imports wait for each other, and SQLite gives up waiting after its busy timeout); the
        # transaction is gone, so nothing of this file was written.
        db.session.rollback()
        if isinstance(error, OperationalError) and "locked" not in str(error.orig).lower():
            raise
        return ImportReport("pupils", errors=(RowError(None, "", IMPORT_BUSY),), ignored_columns=ignored)


IMPORT_BUSY = ("Another import for this school was running and this one could not wait for it to finish. "
               "Nothing was imported from this file: run it again in a minute.")


def _write_pupils(school: School, parsed: PupilFile, by: User | None) -> ImportReport:
    ignored = parsed.ignored_columns
    # Two imports of one school at once take turns: the second reads the roll only after the first
    # has committed, so it updates the pupils the first added instead of adding them again. The
    # audit chain's lock is the one every writer already takes, so it serialises nothing new.
    audit.lock_chain(school.id)
    # One query for the whole roll (leavers too, so a returning pupil is matched, not doubled).
    on_roll = {c.upn: c for c in db.session.scalars(select(Child).where(Child.school_id == school.id))}
    added: list[Child] = []
    changed: list[Child] = []
    for row in parsed.rows:
        child = on_roll.get(row.upn)
        if child is None:
            child = Child(school_id=school.id, upn=row.upn, **NEW_CHILD_DEFAULTS)
            _apply(child, row)
            added.append(child)
        elif _apply(child, row):
            changed.append(child)
    db.session.add_all(added)
    if any(row.details for row in parsed.rows):
        db.session.flush()  # a new child's details are keyed by its id
        children = {c.upn: c for c in [*on_roll.values(), *added]}
        changed += [children[row.upn] for row in parsed.rows
                    if row.details and _stage_details(children[row.upn], row, by)]
    updated = len({id(c) for c in changed} - {id(c) for c in added})
    unchanged = len(parsed.rows) - len(added) - updated
    seen = {row.upn for row in parsed.rows}
    missing = sum(1 for upn, child in on_roll.items() if upn not in seen and child.left_on is None)
    report = ImportReport("pupils", created=len(added), updated=updated, unchanged=unchanged,
                          not_in_file=missing, ignored_columns=ignored)
    _commit("pupils.import", school, by, report, rows=len(parsed.rows))
    return report


def _apply(child: Child, row: PupilRow) -> bool:
    """Copy the file's values onto the child; True when anything changed."""
    changed = False
    for name, value in row.values.items():
        if getattr(child, name) != value:
            setattr(child, name, value)
            changed = True
    if changed:
        child.refresh_search_key()
    return changed


def _stage_details(child: Child, row: PupilRow, by: User | None) -> bool:
    """The file's details over what is recorded (an empty cell keeps it); True when a version was added."""
    before = family.details_of(child)
    values = {name: getattr(before, name) if before else getattr(DetailsDraft(), name) for name in DETAIL_FIELDS}
    values.update(row.details)
    staged = family.stage_details(child, by, DetailsDraft(**values), source="import",  # type: ignore[arg-type]
                                  reason="updated by a later import" if before else "")
    return staged is not None


# --- observations --------------------------------------------------------------------------------


def import_observations(school: School, data: bytes | str, by: User | None, *,
                        today: date | None = None) -> ImportReport:
    """Add past concerns for this school's children; one bad row and nothing is written."""
    try:
        parsed = parse_observations(_text(data))
    except UnreadableUpload as problem:
        return ImportReport("observations", errors=(RowError(None, "", str(problem)),))
    ignored = parsed.ignored_columns
    children = {upn: (child_id, born) for child_id, upn, born in db.session.execute(
        select(Child.id, Child.upn, Child.date_of_birth).where(Child.school_id == school.id))}
    users = _users_by_email(school, {row.recorded_by for row in parsed.rows})
    # Rows whose format was fine are still checked against the records, so one report lists everything.
    errors = [*parsed.errors, *_check_against_records(parsed, children, users, today or clock.today())]
    if errors:
        errors.sort(key=lambda e: e.line or 0)
        return ImportReport("observations", errors=tuple(errors), ignored_columns=ignored)

    file_hash = hashlib.sha256(data if isinstance(data, bytes) else data.encode("utf-8")).hexdigest()
    try:
        # Two imports at once take turns (the lock every writer takes), so the second reads what
        # the first stored and skips it; the rows' keys, unique in the database, are what make
        # sure no row is ever stored twice, whatever else goes wrong.
        audit.lock_chain(school.id)
        done = _already_imported(school)
        fresh: list[tuple[ObservationRow, str]] = []
        copies: Counter[_Key] = Counter()
        for row in parsed.rows:
            key = _key(row, children[row.upn][0], users[row.recorded_by])
            copies[key] += 1
            if key not in done:
                fresh.append((row, _row_key(school, key, copies[key])))
        _insert_observations(school, fresh, children, users)
        report = ImportReport("observations", created=len(fresh), already_imported=len(parsed.rows) - len(fresh),
                              ignored_columns=ignored, earlier="" if fresh else _imported_before(school, file_hash))
        _commit("observations.import", school, by, report, rows=len(parsed.rows), file_sha256=file_hash)
    except IntegrityError:
        db.session.rollback()
        return ImportReport("observations", errors=(RowError(None, "", IMPORT_BUSY),), ignored_columns=ignored)
    if fresh:
        # Moved history counts towards patterns at once, not only at the next nightly run.
        prompts.reevaluate_school(school, today or clock.today())
    return report


def _users_by_email(school: School, wanted: set[str]) -> dict[str, int]:
    """User ids at this school for each address the file names (leavers included: history is theirs)."""
    stmt = select(User.email, User.id).join(Membership).where(Membership.school_id == school.id).distinct()
    by_email = {email: user_id for email, user_id in db.session.execute(stmt)}
    found: dict[str, int] = {}
    for address in wanted:
        try:
            normal = normalise_email(address)
        except ServiceError:
            continue
        if normal in by_email:
            found[address] = by_email[normal]
    return found


def roll_and_staff_problems(row: Any, heading: Callable[[str], str], children: dict[str, Any],
                            users: dict[str, int]) -> list[RowError]:
    """A history row's child must be on this school's roll and its writer on this school's staff."""
    errors: list[RowError] = []
    if row.upn not in children:
        errors.append(RowError(row.line, heading("upn"),
                               f"No child with the UPN {row.upn} is on this school's roll; import pupils first."))
    if row.recorded_by not in users:
        errors.append(RowError(row.line, heading("recorded_by"), f"{row.recorded_by} is not a user of this school."))
    return errors


def _check_against_records(parsed: ObservationFile, children: dict[str, tuple[int, date]],
                           users: dict[str, int], today: date) -> list[RowError]:
    """What only the database can tell: is the child on this roll, the writer on this staff, the date possible."""
    errors: list[RowError] = []
    for row in parsed.rows:
        child = children.get(row.upn)
        errors.extend(roll_and_staff_problems(row, parsed.heading, children, users))
        if child is not None:
            # The same rules as a concern logged by hand, so the two can never disagree.
            for name, reason in problems(_draft(row), date_of_birth=child[1], today=today).items():
                errors.append(RowError(row.line, parsed.heading(name), reason))
    return errors


def _draft(row: ObservationRow) -> ObservationDraft:
    return ObservationDraft(
        occurred_on=row.occurred_on, occurred_time=None, occurred_approx=False, location="",
        categories=row.categories, source=row.source, first_hand=row.first_hand,
        description=row.description, child_voice=row.child_voice, action_taken=row.action_taken,
    )


_Key = tuple[int, date, str, str, str, str, str, int]


def _key(row: ObservationRow, child_id: int, user_id: int) -> _Key:
    return (child_id, row.occurred_on, ObservationVersion.join_categories(list(row.categories)), row.source,
            row.description, row.child_voice, row.action_taken, user_id)


def _already_imported(school: School) -> set[_Key]:
    """Earlier imports at this school, so running the same file twice does not double a child's history."""
    stmt = (
        select(Observation.child_id, ObservationVersion.occurred_on, ObservationVersion.categories_text,
               ObservationVersion.source, ObservationVersion.description, ObservationVersion.child_voice,
               ObservationVersion.action_taken, ObservationVersion.recorded_by_id)
        .join(ObservationVersion, ObservationVersion.observation_id == Observation.id)
        .where(Observation.school_id == school.id, Observation.origin == "imported",
               ObservationVersion.number == 1)
    )
    return {tuple(r) for r in db.session.execute(stmt)}  # type: ignore[misc]


def _row_key(school: School, key: _Key, copy: int) -> str:
    """The key an imported row is stored under, unique in the database: the school, what the row
    says, and which copy it is of rows that say the same (a file may not repeat a row exactly, but two
    rows may differ only in what the key leaves out, such as whether it was seen first hand)."""
    return hashlib.sha256(json.dumps([school.id, *key, copy], default=str).encode("utf-8")).hexdigest()


def _imported_before(school: School, file_hash: str) -> str:
    """"on 03/12/2026 at 09:14 by Jo Admin" when this very file was imported here before, else ""."""
    for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.school_id == school.id, AuditEvent.action == "observations.import")
            .order_by(AuditEvent.id)):
        if json.loads(event.detail or "{}").get("file_sha256") == file_hash:
            who = db.session.get(User, event.user_id).name if event.user_id else "a command-line import"
            return f"on {event.at.astimezone(clock.UK):%d/%m/%Y at %H:%M} by {who}"
    return ""


def _insert_observations(school: School, rows: list[tuple[ObservationRow, str]],
                         children: dict[str, tuple[int, date]], users: dict[str, int]) -> None:
    """Bulk inserts: a hundred thousand rows as a few hundred statements, not a unit-of-work per object."""
    if not rows:
        return
    now = utcnow()
    heads = [
        {"school_id": school.id, "child_id": children[r.upn][0], "created_by_id": users[r.recorded_by],
         "created_at": now, "urgent": False, "origin": "imported", "significant": False, "submission_key": key}
        for r, key in rows
    ]
    ids = db.session.scalars(
        insert(Observation).returning(Observation.id, sort_by_parameter_order=True), heads
    ).all()
    versions = [
        {"observation_id": observation_id, "child_id": children[r.upn][0], "number": 1,
         "occurred_on": r.occurred_on, "occurred_time": None,
         "occurred_approx": False, "location": "",
         "categories_text": ObservationVersion.join_categories(list(r.categories)), "source": r.source,
         "first_hand": r.first_hand, "description": r.description, "child_voice": r.child_voice,
         "action_taken": r.action_taken, "recorded_at": now, "recorded_by_id": users[r.recorded_by],
         "reason": ""}
        for observation_id, (r, _) in zip(ids, rows, strict=True)
    ]
    db.session.execute(insert(ObservationVersion), versions)


# --- both ----------------------------------------------------------------------------------------


def _commit(action: str, school: School, by: User | None, report: ImportReport, *, rows: int,
            **extra: str) -> None:
    """One audit event for the whole import, with its counts, committed with the rows themselves."""
    audit.record(action, user_id=by.id if by else None, school_id=school.id, object_type="school",
                 object_id=school.id, detail={"rows": rows, "created": report.created, "updated": report.updated,
                                              "unchanged": report.unchanged,
                                              "already_imported": report.already_imported, **extra})
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
