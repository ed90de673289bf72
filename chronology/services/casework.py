"""The DSL's work: reviews, referrals, life events, significance, and reading a chronology."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..domain.chronology import ChronologyFilter, Entry, assemble, category_counts
from ..domain.vocabulary import (
    AGENCY_SLUGS, CONSENT_NOT_NEEDED_HARM, CONSENT_SLUGS, LIFE_EVENT_SLUGS, REFERRAL_STATUS_SLUGS,
    REFERRAL_DECISIONS, REFERRAL_KIND_SLUGS, REVIEW_DECISION_SLUGS, SCHOOL_SUPPORT_SLUGS, SHARING_METHOD_SLUGS,
)
from ..extensions import db
from ..models import (
    Child, InformationShared, LifeEvent, Observation, ObservationVersion, Referral, Review, School, User,
)
from . import ServiceError, audit, prompts, submissions


class InvalidRecord(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Some answers need attention.")
        self.errors = errors


def _check_date(errors: dict[str, str], name: str, value: date | None, child: Child, today: date,
                *, required: bool = True, future_ok: bool = False) -> None:
    if value is None:
        if required:
            errors[name] = "Enter a date, for example 27/03/2026."
        return
    if not future_ok and value > today:
        errors[name] = "This date cannot be in the future."
    elif value < child.date_of_birth:
        errors[name] = f"This date is before the child's date of birth ({child.date_of_birth:%d/%m/%Y})."


def record_review(observation: Observation, by: User, decision: str, reason: str,
                  decided_on: date | None, *, today: date, unreadable: dict[str, str] | None = None,
                  significant: bool = False, submission_key: str | None = None) -> Review:
    """`unreadable` carries fields the form could not parse, so every problem is reported at once.
    The same submission key twice (a double click, a resend) gives back the decision already recorded."""
    errors: dict[str, str] = {}
    if decision not in REVIEW_DECISION_SLUGS:
        errors["decision"] = "Choose a decision."
    if not reason.strip():
        errors["reason"] = (
            "Give the reason for this decision. A decision not to refer needs its reason recorded too."
        )
    _check_date(errors, "decided_on", decided_on, observation.child, today)
    errors.update(unreadable or {})
    if errors:
        raise InvalidRecord(errors)
    observation_id = observation.id
    return submissions.once(
        Review, "review", submission_key, by,
        lambda: _write_review(observation, by, decision, reason, decided_on, today, significant, submission_key),
        same=lambda earlier: earlier.observation_id == observation_id)


def _write_review(observation: Observation, by: User, decision: str, reason: str, decided_on: date | None,
                  today: date, significant: bool, submission_key: str | None) -> Review:
    review = Review(school_id=observation.school_id, child_id=observation.child_id,
                    observation_id=observation.id, decision=decision, reason=reason,
                    decided_on=decided_on, created_by=by, significant=significant)
    db.session.add(review)
    db.session.flush()
    submissions.claim(submission_key, by, "review", review.id)
    audit.record("review.create", user_id=by.id, school_id=observation.school_id, object_type="review",
                 object_id=review.id, child_id=observation.child_id,
                 detail={"decision": decision, "significant": significant})
    # The audit chain's lock before the observation's row, the order every writer takes them in
    # (marking a concern significant does the same); the other order could deadlock.
    db.session.flush()
    _mark_reviewed(observation, review)
    prompts.reevaluate_with_change(observation.child, today)
    db.session.commit()  # the record, its audit event and the prompts it changes, together
    return review


def _mark_reviewed(observation: Observation, review: Review) -> None:
    """The first review takes the concern off the DSL's queue; a later one keeps the first one's time.

    One conditional UPDATE, so two DSLs reviewing the same concern at once both succeed: the
    second finds the mark already set and changes nothing (the database refuses any change to it).
    """
    db.session.execute(
        update(Observation)
        .where(Observation.id == observation.id, Observation.reviewed_at.is_(None))
        .values(reviewed_at=review.created_at)
    )


@dataclass(frozen=True)
class ReferralDraft:
    agency: str
    agency_detail: str
    referred_on: date | None
    their_reference: str
    status: str
    outcome: str
    outcome_on: date | None
    follow_up_on: date | None
    observation_id: int | None = None
    # Consent and who knows (see models.referral); every answer may be given later, before export.
    parents_told: str = ""
    why_not_told: str = ""
    consent: str = ""
    consent_by: str = ""
    consent_covers: str = ""
    consent_reason: str = ""
    child_views: str = ""
    level_of_need: str = ""
    by_phone: bool = False
    kind: str = ""


def _referral_problems(draft: ReferralDraft, child: Child, today: date, kept_level: str = "") -> dict[str, str]:
    school = db.session.get(School, child.school_id)
    levels = school.need_level_names if school else []
    if kept_level and kept_level not in levels:
        # The school renamed its levels since: a referral keeps the level it was judged at.
        levels = [*levels, kept_level]
    errors: dict[str, str] = {}
    if draft.agency not in AGENCY_SLUGS:
        errors["agency"] = "Choose who the referral was made to."
    if draft.agency == "other" and not draft.agency_detail.strip():
        errors["agency_detail"] = "Say which agency, since you chose Other."
    for name, limit in (("agency_detail", 200), ("their_reference", 100), ("consent_by", 200)):
        # The columns' sizes: a long paste is a message beside the field, not a database error.
        if len(getattr(draft, name).strip()) > limit:
            errors[name] = f"Keep this under {limit} characters."
    if draft.status not in REFERRAL_STATUS_SLUGS:
        errors["status"] = "Choose the status of the referral."
    _check_date(errors, "referred_on", draft.referred_on, child, today)
    _check_date(errors, "outcome_on", draft.outcome_on, child, today, required=False)
    _check_date(errors, "follow_up_on", draft.follow_up_on, child, today, required=False, future_ok=True)
    if draft.referred_on and draft.outcome_on and draft.outcome_on < draft.referred_on:
        errors["outcome_on"] = "The outcome date cannot be before the referral date."
    if draft.outcome_on and not draft.outcome.strip():
        errors["outcome"] = "Describe the outcome, since you gave its date."
    if draft.kind not in REFERRAL_KIND_SLUGS:
        errors["kind"] = "Choose what the referral asks for."
    errors.update(consent_problems(draft, levels))
    return errors


def consent_problems(draft: ReferralDraft, levels: list[str]) -> dict[str, str]:
    """Answers that contradict themselves; an answer left empty is allowed until export."""
    errors: dict[str, str] = {}
    if draft.parents_told not in ("", "yes", "no"):
        errors["parents_told"] = "Answer yes or no: were the parents or carers told about this referral?"
    elif draft.parents_told == "no" and not draft.why_not_told.strip():
        errors["why_not_told"] = "Say why the parents or carers were not told."
    if draft.consent not in ("", *CONSENT_SLUGS):
        errors["consent"] = "Choose whether consent to share was given, refused or not needed."
    elif draft.consent == "given" and not draft.consent_by.strip():
        errors["consent_by"] = "Say who gave consent to share, for example the mother."
    elif draft.consent == "not-needed" and not draft.consent_reason.strip():
        errors["consent_reason"] = f"Say why consent was not needed, for example: {CONSENT_NOT_NEEDED_HARM}."
    if draft.level_of_need and draft.level_of_need not in levels:
        errors["level_of_need"] = "Choose one of the levels of need: " + ", ".join(levels) + "."
    return errors


def consent_missing(referral: Referral) -> list[str]:
    """What a referral still needs answered before its written form can go to the agency."""
    missing: list[str] = []
    if referral.parents_told not in ("yes", "no"):
        missing.append("whether the parents or carers were told")
    if referral.consent not in CONSENT_SLUGS:
        missing.append("whether consent to share was given, refused or not needed")
    return missing


def record_referral(child: Child, by: User, draft: ReferralDraft, *, today: date,
                    unreadable: dict[str, str] | None = None, submission_key: str | None = None) -> Referral:
    """The same submission key twice (a double click, a resend) gives back the referral already recorded."""
    errors = {**_referral_problems(draft, child, today), **(unreadable or {})}
    if errors:
        raise InvalidRecord(errors)
    child_id = child.id
    return submissions.once(Referral, "referral", submission_key, by,
                            lambda: _write_referral(child, by, draft, today, submission_key),
                            same=lambda earlier: earlier.child_id == child_id)


def _write_referral(child: Child, by: User, draft: ReferralDraft, today: date, submission_key: str | None) -> Referral:
    referral = Referral(school_id=child.school_id, child_id=child.id, created_by=by)
    _apply_referral(referral, draft)
    db.session.add(referral)
    db.session.flush()
    submissions.claim(submission_key, by, "referral", referral.id)
    audit.record("referral.create", user_id=by.id, school_id=child.school_id, object_type="referral",
                 object_id=referral.id, child_id=child.id, detail={"agency": draft.agency})
    prompts.reevaluate_with_change(child, today)
    db.session.commit()  # the record, its audit event and the prompts it changes, together
    return referral


def update_referral(referral: Referral, child: Child, by: User, draft: ReferralDraft, *, today: date,
                    unreadable: dict[str, str] | None = None) -> Referral:
    """Referral outcomes arrive later; every change is audited with what it was before."""
    errors = {**_referral_problems(draft, child, today, referral.level_of_need), **(unreadable or {})}
    if errors:
        raise InvalidRecord(errors)
    before = _referral_snapshot(referral)
    _apply_referral(referral, draft)
    after = _referral_snapshot(referral)
    changed = {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}
    audit.record("referral.update", user_id=by.id, school_id=child.school_id, object_type="referral",
                 object_id=referral.id, child_id=child.id, detail=changed)
    prompts.reevaluate_with_change(child, today)
    db.session.commit()  # the record, its audit event and the prompts it changes, together
    return referral


def _apply_referral(referral: Referral, draft: ReferralDraft) -> None:
    referral.agency = draft.agency
    referral.agency_detail = draft.agency_detail.strip()
    referral.referred_on = draft.referred_on  # type: ignore[assignment]
    referral.their_reference = draft.their_reference.strip()
    referral.status = draft.status
    referral.outcome = draft.outcome
    referral.outcome_on = draft.outcome_on
    referral.follow_up_on = draft.follow_up_on
    for name in CONSENT_FIELDS:
        value = getattr(draft, name)
        setattr(referral, name, value.strip() if isinstance(value, str) else value)
    if draft.observation_id is not None:
        referral.observation_id = draft.observation_id


CONSENT_FIELDS = ("kind", "parents_told", "why_not_told", "consent", "consent_by", "consent_covers", "consent_reason",
                  "child_views", "level_of_need", "by_phone")


def _referral_snapshot(referral: Referral) -> dict[str, str]:
    fields = ("agency", "agency_detail", "referred_on", "their_reference", "status", "outcome",
              "outcome_on", "follow_up_on", *CONSENT_FIELDS)
    return {f: str(getattr(referral, f) or "") for f in fields}


def record_life_event(child: Child, by: User, kind: str, occurred_on: date | None, note: str,
                      significant: bool, *, today: date, unreadable: dict[str, str] | None = None,
                      ended_on: date | None = None, support: str = "",
                      submission_key: str | None = None) -> LifeEvent:
    """The same submission key twice (a double click, a resend) gives back the event already recorded."""
    errors: dict[str, str] = {}
    if kind not in LIFE_EVENT_SLUGS:
        errors["kind"] = "Choose what happened."
    if kind == "other" and not note.strip():
        errors["note"] = "Describe what happened, since you chose Other."
    if kind == "school-support" and support not in SCHOOL_SUPPORT_SLUGS:
        errors["support"] = "Choose which support the school gives."
    if kind != "school-support":
        support, ended_on = "", None
    _check_date(errors, "occurred_on", occurred_on, child, today)
    _check_date(errors, "ended_on", ended_on, child, today, required=False, future_ok=True)
    if occurred_on and ended_on and ended_on < occurred_on:
        errors["ended_on"] = "The support cannot end before it started."
    errors.update(unreadable or {})
    if errors:
        raise InvalidRecord(errors)
    child_id = child.id
    return submissions.once(
        LifeEvent, "life-event", submission_key, by,
        lambda: _write_life_event(child, by, LifeEvent(
            school_id=child.school_id, child_id=child.id, kind=kind, occurred_on=occurred_on, note=note,
            significant=significant, created_by=by, ended_on=ended_on, support=support), today, submission_key),
        same=lambda earlier: earlier.child_id == child_id)


def _write_life_event(child: Child, by: User, event: LifeEvent, today: date, submission_key: str | None) -> LifeEvent:
    kind = event.kind
    db.session.add(event)
    db.session.flush()
    submissions.claim(submission_key, by, "life-event", event.id)
    audit.record("life-event.create", user_id=by.id, school_id=child.school_id, object_type="life-event",
                 object_id=event.id, child_id=child.id, detail={"kind": kind})
    prompts.reevaluate_with_change(child, today)
    db.session.commit()  # the record, its audit event and the prompts it changes, together
    return event


SIGNIFICANT_MODELS = {"observation": Observation, "referral": Referral, "life-event": LifeEvent, "review": Review,
                      "information-shared": InformationShared}


@dataclass(frozen=True)
class SharingDraft:
    """Information shared with another agency outside a referral, as the DSL typed it."""

    shared_on: date | None
    with_name: str
    with_agency: str
    method: str
    what: str
    significant: bool = True


def record_information_shared(child: Child, by: User, draft: SharingDraft, *, today: date,
                              unreadable: dict[str, str] | None = None,
                              submission_key: str | None = None) -> InformationShared:
    """Who it went to, what, when and how; written once, audited, and never changed after. The same
    submission key twice (a double click, a resend) gives back what was already recorded."""
    errors: dict[str, str] = {}
    _check_date(errors, "shared_on", draft.shared_on, child, today)
    if not draft.with_agency.strip():
        errors["with_agency"] = "Say which agency or organisation the information was shared with."
    for name in ("with_name", "with_agency"):
        if len(getattr(draft, name).strip()) > 200:
            errors[name] = "Keep this under 200 characters."
    if draft.method not in SHARING_METHOD_SLUGS:
        errors["method"] = "Choose how the information was shared."
    if not draft.what.strip():
        errors["what"] = "Say what information was shared."
    errors.update(unreadable or {})
    if errors:
        raise InvalidRecord(errors)
    child_id = child.id
    return submissions.once(InformationShared, "information-shared", submission_key, by,
                            lambda: _write_information_shared(child, by, draft, submission_key),
                            same=lambda earlier: earlier.child_id == child_id)


def _write_information_shared(child: Child, by: User, draft: SharingDraft,
                              submission_key: str | None) -> InformationShared:
    shared = InformationShared(school_id=child.school_id, child_id=child.id, shared_on=draft.shared_on,
                               with_name=draft.with_name.strip(), with_agency=draft.with_agency.strip(),
                               method=draft.method, what=draft.what, significant=draft.significant, created_by=by)
    db.session.add(shared)
    db.session.flush()
    submissions.claim(submission_key, by, "information-shared", shared.id)
    # The audit log says that something was shared and how, never with whom or what: it is not a copy.
    audit.record("information-shared.create", user_id=by.id, school_id=child.school_id,
                 object_type="information-shared", object_id=shared.id, child_id=child.id,
                 detail={"method": draft.method})
    db.session.commit()  # the record and its audit event, together
    return shared


def mark_significant(child: Child, by: User, record_type: str, record_id: int, significant: bool) -> None:
    model = SIGNIFICANT_MODELS.get(record_type)
    record = db.session.get(model, record_id) if model else None
    if record is None or record.child_id != child.id:
        raise ServiceError("That record is not part of this child's chronology.")
    record.significant = significant
    audit.record("significant.mark" if significant else "significant.unmark", user_id=by.id,
                 school_id=child.school_id, object_type=record_type, object_id=record_id, child_id=child.id)
    db.session.commit()


@dataclass(frozen=True)
class ChronologyView:
    child: Child
    entries: list[Entry]
    summary: list[tuple[str, int, date, date]]
    total: int


def chronology_for(child: Child, viewer: User, wanted: ChronologyFilter) -> ChronologyView:
    """Everything about one child, in a fixed number of queries, and the view audited.

    The view is audited (and committed) before the records are loaded: a commit afterwards would
    expire every loaded record, and the page would then reload each one (an N+1 of ~2.6 queries per entry).
    """
    audit.record("chronology.view", user_id=viewer.id, school_id=child.school_id, object_type="child",
                 object_id=child.id, child_id=child.id,
                 detail={"filter": {"from": wanted.date_from, "to": wanted.date_to,
                                    "categories": sorted(wanted.categories),
                                    "significant_only": wanted.significant_only}})
    db.session.commit()
    records = load_child_records(child)
    entries = entries_from(records, with_reviews=True)
    shown = assemble(entries, wanted)
    return ChronologyView(child=child, entries=shown, summary=category_counts(shown), total=len(entries))


@dataclass(frozen=True)
class ChildRecords:
    """Everything written about one child, loaded together."""

    observations: list[Observation]
    reviews: list[Review]
    referrals: list[Referral]
    life_events: list[LifeEvent]
    shared: list[InformationShared] = field(default_factory=list)


def load_child_records(child: Child) -> ChildRecords:
    """Five queries whatever the number of records (the page and the PDF both stand on this)."""
    observations = list(db.session.scalars(
        select(Observation).where(Observation.child_id == child.id)
        .options(selectinload(Observation.versions).selectinload(ObservationVersion.recorded_by),
                 selectinload(Observation.created_by))
    ))
    reviews = list(db.session.scalars(
        select(Review).where(Review.child_id == child.id).options(selectinload(Review.created_by))
        .order_by(Review.decided_on, Review.id)
    ))
    referrals = list(db.session.scalars(
        select(Referral).where(Referral.child_id == child.id).options(selectinload(Referral.created_by))
        .order_by(Referral.referred_on, Referral.id)
    ))
    life_events = list(db.session.scalars(
        select(LifeEvent).where(LifeEvent.child_id == child.id).options(selectinload(LifeEvent.created_by))
    ))
    shared = list(db.session.scalars(
        select(InformationShared).where(InformationShared.child_id == child.id)
        .options(selectinload(InformationShared.created_by))
    ))
    return ChildRecords(observations, reviews, referrals, life_events, shared)


def entries_from(records: ChildRecords, *, with_reviews: bool) -> list[Entry]:
    """Chronology entries; a review or referral carries the categories of the concern it answers."""
    categories_of = {o.id: frozenset(o.current.categories) for o in records.observations}
    entries = [
        Entry("observation", o.current.occurred_on, o.current.occurred_time, o.first.recorded_at,
              categories_of[o.id], o.significant, o, ref=f"observation-{o.id}")
        for o in records.observations
    ]
    if with_reviews:
        entries += [
            _review_entry(r, categories_of, r.significant) for r in records.reviews
        ]
    entries += [
        Entry("referral", r.referred_on, None, r.created_at,
              categories_of.get(r.observation_id or -1, frozenset()), r.significant, r, ref=f"referral-{r.id}",
              answers=f"observation-{r.observation_id}" if r.observation_id else "")
        for r in records.referrals
    ]
    entries += [
        Entry("life-event", e.occurred_on, None, e.created_at, frozenset(), e.significant, e, ref=f"life-event-{e.id}")
        for e in records.life_events
    ]
    entries += [
        Entry("information-shared", i.shared_on, None, i.created_at, frozenset(), i.significant, i,
              ref=f"information-shared-{i.id}")
        for i in records.shared
    ]
    return entries


def _review_entry(review: Review, categories_of: dict[int, frozenset[str]], significant: bool) -> Entry:
    return Entry("review", review.decided_on, None, review.created_at,
                 categories_of.get(review.observation_id, frozenset()), significant, review,
                 ref=f"review-{review.id}", answers=f"observation-{review.observation_id}")


def decisions_standing_alone(records: ChildRecords) -> list[Entry]:
    """Decisions a significant-events chronology lists on their own line, as significant entries.

    A decision sits in its concern's "outcome" when the concern is listed. When the concern was not
    marked significant, the decision is listed by itself if it was marked significant, or if it was a
    decision not to refer: statutory guidance asks for that decision, and its reason, as much as a referral.
    """
    concern_marked = {o.id: o.significant for o in records.observations}
    categories_of = {o.id: frozenset(o.current.categories) for o in records.observations}
    return [_review_entry(r, categories_of, True) for r in records.reviews
            if not concern_marked.get(r.observation_id, False)
            and (r.significant or r.decision not in REFERRAL_DECISIONS)]


def children_of(school: School) -> list[Child]:
    stmt = select(Child).where(Child.school_id == school.id).order_by(Child.legal_surname, Child.legal_forename)
    return list(db.session.scalars(stmt))
