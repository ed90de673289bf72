"""Importing a DSL's past reviews, referrals and life events from paper or another system: all or nothing.

Imported records keep the date they happened and carry imported_at, so a chronology can say
"imported on" rather than pretend they were written on the import day. Running the same file
again skips what an earlier run imported.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update

from ..domain.casework_import import CaseworkFile, CaseworkRow, parse_casework
from ..domain.pupil_import import RowError, UnreadableUpload
from ..extensions import db
from ..models import Child, LifeEvent, Observation, ObservationVersion, Referral, Review, School, User
from ..models.types import utcnow
from . import clock, prompts
from .casework import ReferralDraft, consent_problems
from .imports import ImportReport, _commit, _text, _users_by_email, roll_and_staff_problems

# Dates each kind of record carries, by the column that gives them.
_DATES = ("date", "concern_date", "outcome_on", "follow_up_on", "ended_on")


def import_casework(school: School, data: bytes | str, by: User | None, *,
                    today: date | None = None) -> ImportReport:
    """Add past casework for this school's children; one bad row and nothing is written."""
    today = today or clock.today()
    try:
        parsed = parse_casework(_text(data), today=today)
    except UnreadableUpload as problem:
        return ImportReport("casework", errors=(RowError(None, "", str(problem)),))
    ignored = parsed.ignored_columns
    children = {upn: (child_id, born) for child_id, upn, born in db.session.execute(
        select(Child.id, Child.upn, Child.date_of_birth).where(Child.school_id == school.id))}
    users = _users_by_email(school, {row.recorded_by for row in parsed.rows})
    concerns = _concerns_by_day(school, {children[r.upn][0] for r in parsed.rows
                                         if r.record == "review" and r.upn in children})
    # Rows whose format was fine are still checked against the records, so one report lists everything.
    errors = [*parsed.errors, *_check_against_records(parsed, school, children, users, concerns)]
    if errors:
        errors.sort(key=lambda e: e.line or 0)
        return ImportReport("casework", errors=tuple(errors), ignored_columns=ignored)

    done = _already_imported(school)
    fresh: list[tuple[str, dict[str, Any]]] = []
    for row in parsed.rows:
        child_id = children[row.upn][0]
        record = _values(row, child_id, school, users[row.recorded_by], concerns)
        key = _key(row.record, record)
        if key not in done:
            done.add(key)
            fresh.append((row.record, record))
    _insert(fresh)
    report = ImportReport("casework", created=len(fresh), already_imported=len(parsed.rows) - len(fresh),
                          ignored_columns=ignored)
    _commit("casework.import", school, by, report, rows=len(parsed.rows))
    if fresh:
        # Past referrals and life events change what the prompts say (help in place, a referral awaited).
        prompts.reevaluate_school(school, today)
    return report


def _concerns_by_day(school: School, child_ids: set[int]) -> dict[tuple[int, date], int]:
    """The first concern recorded about each child on each day (as it stands now), for a review to answer."""
    if not child_ids:
        return {}
    newest = (select(ObservationVersion.observation_id, func.max(ObservationVersion.number).label("number"))
              .where(ObservationVersion.child_id.in_(child_ids))
              .group_by(ObservationVersion.observation_id).subquery())
    stmt = (
        select(Observation.id, Observation.child_id, ObservationVersion.occurred_on)
        .join(ObservationVersion, ObservationVersion.observation_id == Observation.id)
        .join(newest, (newest.c.observation_id == ObservationVersion.observation_id)
              & (newest.c.number == ObservationVersion.number))
        .where(Observation.school_id == school.id, Observation.child_id.in_(child_ids))
        .order_by(Observation.id)
    )
    found: dict[tuple[int, date], int] = {}
    for observation_id, child_id, occurred_on in db.session.execute(stmt):
        found.setdefault((child_id, occurred_on), observation_id)
    return found


def _check_against_records(parsed: CaseworkFile, school: School, children: dict[str, tuple[int, date]],
                           users: dict[str, int], concerns: dict[tuple[int, date], int]) -> list[RowError]:
    """What only the database can tell: the child on this roll, the writer on its staff, the concern answered."""
    errors: list[RowError] = []
    levels = school.need_level_names
    for row in parsed.rows:
        child = children.get(row.upn)
        errors.extend(roll_and_staff_problems(row, parsed.heading, children, users))
        if row.record == "referral":
            for name, reason in consent_problems(_consent_draft(row, levels), levels).items():
                errors.append(RowError(row.line, parsed.heading(name), reason))
        if child is None:
            continue
        child_id, born = child
        for name in _DATES:
            when = row.on if name == "date" else getattr(row, name, None)
            if isinstance(when, date) and when < born:
                errors.append(RowError(row.line, parsed.heading(name),
                                       f"{when:%d/%m/%Y} is before the child's date of birth ({born:%d/%m/%Y})."))
        if row.record == "review":
            day = row.concern_date or row.on
            if (child_id, day) not in concerns:
                errors.append(RowError(row.line, parsed.heading("concern_date" if row.concern_date else "date"), (
                    f"No concern about this child is recorded on {day:%d/%m/%Y} for this review to answer. "
                    "Import the concern first (the history import), or give the concern's date in a "
                    "concern_date column.")))
    return errors


def _consent_draft(row: CaseworkRow, levels: list[str]) -> ReferralDraft:
    answers = row.consent_answers
    # A level of need written in other capitals is the school's level, not a new one.
    wanted = answers.get("level_of_need", "")
    answers["level_of_need"] = next((level for level in levels if level.casefold() == wanted.casefold()), wanted)
    return ReferralDraft(agency=row.agency, agency_detail=row.agency_detail, referred_on=row.on,
                         their_reference=row.their_reference, status=row.status, outcome=row.outcome,
                         outcome_on=row.outcome_on, follow_up_on=row.follow_up_on, **answers)


def _values(row: CaseworkRow, child_id: int, school: School, user_id: int,
            concerns: dict[tuple[int, date], int]) -> dict[str, Any]:
    """The record's columns as the DSL's own forms would have written them."""
    common: dict[str, Any] = {"school_id": school.id, "child_id": child_id, "created_by_id": user_id}
    if row.record == "review":
        return {**common, "observation_id": concerns[(child_id, row.concern_date or row.on)],
                "decision": row.kind, "reason": row.note, "decided_on": row.on}
    if row.record == "referral":
        draft = _consent_draft(row, school.need_level_names)
        answers = {name: getattr(draft, name).strip() for name in row.consent_answers}
        return {**common, "agency": row.agency, "agency_detail": row.agency_detail, "referred_on": row.on,
                "their_reference": row.their_reference, "status": row.status, "outcome": row.outcome,
                "outcome_on": row.outcome_on, "follow_up_on": row.follow_up_on, "significant": row.significant,
                **answers}
    return {**common, "kind": row.kind, "occurred_on": row.on, "note": row.note, "significant": row.significant,
            "support": row.support, "ended_on": row.ended_on}


# What makes a record the same one again. A referral is who referred the child to which agency on
# which day: its status and outcome may have been brought up to date on the child's page since it
# was imported, and the same file run again must still not add it twice. Reviews and life events
# are never changed after they are written, so the whole record identifies them.
_IDENTITY = {
    "review": ("child_id", "observation_id", "decision", "reason", "decided_on", "created_by_id"),
    "referral": ("child_id", "agency", "referred_on", "created_by_id"),
    "life-event": ("child_id", "kind", "occurred_on", "note", "support", "ended_on", "created_by_id"),
}
_MODELS: dict[str, type] = {"review": Review, "referral": Referral, "life-event": LifeEvent}


def _key(record: str, values: dict[str, Any]) -> tuple[object, ...]:
    return (record, *(values[name] for name in _IDENTITY[record]))


def _already_imported(school: School) -> set[tuple[object, ...]]:
    """Earlier imports at this school, so running the same file twice does not double a child's casework."""
    done: set[tuple[object, ...]] = set()
    for record, model in _MODELS.items():
        columns = [getattr(model, name) for name in _IDENTITY[record]]
        stmt = select(*columns).where(model.school_id == school.id, model.imported_at.is_not(None))
        done.update((record, *row) for row in db.session.execute(stmt))
    return done


def _insert(fresh: list[tuple[str, dict[str, Any]]]) -> None:
    """One INSERT per kind of record; the concerns a review answers leave the DSL's queue, as a review's do."""
    now = utcnow()
    for record, model in _MODELS.items():
        rows = [{**values, "imported_at": now, "created_at": now} for kind, values in fresh if kind == record]
        if rows:
            db.session.execute(insert(model), rows)
    answered = {values["observation_id"] for kind, values in fresh if kind == "review"}
    if answered:
        db.session.execute(update(Observation)
                           .where(Observation.id.in_(answered), Observation.reviewed_at.is_(None))
                           .values(reviewed_at=now))
