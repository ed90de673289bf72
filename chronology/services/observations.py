"""Logging a concern, correcting it, and who may read it."""

from __future__ import annotations

import json
from datetime import date
from typing import Iterable

from flask import abort
from sqlalchemy import and_, literal_column, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..domain.names import display_name, namesake_counts, query_terms, search_key
from ..domain.observation_rules import ObservationDraft, problems
from ..extensions import db
from ..models import AuditEvent, Child, Membership, Observation, ObservationVersion, School, User
from ..models.types import utcnow
from . import ServiceError, audit, drafts, prompts
from .paging import Page, paginate
from .rows import insert_loaded


class InvalidObservation(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Some answers need attention.")
        self.errors = errors


class CorrectedMeanwhile(ServiceError):
    """Someone else saved a correction after this one's page was opened: theirs is `current`."""

    def __init__(self, current: ObservationVersion) -> None:
        super().__init__("This record was corrected by someone else while you were writing.")
        self.current = current


def find_children(school: School, query: str, limit: int = 10) -> list[Child]:
    """Children at this school whose names contain every typed fragment."""
    terms = query_terms(query[:100])[:6]  # a name has a few parts; more only costs the database
    if not terms:
        return []
    stmt = select(Child).where(Child.school_id == school.id, Child.left_on.is_(None))
    for term in terms:
        stmt = stmt.where(Child.search_key.contains(term, autoescape=True))
    stmt = stmt.order_by(Child.legal_surname, Child.legal_forename, Child.id).limit(limit)
    return list(db.session.scalars(stmt))


def namesakes(child: Child) -> int:
    """How many other children on the roll are shown by the same name, so the chooser can warn."""
    return namesakes_among(child.school_id, [child]).get(child.id, 0)


def namesakes_among(school_id: int, children: Iterable[Child]) -> dict[int, int]:
    """For the children a list page shows: how many others at the school each shares a name with,
    in one query whatever the length of the list. A child with a count needs telling apart (year
    and date of birth). Children who have left count only when shown themselves."""
    shown = {child.id: child for child in children}
    if not shown:
        return {}
    # A folded name ends with the folded surname (see Child.refresh_search_key), so this finds every
    # possible namesake with accents and capitals set aside on both databases; the domain decides.
    surnames = {search_key(child.legal_surname) for child in shown.values()}
    candidates = db.session.execute(
        select(Child.id, Child.legal_forename, Child.preferred_forename, Child.legal_surname)
        .where(Child.school_id == school_id, or_(Child.left_on.is_(None), Child.id.in_(shown)),
               or_(*(Child.search_key.endswith(f" {surname}", autoescape=True) for surname in surnames)))
    ).all()
    return namesake_counts(
        ((child.id, child.display_name) for child in shown.values()),
        ((row.id, display_name(row.legal_forename, row.preferred_forename, row.legal_surname))
         for row in candidates))


def _storable_id(record_id: int | None) -> bool:
    """An id a URL may carry but no INTEGER column can hold is simply not found (not a 500)."""
    return record_id is not None and 0 < record_id < 2**31


def child_in_school(school: School, child_id: int | None) -> Child:
    """The child, only if on this school's roll; otherwise a 404 that reveals nothing."""
    child = db.session.get(Child, child_id) if _storable_id(child_id) else None
    if child is None or child.school_id != school.id:
        audit.record_denial(404, school_id=school.id, object_type="child", object_id=child_id,
                            child_id=child.id if child else None, reason="not-in-school")
        abort(404)
    return child


def problems_for(draft: ObservationDraft, child: Child | None, *, today: date) -> dict[str, str]:
    """What is wrong with a draft; without a chosen child, the birth-date check waits."""
    return problems(draft, date_of_birth=child.date_of_birth if child else date.min, today=today)


def record_observation(school: School, child: Child, author: User, draft: ObservationDraft,
                       *, today: date, submission_key: str | None = None, ends_draft: bool = True) -> Observation:
    """Write a new concern. The same submission key twice (a double click, the back button) gives
    back the one already written instead of a second copy. `ends_draft`: the form showed words
    kept from an ended session, so sending it ends that draft (the form says whether it did,
    which saves every other concern an UPDATE)."""
    errors = problems(draft, date_of_birth=child.date_of_birth, today=today)
    if errors:
        raise InvalidObservation(errors)
    try:
        observation = _insert_observation(school, child, author, draft, submission_key)
    except IntegrityError:
        # The key is unique, so the database itself says when this form was sent before (a double
        # click, the back button, two sends at the same moment): give back the one already written.
        # Asking first would cost every concern a query for what almost never happens.
        db.session.rollback()
        earlier = _by_submission_key(submission_key, author) if submission_key else None
        if earlier is None:
            raise
        return earlier
    created = audit.values("observation.create", user_id=author.id, school_id=school.id,
                           object_type="observation", object_id=observation.id, child_id=child.id,
                           detail={"urgent": draft.urgent})
    if ends_draft:
        drafts.sent(author)
    # One commit: the concern, its audit event, the prompts it raises and the end of any kept draft.
    prompts.reevaluate_with_change(child, today, events=[created])
    _commit_keeping_loaded()
    return observation


def _insert_observation(school: School, child: Child, author: User, draft: ObservationDraft,
                        submission_key: str | None) -> Observation:
    """The concern and its first version, written as two plain INSERTs (see `rows`): the one path
    every member of staff takes."""
    now = utcnow()
    observation = insert_loaded(Observation, dict(
        school_id=school.id, child_id=child.id, created_by_id=author.id, created_at=now,
        urgent=draft.urgent, origin="logged", submission_key=submission_key, significant=False))
    # The version's guard makes its child the observation's: here both are this child, by hand.
    version = insert_loaded(ObservationVersion, dict(
        _version_values(draft, number=1, reason=""), observation_id=observation.id, child_id=child.id,
        recorded_at=now, recorded_by_id=author.id), listeners_done_by_caller=True)
    set_committed_value(observation, "versions", [version])
    return observation


def _commit_keeping_loaded() -> None:
    """Commit without expiring what this session holds: the new record's values are the ones just
    written, and reading them back (to redirect to it) would cost a query for nothing."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _by_submission_key(key: str, author: User) -> Observation | None:
    found = db.session.scalar(select(Observation).where(Observation.submission_key == key))
    return found if found is not None and found.created_by_id == author.id else None


def amend_observation(observation: Observation, by: User, draft: ObservationDraft, reason: str,
                      *, today: date, based_on: int | None = None) -> ObservationVersion:
    """A correction is a new version; the old one stays, readable to the DSL.

    `based_on` is the version the corrector's page showed. If another correction was saved since,
    this one is refused (`CorrectedMeanwhile`) rather than silently laid over it."""
    errors = problems(draft, date_of_birth=observation.child.date_of_birth, today=today)
    if not reason.strip():
        errors["reason"] = "Say why you are correcting this record."
    if errors:
        raise InvalidObservation(errors)
    # The lock every writer takes: two corrections saved at once are read one after the other, so
    # the second sees the first's version and is refused, instead of failing as a passing fault.
    audit.lock_chain(observation.school_id)
    latest = db.session.scalars(select(ObservationVersion).where(ObservationVersion.observation_id == observation.id)
                                .order_by(ObservationVersion.number.desc()).limit(1)).one()
    if based_on is not None and latest.number != based_on:
        db.session.rollback()
        raise CorrectedMeanwhile(latest)
    version = _version_from(draft, number=latest.number + 1, author=by, reason=reason.strip())
    observation.versions.append(version)
    db.session.flush()
    audit.record("observation.amend", user_id=by.id, school_id=observation.school_id,
                 object_type="observation", object_id=observation.id, child_id=observation.child_id,
                 detail={"version": version.number})
    prompts.reevaluate_with_change(observation.child, today)
    db.session.commit()
    return version


def _version_from(draft: ObservationDraft, *, number: int, author: User, reason: str) -> ObservationVersion:
    return ObservationVersion(**_version_values(draft, number=number, reason=reason), recorded_by=author)


def _version_values(draft: ObservationDraft, *, number: int, reason: str) -> dict[str, object]:
    assert draft.occurred_on is not None  # checked by problems()
    return dict(
        number=number,
        occurred_on=draft.occurred_on,
        occurred_time=draft.occurred_time,
        occurred_approx=draft.occurred_approx,
        location=draft.location.strip(),
        categories_text=ObservationVersion.join_categories(list(draft.categories)),
        source=draft.source,
        first_hand=bool(draft.first_hand),
        # Kept exactly as typed: no trimming inside, no rewording, ever.
        description=draft.description,
        child_voice=draft.child_voice,
        action_taken=draft.action_taken,
        reason=reason,
    )


def draft_from(observation: Observation) -> ObservationDraft:
    v = observation.current
    return ObservationDraft(
        occurred_on=v.occurred_on, occurred_time=v.occurred_time, occurred_approx=v.occurred_approx,
        location=v.location, categories=tuple(v.categories), source=v.source, first_hand=v.first_hand,
        description=v.description, child_voice=v.child_voice, action_taken=v.action_taken,
        urgent=observation.urgent,
    )


def visible_observation(user: User, school: School, observation_id: int, roles: frozenset[str]) -> Observation:
    """An observation this user may read: a DSL reads all at their school, staff only their own."""
    observation = db.session.get(
        Observation, observation_id,
        options=[selectinload(Observation.versions).selectinload(ObservationVersion.recorded_by)],
    ) if _storable_id(observation_id) else None
    if observation is not None and observation.school_id == school.id and (
            "dsl" in roles or observation.created_by_id == user.id):
        return observation
    audit.record_denial(404, user_id=user.id, school_id=school.id, object_type="observation",
                        object_id=observation_id, child_id=observation.child_id if observation else None,
                        reason="not-visible")
    abort(404)


def written_by(user: User, school: School) -> list[Observation]:
    stmt = (
        select(Observation)
        .where(Observation.school_id == school.id, Observation.created_by_id == user.id)
        .options(selectinload(Observation.versions), selectinload(Observation.child))
        .order_by(Observation.created_at.desc(), Observation.id.desc())
    )
    return list(db.session.scalars(stmt))


def unreviewed(school: School, *, page: int = 1) -> Page[Observation]:
    """The DSL's queue: urgent first, then oldest first, so nothing waits unseen.

    A concern waits until its first review sets `reviewed_at`. The two conditions are written as
    literals, exactly as the partial index `ix_observations_queue` states them, so both databases
    read the queue from that small index instead of checking every concern for a review.
    History moved from paper or another system was dealt with there, so it does not queue here.
    """
    stmt = (
        select(Observation)
        .where(Observation.school_id == school.id, Observation.reviewed_at.is_(None),
               Observation.origin == literal_column("'logged'"))
        .options(selectinload(Observation.versions), selectinload(Observation.child),
                 selectinload(Observation.created_by))
        .order_by(Observation.urgent.desc(), Observation.created_at, Observation.id)
    )
    return paginate(stmt, page)


def dsl_emails(school: School) -> list[str]:
    stmt = (
        select(User.email).join(Membership)
        .where(and_(Membership.school_id == school.id, Membership.role == "dsl", User.active.is_(True)))
        .distinct().order_by(User.email)
    )
    return list(db.session.scalars(stmt))


def alert_dsls(observation: Observation, link: str) -> bool:
    """Email the school's DSLs a link at once; True when the mail server took it."""
    from .notify import AlertNotSent, send_urgent_alert

    school = db.session.get(School, observation.school_id)
    recipients = dsl_emails(school)
    sent = False
    error = ""
    if recipients:
        try:
            send_urgent_alert(recipients, school.name, link)
            sent = True
        except AlertNotSent as problem:
            error = str(problem)
    audit.record("alert.sent" if sent else "alert.failed", user_id=None, school_id=school.id,
                 object_type="observation", object_id=observation.id, child_id=observation.child_id,
                 detail={"recipients": len(recipients), "error": error} if not sent else {"recipients": len(recipients)})
    db.session.commit()
    return sent


ALERT_ACTIONS = ("alert.sent", "alert.failed")


def _last_alerts(school_id: int, child_ids: set[int]) -> dict[int, AuditEvent]:
    """The latest alert event of each urgent concern about these children, read through the audit
    log's child index: the log is the one record of whether the mail server took the alert."""
    if not child_ids:
        return {}
    stmt = (select(AuditEvent)
            .where(AuditEvent.child_id.in_(child_ids), AuditEvent.school_id == school_id,
                   AuditEvent.object_type == "observation", AuditEvent.action.in_(ALERT_ACTIONS))
            .order_by(AuditEvent.id))
    return {event.object_id: event for event in db.session.scalars(stmt)}


def alert_outcome(observation: Observation) -> str:
    """What became of an urgent concern's email to the DSLs: "sent", "not-sent", "no-dsl" or "" (none tried)."""
    event = _last_alerts(observation.school_id, {observation.child_id}).get(observation.id)
    if event is None:
        return ""
    if event.action == "alert.sent":
        return "sent"
    detail = json.loads(event.detail) if event.detail else {}
    return "no-dsl" if detail.get("recipients") == 0 else "not-sent"


def alerts_not_sent(school: School) -> list[Observation]:
    """Urgent concerns still waiting for review whose email to the DSLs did not go, oldest first:
    the DSL's home page shows them above everything else until they are reviewed."""
    waiting = list(db.session.scalars(
        select(Observation)
        .where(Observation.school_id == school.id, Observation.reviewed_at.is_(None),
               Observation.origin == literal_column("'logged'"), Observation.urgent.is_(True))
        .options(selectinload(Observation.child), selectinload(Observation.created_by),
                 selectinload(Observation.versions))
        .order_by(Observation.created_at, Observation.id)))
    last = _last_alerts(school.id, {o.child_id for o in waiting})
    return [o for o in waiting if o.id in last and last[o.id].action == "alert.failed"]


def record_view(observation: Observation, viewer: User) -> None:
    """Reading a concern is audited just as reading a whole chronology is."""
    audit.record("observation.view", user_id=viewer.id, school_id=observation.school_id,
                 object_type="observation", object_id=observation.id, child_id=observation.child_id)
    db.session.commit()
