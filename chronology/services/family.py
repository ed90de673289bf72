"""A child's family, professionals, details, attendance and what the family must not see: kept as versions.

Every change adds a version (models.versioned) with who, when and why, and an audit event that
names the fields changed but never their values: the audit log is not another copy of a family's
details. `stage_*` functions add to the session for an import to commit once; the rest commit.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import and_, func, select

from ..domain.family import (
    AttendanceDraft, DetailsDraft, MemberDraft, ProfessionalDraft, attendance_percent, attendance_problems,
    details_problems, member_problems, normal_nhs_number, professional_problems,
)
from ..extensions import db
from ..models import (
    AttendancePeriod, Child, ChildDetails, FamilyMember, InformationShared, LifeEvent, Observation, Professional,
    Referral, Review, User, WithheldFromFamily,
)
from ..models.versioned import Versioned
from . import ServiceError, audit, clock, prompts, submissions
from .casework import InvalidRecord

V = TypeVar("V", bound=Versioned)

# The audit log's name for each kind of record.
KIND_OF: dict[type, str] = {
    FamilyMember: "family-member", Professional: "professional", ChildDetails: "child-details",
    AttendancePeriod: "attendance", WithheldFromFamily: "withheld",
}
_BOOKKEEPING = frozenset({"id", "record_key", "number", "removed", "reason", "recorded_at", "source",
                          "school_id", "child_id", "recorded_by_id"})


def _content(row: Versioned) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs if c.key not in _BOOKKEEPING}


def record_view(model: type[V], child: Child, by: User, record_key: str, *, versions: bool = False) -> None:
    """Opening one record (to change it, or to read its history) is audited as reading a chronology is."""
    kind = KIND_OF[model]
    audit.record(f"{kind}.history-view" if versions else f"{kind}.view", user_id=by.id, school_id=child.school_id,
                 object_type=kind, child_id=child.id, detail={"record": record_key})
    db.session.commit()


def current(model: type[V], child: Child) -> list[V]:
    """The child's records of this kind as they stand now: the newest version of each, not removed."""
    newest = (select(model.record_key, func.max(model.number).label("number"))
              .where(model.child_id == child.id).group_by(model.record_key).subquery())
    rows = db.session.scalars(
        select(model).join(newest, (model.record_key == newest.c.record_key) & (model.number == newest.c.number))
        .order_by(model.id)
    )
    return [r for r in rows if not r.removed]


def history(model: type[V], child: Child, record_key: str) -> list[V]:
    """Every version of one record, oldest first; empty when the key is not this child's."""
    return list(db.session.scalars(
        select(model).where(model.child_id == child.id, model.record_key == record_key).order_by(model.number)
    ))


def _latest(model: type[V], child: Child, record_key: str) -> V | None:
    versions = history(model, child, record_key)
    return versions[-1] if versions else None


def stage_version(model: type[V], child: Child, by: User | None, values: dict[str, Any], *,
                  record_key: str | None = None, reason: str = "", removed: bool = False,
                  source: str = "") -> V | None:
    """Add the next version of a record (a new record without a key); None when nothing would change."""
    before = _latest(model, child, record_key) if record_key else None
    key = record_key or uuid.uuid4().hex
    if before is not None and not removed and not before.removed and _content(before) == values:
        return None
    if before is not None and removed and before.removed:
        return None
    row = model(record_key=key, number=(before.number + 1) if before else 1, school_id=child.school_id,
                child_id=child.id, recorded_by_id=by.id if by else None, reason=reason.strip(),
                removed=removed, source=source, **values)
    db.session.add(row)
    kind = KIND_OF[model]
    action = f"{kind}.remove" if removed else (f"{kind}.change" if before else f"{kind}.create")
    changed = sorted(k for k, v in values.items() if before is None or getattr(before, k) != v)
    audit.record(action, user_id=by.id if by else None, school_id=child.school_id, object_type=kind,
                 child_id=child.id, detail={"record": key, "version": row.number, "fields": changed,
                                            **({"source": source} if source else {})})
    return row


def _save(model: type[V], child: Child, by: User, values: dict[str, Any], *, record_key: str | None,
          reason: str, removed: bool = False, submission_key: str | None = None) -> V | None:
    """A new record's form sent twice (a double click, a resend) gives back the record already written."""
    if record_key is not None and _latest(model, child, record_key) is None:
        raise ServiceError("That record is not part of this child's file.")
    if record_key is not None and not reason.strip():
        raise InvalidRecord({"reason": "Say why this is being changed: the earlier version stays on record."})
    if record_key is None and submission_key:
        child_id = child.id
        return submissions.once(model, KIND_OF[model], submission_key, by,
                                lambda: _write(model, child, by, values, submission_key=submission_key),
                                same=lambda earlier: earlier.child_id == child_id)
    return _write(model, child, by, values, record_key=record_key, reason=reason, removed=removed)


def _write(model: type[V], child: Child, by: User, values: dict[str, Any], *, record_key: str | None = None,
           reason: str = "", removed: bool = False, submission_key: str | None = None) -> V | None:
    row = stage_version(model, child, by, values, record_key=record_key, reason=reason, removed=removed)
    if row is not None and submission_key:
        db.session.flush()
        submissions.claim(submission_key, by, KIND_OF[model], row.id)
    _reevaluate(child)
    db.session.commit()
    return row


def _reevaluate(child: Child) -> None:
    # A baby in the household (E16), the SEN need (E11) and attendance (E19) change what the rules
    # see, so the child's prompts are brought up to date in the same transaction as the change.
    prompts.reevaluate_with_change(child, clock.today())


# --- family and household ---------------------------------------------------------------------


def member_values(draft: MemberDraft) -> dict[str, Any]:
    values = asdict(draft)
    values["relationship_to_child"] = values.pop("relationship").strip()
    for text in ("name", "approximate_age", "phone", "email", "note"):
        values[text] = values[text].strip()
    return values


def _check_sibling(child: Child, sibling_child_id: int | None) -> dict[str, str]:
    if sibling_child_id is None:
        return {}
    sibling = db.session.get(Child, sibling_child_id)
    if sibling is None or sibling.school_id != child.school_id:
        return {"sibling": "Choose a child of this school, or leave the sibling link empty."}
    if sibling.id == child.id:
        return {"sibling": "A child cannot be their own sibling."}
    return {}


def save_member(child: Child, by: User, draft: MemberDraft, *, today: date, record_key: str | None = None,
                reason: str = "", submission_key: str | None = None) -> FamilyMember | None:
    errors = {**member_problems(draft, today), **_check_sibling(child, draft.sibling_child_id)}
    if errors:
        raise InvalidRecord(errors)
    return _save(FamilyMember, child, by, member_values(draft), record_key=record_key, reason=reason,
                 submission_key=submission_key)


def remove(model: type[V], child: Child, by: User, record_key: str, reason: str) -> None:
    """Take a record off the child's page: a version that says so, with the reason; the rest stays."""
    before = _latest(model, child, record_key)
    if before is None:
        raise ServiceError("That record is not part of this child's file.")
    if not reason.strip():
        raise InvalidRecord({"reason": "Say why this is being removed: it stays on record with your reason."})
    _save(model, child, by, _content(before), record_key=record_key, reason=reason, removed=True)


def siblings_at_school(child: Child) -> list[Child]:
    """Children of the same school linked to this one as a sibling, from either child's household."""
    linked_from_here = {m.sibling_child_id for m in current(FamilyMember, child) if m.sibling_child_id}
    newest = (select(FamilyMember.record_key, func.max(FamilyMember.number).label("number"))
              .where(FamilyMember.sibling_child_id == child.id).group_by(FamilyMember.record_key).subquery())
    linked_to_here = set(db.session.scalars(
        select(FamilyMember.child_id)
        .join(newest, (FamilyMember.record_key == newest.c.record_key) & (FamilyMember.number == newest.c.number))
        .where(FamilyMember.removed.is_(False), FamilyMember.sibling_child_id == child.id)
    ))
    ids = (linked_from_here | linked_to_here) - {child.id}
    if not ids:
        return []
    return list(db.session.scalars(
        select(Child).where(Child.id.in_(ids), Child.school_id == child.school_id)
        .order_by(Child.date_of_birth)
    ))


# --- professionals ----------------------------------------------------------------------------


def professional_values(draft: ProfessionalDraft) -> dict[str, Any]:
    values = asdict(draft)
    for text in ("name", "role_detail", "agency", "phone", "email", "note"):
        values[text] = values[text].strip()
    return values


def save_professional(child: Child, by: User, draft: ProfessionalDraft, *, record_key: str | None = None,
                      reason: str = "", submission_key: str | None = None) -> Professional | None:
    errors = professional_problems(draft)
    if errors:
        raise InvalidRecord(errors)
    return _save(Professional, child, by, professional_values(draft), record_key=record_key, reason=reason,
                 submission_key=submission_key)


# --- the child's details ----------------------------------------------------------------------


def details_key(child: Child) -> str:
    return f"details-{child.id}"


def details_of(child: Child) -> ChildDetails | None:
    return _latest(ChildDetails, child, details_key(child))


def details_values(draft: DetailsDraft) -> dict[str, Any]:
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in asdict(draft).items()}
    values["nhs_number"] = normal_nhs_number(values["nhs_number"])
    return values


def stage_details(child: Child, by: User | None, draft: DetailsDraft, *, reason: str = "",
                  source: str = "") -> ChildDetails | None:
    return stage_version(ChildDetails, child, by, details_values(draft), record_key=details_key(child),
                         reason=reason, source=source)


def save_details(child: Child, by: User, draft: DetailsDraft, *, reason: str = "") -> ChildDetails | None:
    errors = details_problems(draft)
    if details_of(child) is not None and not reason.strip():
        errors["reason"] = "Say why these details are changing: the earlier version stays on record."
    if errors:
        raise InvalidRecord(errors)
    row = stage_details(child, by, draft, reason=reason)
    _reevaluate(child)
    db.session.commit()
    return row


# --- attendance -------------------------------------------------------------------------------


def attendance_key(child: Child, start: date, end: date) -> str:
    return f"attendance-{child.id}-{start.isoformat()}-{end.isoformat()}"


def stage_attendance(child: Child, by: User | None, draft: AttendanceDraft, *, source: str = "",
                     reason: str = "") -> AttendancePeriod | None:
    assert draft.period_start and draft.period_end
    values = {"period_start": draft.period_start, "period_end": draft.period_end,
              "possible_sessions": draft.possible_sessions, "attended_sessions": draft.attended_sessions,
              "attendance_percent": attendance_percent(draft)}
    key = attendance_key(child, draft.period_start, draft.period_end)
    # A first version has no reason (nothing came before it); a later import says why it replaced one.
    if not reason and source and _latest(AttendancePeriod, child, key) is not None:
        reason = "updated by a later import"
    return stage_version(AttendancePeriod, child, by, values, record_key=key, source=source, reason=reason)


def record_attendance(child: Child, by: User, draft: AttendanceDraft, *, reason: str = "",
                      submission_key: str | None = None) -> AttendancePeriod | None:
    """A period typed in on the child's page; typing one already held corrects it, with the reason.
    The new-period form sent twice gives back the period its first send wrote."""
    sent_before = submissions.earlier(AttendancePeriod, "attendance", submission_key, by)
    if sent_before is not None and sent_before.child_id == child.id:
        return sent_before
    errors = attendance_problems(draft)
    if draft.period_start and draft.period_end and not errors and not reason.strip() \
            and _latest(AttendancePeriod, child, attendance_key(child, draft.period_start, draft.period_end)):
        errors["reason"] = "Say why this period's figures are changing: the earlier version stays on record."
    if errors:
        raise InvalidRecord(errors)
    if not submission_key:
        return _write_attendance(child, by, draft, reason, None)
    child_id = child.id
    return submissions.once(AttendancePeriod, "attendance", submission_key, by,
                            lambda: _write_attendance(child, by, draft, reason, submission_key),
                            same=lambda earlier: earlier.child_id == child_id)


def _write_attendance(child: Child, by: User, draft: AttendanceDraft, reason: str,
                      submission_key: str | None) -> AttendancePeriod | None:
    row = stage_attendance(child, by, draft, reason=reason.strip() or "corrected on the child's page")
    if row is not None and submission_key:
        db.session.flush()
        submissions.claim(submission_key, by, "attendance", row.id)
    _reevaluate(child)
    db.session.commit()
    return row


def attendance_of(child: Child) -> list[AttendancePeriod]:
    return sorted(current(AttendancePeriod, child), key=lambda a: a.period_start)


# --- not to be shared with the family ---------------------------------------------------------

WITHHOLDABLE: dict[str, type] = {
    "observation": Observation, "review": Review, "referral": Referral, "life-event": LifeEvent,
    "information-shared": InformationShared, "family-member": FamilyMember, "professional": Professional,
}


@dataclass(frozen=True)
class WithheldMark:
    record_type: str
    record_id: int
    reason: str
    marked_on: date
    marked_by: str


def mark_withheld(child: Child, by: User, record_type: str, record_id: int, withheld: bool, reason: str) -> None:
    """Mark (or unmark) a record as not to be shared with the family, with the reason."""
    model = WITHHOLDABLE.get(record_type)
    record = db.session.get(model, record_id) if model and 0 < record_id < 2**31 else None
    if record is None or record.child_id != child.id:
        raise ServiceError("That record is not part of this child's file.")
    # A family member or professional gets a new row with each change: the mark goes on the
    # record's first version, so it stays with the person however often their details change.
    record_id = stable_id(record)
    if not reason.strip():
        raise InvalidRecord({"reason": "Say why the family must not see this, so the receiving agency knows."
                             if withheld else "Say why the family may now see this."})
    stage_version(WithheldFromFamily, child, by,
                  {"record_type": record_type, "record_id": record_id, "withheld": withheld},
                  record_key=f"withheld-{record_type}-{record_id}", reason=reason)
    db.session.commit()


def withheld_marks(child: Child) -> list[WithheldMark]:
    return [WithheldMark(m.record_type, m.record_id, m.reason, m.recorded_at.date(),
                         m.recorded_by.name if m.recorded_by else "")
            for m in current(WithheldFromFamily, child) if m.withheld]


def stable_id(record: Any) -> int:
    """The id a mark refers to: a versioned record's first version, any other record's own id."""
    if isinstance(record, Versioned):
        model = type(record)
        return db.session.scalar(select(func.min(model.id)).where(model.record_key == record.record_key))
    return record.id


def version_in_child(model: type[V], child: Child, version_id: int) -> V | None:
    """A version of one of this child's records, by its id (any version), or None."""
    row = db.session.get(model, version_id) if 0 < version_id < 2**31 else None
    return row if row is not None and row.child_id == child.id else None


def as_it_stands(model: type[V], child: Child, version_id: int) -> V | None:
    """The newest version of the record that `version_id` (any of its versions) belongs to."""
    row = version_in_child(model, child, version_id)
    return _latest(model, child, row.record_key) if row is not None else None


def first_version_ids(model: type[V], child: Child) -> dict[str, int]:
    """record_key -> the id of its first version, for each of the child's records of this kind."""
    return dict(db.session.execute(
        select(model.record_key, func.min(model.id)).where(model.child_id == child.id).group_by(model.record_key)
    ).all())


def version_counts(model: type[V], child: Child) -> dict[str, int]:
    """record_key -> how many versions it has, for each of the child's records of this kind."""
    return dict(db.session.execute(
        select(model.record_key, func.count(model.id)).where(model.child_id == child.id).group_by(model.record_key)
    ).all())


def is_withheld(marks: list[WithheldMark], record_type: str, record_id: int) -> bool:
    return any(m.record_type == record_type and m.record_id == record_id for m in marks)


def child_by_upn(child: Child, upn: str) -> Child | None:
    """Another child of the same school with this UPN, for linking a sibling by it."""
    from ..domain.upn import clean_upn

    wanted = clean_upn(upn or "").upper()[:13]
    if not wanted:
        return None
    return db.session.scalar(select(Child).where(Child.school_id == child.school_id, Child.upn == wanted))


def find_sibling_options(child: Child, text: str) -> list[Child]:
    """Children of the same school whose name matches, for linking a sibling."""
    from ..domain.names import search_key

    wanted = search_key(text[:100])
    if not wanted:
        return []
    return list(db.session.scalars(
        select(Child).where(Child.school_id == child.school_id, Child.id != child.id,
                            and_(*[Child.search_key.contains(part, autoescape=True)
                                   for part in wanted.split()[:6]]))
        .order_by(Child.legal_surname, Child.legal_forename).limit(20)
    ))
