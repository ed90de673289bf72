"""Pattern prompts in the app: evaluate the rules on a child's records and keep the DSL's prompts.

How stored prompts follow the rules (one row per child and rule, never one per observation):

- The rule fires and there is no prompt: a prompt is raised, open, with its evidence.
- The rule keeps firing on an open or acknowledged prompt: the same prompt is updated with
  the new evidence. An acknowledged prompt goes back to open when evidence arrives that it had
  not shown before: acknowledging meant "I have seen this", not "I have seen what came later".
- The rule fires on a dismissed or actioned prompt: it stays as the DSL left it unless the
  evidence now includes a record it had never shown (`seen_evidence`); then it is raised again.
- The rule stops firing (its windows moved on, a referral was recorded, the rule was switched
  off): the prompt is kept, with `firing` false, and leaves the DSL's lists. What the DSL did is
  never erased. If the rule fires again later, an unanswered prompt is raised afresh and an
  answered one again needs evidence it had not seen.

Every raise, update, re-raise and lapse is audited (user_id None: the system did it), as is
every acknowledgement, action, dismissal and settings change (by the person who made it).
Rules a school switches off are also left out of every list at once; changed thresholds apply
to a child when their records next change, and to every child at the nightly evaluate-prompts.
"""

from __future__ import annotations

from ..domain.ids import MAX_ID, record_id

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date

from flask import abort, current_app
from sqlalchemy import (
    Boolean, CompoundSelect, Date, Float, Integer, Select, String, Text, and_, bindparam, case, cast, false,
    func, literal_column, select, union_all,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased, selectinload

from ..domain.prompts import (
    REVIEW_DECISIONS_READ,
    RULE_IDS,
    RULE_NAMES,
    AttendanceFact,
    ChildRecords,
    HouseholdMemberFact,
    LifeEventFact,
    ObservationFact,
    ReferralFact,
    ReviewFact,
    RuleSettings,
    defaults,
    evaluate,
    has_quotation,
    rule_number,
    settings_problems,
    settings_with,
    window_start,
)
from ..domain.prompts import Cited, cite, merge_groups
from ..domain.prompts import Prompt as RulePrompt
from ..domain.prompts.rules import UNHEARD_SOURCES
from ..domain.prompts import InvalidSettings as InvalidRuleSettings
from ..domain.vocabulary import STRENGTH_CATEGORY
from ..extensions import db
from ..models import (
    AttendancePeriod, AuditEvent, Child, ChildDetails, FamilyMember, LifeEvent, ObservationVersion, Prompt,
    PromptSetting, Referral, Review, School, User,
)
from ..models.prompt import ANSWERED_STATUSES, OPEN_STATUSES, join_refs
from ..models.types import utcnow
from . import ServiceError, audit
from .paging import Page, paginate
from .rows import insert_loaded

CHUNK = 500  # children loaded at a time by a whole-school evaluation


# --- Reading a child's records as facts -------------------------------------------------------


def child_flags(child: Child) -> frozenset[str]:
    """The child's context flags in the rules' words (send, child-in-need, cp-plan-current ...)."""
    flags = {attr.replace("_", "-") for attr in (
        "send", "disability", "eal", "looked_after", "child_in_need", "early_help_plan", "young_carer",
    ) if getattr(child, attr)}
    if child.cp_plan in ("current", "past"):
        flags.add(f"cp-plan-{child.cp_plan}")
    return frozenset(flags)


_LATER = aliased(ObservationVersion, name="later_version")
_IDS = bindparam("ids", expanding=True)
_SINCE = bindparam("since", type_=Date)


def _versions_statement(since: bool) -> Select:
    # Versions only: each carries its child, so a child's concerns are an index range
    # (child_id, occurred_on), whatever the size of the school or trust.
    version = ObservationVersion
    # Two facts only some observations need, so the others cost nothing: the description of one
    # the child told us (E10 looks for a quotation in it), and, for one from wider family or the
    # community, the day a DSL decision first answered it (E14).
    told_by_child = case((version.source == "child", version.description), else_="")
    answered = case((version.source.in_(sorted(UNHEARD_SOURCES)),
                     select(func.min(Review.decided_on)).where(Review.observation_id == version.observation_id)
                     .scalar_subquery()), else_=None)
    stmt = (
        select(version.observation_id.label("id"), version.child_id, version.occurred_on,
               version.categories_text.label("categories_text"), version.source, version.child_voice,
               told_by_child.label("told_by_child"), answered.label("answered_on"))
        .where(version.child_id.in_(_IDS))
        .order_by(version.observation_id, version.number)
    )
    if since:
        # Only current versions (no later version exists), and only those on or after `since`:
        # a correction may have moved a concern's date, and only the current date counts.
        stmt = stmt.outerjoin(_LATER, and_(_LATER.observation_id == version.observation_id,
                                           _LATER.number > version.number)).where(
            _LATER.id.is_(None), version.occurred_on >= _SINCE)
    return stmt


def _casework_statement(since: bool) -> CompoundSelect:
    """Reviews, referrals and life events in one query (one round trip, not three): each row says
    which it is, and the columns that kind lacks are NULL."""
    no_text, no_day, no_ref = cast(None, String), cast(None, Date), cast(None, Integer)
    # Most reviews decide "monitor" or "speak to a parent"; the rules read only those that gave help.
    reviews = (select(literal_column("'review'").label("kind"), Review.id, Review.child_id,
                      Review.decision.label("text1"), no_text.label("text2"), no_text.label("text3"),
                      Review.decided_on.label("day1"), no_day.label("day2"), no_day.label("day3"),
                      Review.observation_id.label("ref"))
               .where(Review.child_id.in_(_IDS), Review.decision.in_(sorted(REVIEW_DECISIONS_READ))))
    if since:
        reviews = reviews.where(Review.decided_on >= _SINCE)
    referrals = (select(literal_column("'referral'"), Referral.id, Referral.child_id, Referral.agency,
                        Referral.status, Referral.kind, Referral.referred_on, Referral.outcome_on,
                        Referral.follow_up_on, no_ref)
                 .where(Referral.child_id.in_(_IDS)))
    # In-school support runs to ended_on, and says which support it is.
    events = (select(literal_column("'life-event'"), LifeEvent.id, LifeEvent.child_id, LifeEvent.kind,
                     LifeEvent.support, no_text, LifeEvent.occurred_on, LifeEvent.ended_on, no_day, no_ref)
              .where(LifeEvent.child_id.in_(_IDS)))
    both = union_all(reviews, referrals, events)
    return both.order_by(both.selected_columns.kind, both.selected_columns.id)


def _current(model: type, *columns) -> Select:  # noqa: ANN001
    """The current version of each of the children's records of a kind, as services.family.current
    reads them for one child, for many children at once: a version no later version replaced."""
    later = aliased(model, name=f"later_{model.__tablename__}")
    return (select(*columns)
            .outerjoin(later, and_(later.record_key == model.record_key, later.number > model.number))
            .where(model.child_id.in_(_IDS), later.id.is_(None), model.removed.is_(false())))


def _context_statement() -> CompoundSelect:
    """The child's details, household members with a date of birth or due date, and attendance
    figures, current versions only, in one query: E11, E16 and E19 read them. Each is a handful
    of rows per child, so they are read whole."""
    no_text, no_day = cast(None, Text), cast(None, Date)
    no_number, no_flag = cast(None, Float), cast(None, Boolean)
    details = _current(ChildDetails, literal_column("'details'").label("kind"), ChildDetails.child_id,
                       cast(ChildDetails.sen_primary_need, Text).label("text1"),
                       cast(ChildDetails.communication_needs, Text).label("text2"),
                       no_day.label("day1"), no_day.label("day2"), no_number.label("number"),
                       no_flag.label("flag"), ChildDetails.id.label("id"))
    members = _current(FamilyMember, literal_column("'member'"), FamilyMember.child_id, no_text, no_text,
                       FamilyMember.date_of_birth, FamilyMember.due_date, no_number,
                       FamilyMember.lives_with_child, FamilyMember.id).where(
        (FamilyMember.date_of_birth.is_not(None)) | (FamilyMember.due_date.is_not(None)))
    attendance = _current(AttendancePeriod, literal_column("'attendance'"), AttendancePeriod.child_id, no_text,
                          no_text, AttendancePeriod.period_start, AttendancePeriod.period_end,
                          cast(AttendancePeriod.attendance_percent, Float), no_flag, AttendancePeriod.id)
    every = union_all(details, members, attendance)
    return every.order_by(every.selected_columns.kind, every.selected_columns.id)


# Built once: these run on every write, and building a statement costs more than running it.
_VERSIONS = {since: _versions_statement(since) for since in (False, True)}
_CASEWORK = {since: _casework_statement(since) for since in (False, True)}
_CONTEXT = _context_statement()


def records_for(children: Sequence[Child], since: date | None = None) -> dict[int, ChildRecords]:
    """Each child's records as the rules read them: three queries however many children.

    With `since`, concerns that happened before it are left unread (see `horizon`), and so are
    reviews decided before it (the rules count a review only inside a window, as they count
    concerns); referrals and life events are few and are always read whole. Only the reviews the
    rules read (`REVIEW_DECISIONS_READ`) are read at all. The child's details, household and
    attendance are few rows a child and are read whole, in the third query.
    """
    ids = [c.id for c in children]
    if not ids:
        return {}
    # Plain rows straight from the connection: these are values for the rules, not objects to
    # track, and skipping the ORM's row handling halves the time for a long history. Pending
    # changes (the record being written) are flushed first, as an ORM query would have.
    _flush_records()
    connection = db.session.connection()
    values = {"ids": ids, "since": since} if since is not None else {"ids": ids}
    latest: dict[int, tuple] = {}
    # Fetched at once, not a round of fetchone per row.
    for row in connection.execute(_VERSIONS[since is not None], values).all():
        latest[row.id] = row  # versions come in order, so the last one seen is the current one
    observations: dict[int, list[ObservationFact]] = defaultdict(list)
    for row in latest.values():
        categories = frozenset(c for c in row.categories_text.split(";") if c)
        observations[row.child_id].append(ObservationFact(
            id=row.id, occurred_on=row.occurred_on, categories=categories, source=row.source,
            has_child_voice=bool(row.child_voice.strip()),
            # Filed only as a strength; one also filed under a worry is still a concern.
            is_strength=categories == {STRENGTH_CATEGORY.slug},
            quotes_child=row.source == "child" and has_quotation(row.told_by_child or ""),
            answered_on=_as_date(row.answered_on),
        ))
    reviews: dict[int, list[ReviewFact]] = defaultdict(list)
    referrals: dict[int, list[ReferralFact]] = defaultdict(list)
    events: dict[int, list[LifeEventFact]] = defaultdict(list)
    for r in connection.execute(_CASEWORK[since is not None], values).all():
        if r.kind == "review":
            reviews[r.child_id].append(ReviewFact(r.id, r.ref, r.text1, r.day1))
        elif r.kind == "referral":
            referrals[r.child_id].append(ReferralFact(r.id, r.text1, r.day1, r.text2, r.day2, r.day3,
                                                      kind=r.text3 or ""))
        else:
            events[r.child_id].append(LifeEventFact(r.id, r.text1, r.day1, ended_on=r.day2,
                                                    support=r.text2 or ""))
    details: dict[int, tuple[str, bool]] = {}
    household: dict[int, list[HouseholdMemberFact]] = defaultdict(list)
    attendance: dict[int, list[AttendanceFact]] = defaultdict(list)
    for r in connection.execute(_CONTEXT, {"ids": ids}).all():
        if r.kind == "details":
            details[r.child_id] = ((r.text1 or "").strip(), bool((r.text2 or "").strip()))
        elif r.kind == "member":
            household[r.child_id].append(HouseholdMemberFact(r.day1, r.day2, r.flag))
        else:
            attendance[r.child_id].append(AttendanceFact(r.day1, r.day2, float(r.number)))
    return {
        c.id: ChildRecords(
            date_of_birth=c.date_of_birth, gender=c.gender, flags=child_flags(c),
            observations=tuple(sorted(observations[c.id], key=lambda o: o.id)),
            reviews=tuple(reviews[c.id]), referrals=tuple(referrals[c.id]),
            life_events=tuple(events[c.id]), household=tuple(household[c.id]),
            attendance=tuple(attendance[c.id]),
            sen_primary_need=details.get(c.id, ("", False))[0],
            communication_needs=details.get(c.id, ("", False))[1],
        )
        for c in children
    }


def _as_date(value: object) -> date | None:
    # A scalar subquery inside CASE loses its type on SQLite, which then hands back the ISO text.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _flush_records() -> None:
    """Write pending records so the rules read them; pending audit events alone can wait (they
    change no rule's answer) and are written with the next flush."""
    session = db.session()
    if any(not isinstance(obj, AuditEvent) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.flush()


# --- A school's settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolRules:
    settings: RuleSettings
    disabled: frozenset[str]

    def horizon(self, as_of: date) -> date:
        """The oldest day whose concerns can still change a prompt as of `as_of`."""
        return window_start(as_of, self.settings.longest_window_days(self.disabled))


def _setting_rows(school_id: int) -> dict[str, PromptSetting]:
    rows = db.session.scalars(select(PromptSetting).where(PromptSetting.school_id == school_id))
    return {row.rule: row for row in rows if row.rule in RULE_IDS}


# Each school's settings as last read, by (school id, rules version). The version is random and
# changes with every save, so an entry can never be mistaken for another school's or database's,
# and a process sees a change made by another as soon as it reads the school again.
_KEPT_RULES: dict[tuple[int, str], SchoolRules] = {}
_KEEP_AT_MOST = 1000


def school_rules(school_id: int) -> SchoolRules:
    """The school's rule settings. Read from the database only when they have changed since this
    process last read them; every write about a child asks."""
    school = db.session.get(School, school_id)  # already loaded in a request: no query
    version = school.rules_version if school is not None else ""
    if not version:
        return SchoolRules(defaults(), frozenset())  # never changed: nothing stored to read
    kept = _KEPT_RULES.get((school_id, version))
    if kept is None:
        if len(_KEPT_RULES) >= _KEEP_AT_MOST:
            _KEPT_RULES.clear()
        kept = _KEPT_RULES[(school_id, version)] = _read_rules(school_id)
    return kept


def _read_rules(school_id: int) -> SchoolRules:
    settings = defaults()
    disabled = set()
    for rule_id, row in _setting_rows(school_id).items():
        if not row.enabled:
            disabled.add(rule_id)
        try:
            settings = settings_with({rule_id: row.override_values()}, settings)
        except InvalidRuleSettings:
            # Saved values were checked when saved; if a later release tightens a limit, the
            # rule falls back to its defaults rather than stopping every evaluation.
            current_app.logger.warning("Stored settings for %s at school %s are no longer valid",
                                       rule_id, school_id)
    return SchoolRules(settings, frozenset(disabled))


# --- Reconciling what the rules say with what is stored ---------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a stored prompt becomes; `change` says what happened, "" when nothing did."""

    change: str  # "", "raised", "updated", "reopened", "lapsed"
    status: str
    firing: bool
    raised_on: date
    evidence: tuple[str, ...]
    seen: frozenset[str]
    title: str
    explanation: str


def decide(stored: Prompt | None, fired: RulePrompt | None, as_of: date) -> Outcome | None:
    """The next state of one child's prompt for one rule. Pure: it changes nothing."""
    if stored is None:
        if fired is None:
            return None
        return Outcome("raised", "open", True, as_of, fired.evidence, frozenset(fired.evidence),
                       fired.title, fired.full_text)
    kept = Outcome("", stored.status, stored.firing, stored.raised_on, tuple(stored.evidence_refs),
                   frozenset(stored.seen_refs), stored.title, stored.explanation)
    if fired is None:
        if not stored.firing:
            return kept
        lapsed = "lapsed" if stored.status in OPEN_STATUSES else ""
        return Outcome(lapsed, stored.status, False, stored.raised_on, kept.evidence, kept.seen,
                       stored.title, stored.explanation)
    unseen = set(fired.evidence) - kept.seen
    seen = kept.seen | frozenset(fired.evidence)
    if stored.status in ANSWERED_STATUSES:
        if unseen:
            return Outcome("reopened", "open", True, as_of, fired.evidence, seen,
                           fired.title, fired.full_text)
        # As the DSL left it: the evidence they answered stays what the prompt shows.
        return Outcome("", stored.status, True, stored.raised_on, kept.evidence, kept.seen,
                       stored.title, stored.explanation)
    if not stored.firing:
        return Outcome("raised", "open", True, as_of, fired.evidence, seen,
                       fired.title, fired.full_text)
    status = "open" if unseen else stored.status
    raised_on = stored.raised_on if stored.raised_on <= as_of else as_of
    same = (fired.evidence == kept.evidence and fired.title == stored.title
            and fired.full_text == stored.explanation and status == stored.status)
    return Outcome("" if same else "updated", status, True, raised_on, fired.evidence, seen,
                   fired.title, fired.full_text)


@dataclass
class Summary:
    children: int = 0
    raised: int = 0
    updated: int = 0
    reopened: int = 0
    lapsed: int = 0
    open: int = 0
    changes: list[tuple[int, str, str]] = field(default_factory=list)  # (child id, rule, change)

    def add(self, other: Summary) -> None:
        for name in ("children", "raised", "updated", "reopened", "lapsed", "open"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.changes += other.changes


AUDIT_ACTIONS = {"raised": "prompt.raise", "updated": "prompt.update", "reopened": "prompt.reopen",
                 "lapsed": "prompt.lapse"}


_STORED = select(Prompt).where(Prompt.child_id.in_(_IDS))  # built once, as _VERSIONS is


def _stored_for(child_ids: Iterable[int]) -> dict[int, dict[str, Prompt]]:
    found: dict[int, dict[str, Prompt]] = defaultdict(dict)
    for p in db.session.scalars(_STORED, {"ids": list(child_ids)}):
        found[p.child_id][p.rule] = p
    return found


# A change waiting for its audit event: (prompt row, child, rule, outcome).
_Change = tuple[Prompt, Child, str, Outcome]


def _decisions(records: ChildRecords, stored: dict[str, Prompt], rules: SchoolRules,
               as_of: date) -> list[tuple[str, Prompt | None, Outcome]]:
    """What each of one child's prompts becomes. Changes nothing, so a failure here loses nothing."""
    fired = {p.rule: p for p in evaluate(records, as_of, rules.settings, rules.disabled)}
    decided = []
    for rule_id in RULE_IDS:
        row = stored.get(rule_id)
        outcome = decide(row, fired.get(rule_id), as_of)
        if outcome is not None:
            decided.append((rule_id, row, outcome))
    return decided


def _apply(child: Child, decided: list[tuple[str, Prompt | None, Outcome]], as_of: date,
           changed: list[_Change], *, one_child: bool = True) -> Summary:
    """Bring one child's stored prompts to what was decided; each change is added to `changed`, whose
    audit events `_audit_changes` writes after one flush (not one flush per change: an N+1 of writes)."""
    summary = Summary(children=1)
    for rule_id, row, outcome in decided:
        values = dict(status=outcome.status, firing=outcome.firing, raised_on=outcome.raised_on,
                      title=outcome.title, explanation=outcome.explanation,
                      evidence=join_refs(outcome.evidence), seen_evidence=join_refs(sorted(outcome.seen)))
        if row is None:
            new = dict(values, school_id=child.school_id, child_id=child.id, rule=rule_id, evaluated_on=as_of)
            if one_child:
                # A write's new prompt is written at once, with its id, for its audit event (see `rows`).
                row = insert_loaded(Prompt, new)
            else:
                # The nightly run's new prompts are many: the unit of work writes them in batches.
                row = Prompt(**new)
                db.session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            if row.evaluated_on != as_of:
                row.evaluated_on = as_of
        if outcome.firing and outcome.status in OPEN_STATUSES:
            summary.open += 1
        if not outcome.change:
            continue
        setattr(summary, outcome.change, getattr(summary, outcome.change) + 1)
        summary.changes.append((child.id, rule_id, outcome.change))
        changed.append((row, child, rule_id, outcome))
    return summary


def _reconcile(child: Child, records: ChildRecords, stored: dict[str, Prompt], rules: SchoolRules,
               as_of: date, changed: list[_Change]) -> Summary:
    return _apply(child, _decisions(records, stored, rules, as_of), as_of, changed, one_child=False)


def _audit_changes(changed: list[_Change], as_of: date, first: Sequence[dict] = ()) -> None:
    """One audit event per change, in order, after the events in `first`, all written with one
    INSERT. New prompts not yet written get their ids from one flush first."""
    if any(row.id is None for row, _, _, _ in changed):
        db.session.flush()
    events = list(first)
    for row, child, rule_id, outcome in changed:
        events.append(audit.values(AUDIT_ACTIONS[outcome.change], user_id=None, school_id=child.school_id,
                                   object_type="prompt", object_id=row.id, child_id=child.id,
                                   detail={"rule": rule_id, "as_of": as_of.isoformat(),
                                           "evidence": list(outcome.evidence)}))
    audit.write(events)
    changed.clear()


def _decide_for(child: Child, as_of: date) -> list[tuple[str, Prompt | None, Outcome]]:
    rules = school_rules(child.school_id)
    records = records_for([child], since=rules.horizon(as_of))[child.id]
    stored = _stored_for([child.id]).get(child.id, {})
    return _decisions(records, stored, rules, as_of)


def reevaluate_child(child: Child, as_of: date) -> Summary:
    """Evaluate one child's rules and bring their stored prompts up to date. The caller commits.

    Touches only this child's records: a handful of queries, whatever the size of the school.
    """
    # Like every writer, the audit chain's lock before any prompt row (see reevaluate_school).
    audit.lock_chain(child.school_id)
    changed: list[_Change] = []
    summary = _apply(child, _decide_for(child, as_of), as_of, changed)
    _audit_changes(changed, as_of)
    db.session.flush()
    return summary


def reevaluate_with_change(child: Child, as_of: date, events: Sequence[dict] = ()) -> None:
    """Evaluate this child's prompts inside the transaction of the change that calls for it, so the
    record and the prompts it raises are committed together, in one commit. The caller has added
    its record and its audit event (or passes it in `events`, from `audit.values`, to be written
    with the prompts' own), and commits after.

    The record must never be lost to the prompts. Everything that can go wrong in the rules happens
    before anything is changed: the child's records are read and every outcome decided first. If
    that fails, the failure is logged, the prompts are left as they were, the record is still
    committed, and the nightly evaluate-prompts puts the prompts right. Only then are the prompt
    rows changed, which is plain writing.
    """
    # The caller's own record is written first: a failure there is the caller's, raised as itself,
    # and never mistaken for (or hidden as) a prompt failure. Its audit event waits and is written
    # with the prompts' own, in the one flush at the end (a flush costs as much as a query).
    _flush_records()
    # Hold the audit chain's lock while reading, so a write about the same child at the same moment
    # waits for this one and then reads its record: neither can miss the other's, and no two can
    # raise the same prompt at once.
    audit.lock_chain(child.school_id)
    try:
        with db.session.no_autoflush:
            decided = _decide_for(child, as_of)
    except SQLAlchemyError:
        # The database failed, not a rule: the whole write fails with it and says so (the view
        # keeps what was typed), rather than commit a transaction the database has given up on.
        raise
    except Exception:
        _evaluation_failed(child)
        decided = []  # the caller's record and its events are still written
    changed: list[_Change] = []
    _apply(child, decided, as_of, changed)
    _audit_changes(changed, as_of, first=events)
    db.session.flush()


def _evaluation_failed(child: Child) -> None:
    if current_app.testing:
        raise
    current_app.logger.exception("Pattern prompts could not be evaluated for child %s", child.id)


def _children_of(school: School) -> list[Child]:
    return list(db.session.scalars(select(Child).where(Child.school_id == school.id).order_by(Child.id)))


def reevaluate_school(school: School, as_of: date) -> Summary:
    """Evaluate every child of a school (the nightly run), a chunk of children at a time."""
    # Like every writer, take the audit chain's lock before touching prompt rows: a teacher's write
    # holds it while it updates its child's prompts, so the opposite order could deadlock.
    audit.lock_chain(school.id)
    rules = school_rules(school.id)
    summary = Summary()
    children = _children_of(school)
    for start in range(0, len(children), CHUNK):
        chunk = children[start:start + CHUNK]
        records = records_for(chunk, since=rules.horizon(as_of))
        stored = _stored_for(c.id for c in chunk)
        changed: list[_Change] = []
        for child in chunk:
            summary.add(_reconcile(child, records[child.id], stored.get(child.id, {}), rules, as_of, changed))
        _audit_changes(changed, as_of)
        db.session.flush()
    audit.record("prompts.evaluate", user_id=None, school_id=school.id, object_type="school",
                 object_id=school.id,
                 detail={"as_of": as_of.isoformat(), "children": summary.children,
                         "raised": summary.raised, "updated": summary.updated,
                         "reopened": summary.reopened, "lapsed": summary.lapsed,
                         "open": summary.open})
    db.session.commit()
    return summary


# --- What a script sees: evaluated as of a day, without changing anything ---------------------


@dataclass(frozen=True)
class OpenPrompt:
    child: Child
    rule: str
    title: str
    explanation: str  # what was seen, then why it matters (the next step apart)
    evidence: tuple[str, ...]
    raised_on: date
    next_step: str = ""
    cited: tuple[Cited, ...] = ()  # the evidence, oldest first, as a DSL reads it
    also: tuple[str, ...] = ()  # rules shown with this prompt (see domain.prompts.merge)
    merged_into: str | None = None  # the rule this prompt is shown under, if it is

    def as_json(self) -> dict[str, object]:
        return {"upn": self.child.upn, "rule": self.rule, "title": self.title,
                "explanation": self.explanation, "next_step": self.next_step,
                "evidence": [{"ref": c.ref, "date": c.day.isoformat(), "kind": c.kind,
                              "categories": list(c.categories), "label": c.label} for c in self.cited],
                "also": list(self.also), "merged_into": self.merged_into,
                "raised_on": self.raised_on.isoformat()}


def open_as_of(school: School, as_of: date, children: Sequence[Child] | None = None) -> list[OpenPrompt]:
    """The prompts that are open as of a day, sorted by UPN then rule number; read-only.

    The rules are evaluated afresh as of that day with the school's settings. What the DSL did
    with each prompt (as it stands now) still counts: a dismissed or actioned prompt is left
    out unless the evidence as of that day includes a record it had not seen. Every open prompt
    is listed, each saying which others a DSL reads with it (`also`, `merged_into`).
    """
    rules = school_rules(school.id)
    everyone = list(children) if children is not None else _children_of(school)
    found: list[OpenPrompt] = []
    for start in range(0, len(everyone), CHUNK):
        chunk = everyone[start:start + CHUNK]
        records = records_for(chunk, since=rules.horizon(as_of))
        stored = _stored_for(c.id for c in chunk)
        for child in chunk:
            mine = stored.get(child.id, {})
            opened = []
            for fired in evaluate(records[child.id], as_of, rules.settings, rules.disabled):
                outcome = decide(mine.get(fired.rule), fired, as_of)
                if outcome and outcome.firing and outcome.status in OPEN_STATUSES:
                    # An open prompt always shows what the rules found as of the day (see decide).
                    opened.append((fired, outcome))
            groups = merge_groups({fired.rule: fired.evidence for fired, _ in opened})
            also = {g.lead: g.also for g in groups}
            under = {rule: g.lead for g in groups for rule in g.also}
            for fired, outcome in opened:
                found.append(OpenPrompt(child, fired.rule, outcome.title, fired.explanation, outcome.evidence,
                                        outcome.raised_on, fired.next_step, fired.cited,
                                        also.get(fired.rule, ()), under.get(fired.rule)))
    return sorted(found, key=lambda p: (p.child.upn, rule_number(p.rule)))


# --- The DSL's lists --------------------------------------------------------------------------


def _open_query(school_id: int):  # noqa: ANN202
    disabled = school_rules(school_id).disabled
    stmt = select(Prompt).where(Prompt.school_id == school_id, Prompt.firing.is_(True),
                                Prompt.status.in_(sorted(OPEN_STATUSES)))
    if disabled:
        stmt = stmt.where(Prompt.rule.not_in(sorted(disabled)))
    return stmt


def open_prompts(school: School, rule: str | None = None, *, page: int = 1) -> Page[Prompt]:
    """One page of the school's open prompts, newest first, optionally for one rule only."""
    stmt = _open_query(school.id).options(selectinload(Prompt.child))
    if rule:
        stmt = stmt.where(Prompt.rule == rule)
    stmt = stmt.order_by(Prompt.raised_on.desc(), Prompt.updated_at.desc(), Prompt.id.desc())
    return paginate(stmt, page)


def open_prompts_for_child(child: Child) -> list[Prompt]:
    prompts = db.session.scalars(_open_query(child.school_id).where(Prompt.child_id == child.id))
    return sorted(prompts, key=lambda p: rule_number(p.rule))


def prompt_in_school(school: School, prompt_id: int) -> Prompt:
    """The prompt, only if it belongs to this school; otherwise a 404 that reveals nothing."""
    # An id past what the column holds is simply not found (the driver would overflow).
    prompt = db.session.get(Prompt, prompt_id) if 0 < prompt_id <= MAX_ID else None
    if prompt is None or prompt.school_id != school.id:
        audit.record_denial(404, school_id=school.id, object_type="prompt", object_id=prompt_id,
                            child_id=prompt.child_id if prompt else None, reason="not-in-school")
        abort(404)
    return prompt


def evidence_cited(prompts: Iterable[Prompt]) -> dict[str, Cited]:
    """Each evidence record of these prompts as a DSL reads it (its date and what it was: the
    current categories of a concern), in four queries at most, however many prompts."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for prompt in prompts:
        for ref in prompt.evidence_refs:
            kind, _, raw_id = ref.partition(":")
            if record_id(raw_id):
                wanted[kind].add(int(raw_id))
    facts: dict[str, object] = {}
    if wanted.get("observation"):
        rows = db.session.execute(
            select(ObservationVersion.observation_id, ObservationVersion.occurred_on,
                   ObservationVersion.categories_text, ObservationVersion.source)
            .where(ObservationVersion.observation_id.in_(sorted(wanted["observation"])))
            .order_by(ObservationVersion.observation_id, ObservationVersion.number))
        for oid, day, categories, source in rows:  # the last version wins
            slugs = frozenset(c for c in categories.split(";") if c)
            facts[f"observation:{oid}"] = ObservationFact(oid, day, slugs, source, False,
                                                          slugs == {STRENGTH_CATEGORY.slug})
    if wanted.get("review"):
        for r in db.session.scalars(select(Review).where(Review.id.in_(sorted(wanted["review"])))):
            facts[f"review:{r.id}"] = ReviewFact(r.id, r.observation_id, r.decision, r.decided_on)
    if wanted.get("referral"):
        for r in db.session.scalars(select(Referral).where(Referral.id.in_(sorted(wanted["referral"])))):
            facts[f"referral:{r.id}"] = ReferralFact(r.id, r.agency, r.referred_on, r.status, r.outcome_on,
                                                     r.follow_up_on, kind=r.kind)
    if wanted.get("life-event"):
        for e in db.session.scalars(select(LifeEvent).where(LifeEvent.id.in_(sorted(wanted["life-event"])))):
            facts[f"life-event:{e.id}"] = LifeEventFact(e.id, e.kind, e.occurred_on, ended_on=e.ended_on,
                                                        support=e.support)
    return {ref: cite(fact) for ref, fact in facts.items()}


def evidence_in_date_order(refs: Sequence[str], cited: dict[str, Cited]) -> list[tuple[str, Cited | None]]:
    """Evidence refs, oldest first, each with how it reads (None if it cannot be found)."""
    refs = list(refs)
    return sorted(((ref, cited.get(ref)) for ref in refs),
                  key=lambda pair: (pair[1] is None, pair[1].day if pair[1] else date.min, refs.index(pair[0])))


# --- Overlapping prompts shown as one (domain.prompts.merge) ------------------------------------


@dataclass(frozen=True)
class PromptGroup:
    """What the DSL reads as one prompt: `lead`, with the prompts about the same records under it."""

    lead: Prompt
    also: tuple[Prompt, ...]

    @property
    def members(self) -> tuple[Prompt, ...]:
        return (self.lead, *self.also)

    @property
    def evidence_refs(self) -> list[str]:
        return list(dict.fromkeys(ref for p in self.members for ref in p.evidence_refs))


def group_prompts(prompts: Iterable[Prompt]) -> list[PromptGroup]:
    """Prompts grouped child by child with the merge rule; each child's groups in rule order."""
    by_child: dict[int, dict[str, Prompt]] = defaultdict(dict)
    for p in prompts:
        by_child[p.child_id][p.rule] = p
    groups = []
    for child_id, mine in by_child.items():
        for g in merge_groups({rule: p.evidence_refs for rule, p in mine.items()}):
            groups.append(PromptGroup(mine[g.lead], tuple(mine[r] for r in g.also)))
    return groups


def open_prompt_groups_for_child(child: Child) -> list[PromptGroup]:
    return group_prompts(open_prompts_for_child(child))


def merged_with(prompt: Prompt) -> list[Prompt]:
    """The child's other open prompts that the DSL reads together with this one."""
    if not prompt.is_open:
        return []
    for group in open_prompt_groups_for_child(prompt.child):
        if prompt in group.members:
            return [p for p in group.members if p is not prompt]
    return []


@dataclass(frozen=True)
class DashboardItem:
    head: Prompt  # the prompt the row shows (the group's lead; with a rule filter, that rule's prompt)
    also: tuple[Prompt, ...]


def _listing_key(p: Prompt) -> tuple:
    return (p.raised_on, p.updated_at, p.id)


def open_prompt_items(school: School, rule: str | None = None, *, page: int = 1) -> tuple[Page[Prompt], list[DashboardItem]]:
    """One page of the school's open prompts for the dashboard, overlapping ones shown together.

    Each group is shown once, where its newest member falls in the list; a member on this page whose
    group shows on an earlier page is left out here. With a rule filter, each prompt of that rule
    is shown, with the prompts it overlaps under it.
    """
    rows = open_prompts(school, rule, page=page)
    child_ids = sorted({p.child_id for p in rows.items})
    everyone = list(db.session.scalars(_open_query(school.id).where(Prompt.child_id.in_(child_ids)))) if child_ids else []
    group_of = {p.id: g for g in group_prompts(everyone) for p in g.members}
    items = []
    for row in rows.items:
        group = group_of.get(row.id)
        if group is None:  # changed since the page was read: show it alone
            items.append(DashboardItem(row, ()))
            continue
        if rule:
            items.append(DashboardItem(row, tuple(p for p in group.members if p.id != row.id)))
        elif row.id == max(group.members, key=_listing_key).id:
            items.append(DashboardItem(group.lead, group.also))
    return rows, items


# --- What the DSL does with a prompt ----------------------------------------------------------


class PromptRefused(ServiceError):
    pass


def _audit_action(action: str, prompt: Prompt, by: User, detail: dict[str, object]) -> None:
    audit.record(action, user_id=by.id, school_id=prompt.school_id, object_type="prompt",
                 object_id=prompt.id, child_id=prompt.child_id, detail={"rule": prompt.rule, **detail})


def _with_merged(prompt: Prompt, statuses: Iterable[str]) -> list[tuple[Prompt, dict[str, object]]]:
    """The prompt and, since the DSL read them as one, the open prompts shown with it: what the DSL
    does with the prompt they read is done to each (each audited, naming the prompt it was read with)."""
    wanted = set(statuses)
    return [(prompt, {})] + [(other, {"with": prompt.rule}) for other in merged_with(prompt)
                             if other.status in wanted]


def acknowledge(prompt: Prompt, by: User) -> None:
    if prompt.status != "open":
        raise PromptRefused(f"This prompt is already {prompt.status}.")
    for each, detail in _with_merged(prompt, {"open"}):
        each.status = "acknowledged"
        each.acknowledged_at, each.acknowledged_by_id = utcnow(), by.id
        _audit_action("prompt.acknowledge", each, by, detail)
    db.session.commit()


def action_choices(prompt: Prompt) -> list[tuple[str, Review | Referral]]:
    """The child's reviews and referrals, newest first, as ("review:3", record) pairs."""
    reviews = db.session.scalars(select(Review).where(Review.child_id == prompt.child_id))
    referrals = db.session.scalars(select(Referral).where(Referral.child_id == prompt.child_id))
    choices: list[tuple[str, Review | Referral, date]] = [
        (f"review:{r.id}", r, r.decided_on) for r in reviews]
    choices += [(f"referral:{r.id}", r, r.referred_on) for r in referrals]
    choices.sort(key=lambda c: (c[2], c[0]), reverse=True)
    return [(key, record) for key, record, _ in choices]


def action(prompt: Prompt, by: User, link: str) -> None:
    """Mark a prompt actioned, linking the review or referral of this child that answered it."""
    if prompt.status not in OPEN_STATUSES:
        raise PromptRefused(f"This prompt is already {prompt.status}.")
    kind, _, raw_id = link.partition(":")
    model = {"review": Review, "referral": Referral}.get(kind)
    record = db.session.get(model, record_id(raw_id)) if model and record_id(raw_id) else None
    if record is None or record.child_id != prompt.child_id:
        raise PromptRefused("Choose the review or referral of this child that answered the prompt.",
                            field="link")
    for each, detail in _with_merged(prompt, OPEN_STATUSES):
        each.status = "actioned"
        each.actioned_at, each.actioned_by_id = utcnow(), by.id
        each.review_id = record.id if kind == "review" else None
        each.referral_id = record.id if kind == "referral" else None
        _audit_action("prompt.action", each, by, {"linked": link, **detail})
    db.session.commit()


def dismiss(prompt: Prompt, by: User, reason: str) -> None:
    if prompt.status not in OPEN_STATUSES:
        raise PromptRefused(f"This prompt is already {prompt.status}.")
    if not reason.strip():
        raise PromptRefused("Give the reason for dismissing this prompt: it is kept with the "
                            "child's record.", field="reason")
    for each, detail in _with_merged(prompt, OPEN_STATUSES):
        each.status = "dismissed"
        each.dismissed_at, each.dismissed_by_id = utcnow(), by.id
        each.dismissed_reason = reason
        # The reason goes in the audit log too, so an earlier dismissal's reason is never lost.
        _audit_action("prompt.dismiss", each, by, {"reason": reason, **detail})
    db.session.commit()


# --- The admin's settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class SettingField:
    name: str  # the form field, e.g. "E1-short_window_days"
    setting: str  # the setting's name, e.g. "short_window_days"
    label: str
    default: int
    value: int


@dataclass(frozen=True)
class RuleRow:
    rule: str
    name: str
    enabled: bool
    fields: tuple[SettingField, ...]


def field_name(rule_id: str, setting: str) -> str:
    return f"{rule_id}-{setting}"


def settings_rows(school: School) -> list[RuleRow]:
    rules = school_rules(school.id)
    base = defaults()
    rows = []
    for rule_id in RULE_IDS:
        current, default = rules.settings.for_rule(rule_id), base.for_rule(rule_id)
        rows.append(RuleRow(rule_id, RULE_NAMES[rule_id], rule_id not in rules.disabled, tuple(
            SettingField(field_name(rule_id, f.name), f.name, f.metadata["label"],
                         getattr(default, f.name), getattr(current, f.name))
            for f in fields(current))))
    return rows


class InvalidPromptSettings(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Some settings need attention.")
        self.errors = errors


def update_settings(school: School, by: User, enabled: Iterable[str],
                    typed: dict[str, dict[str, object]]) -> int:
    """Save an admin's thresholds and on/off switches; returns how many rules changed.

    `typed` maps a rule id to {setting name: what was typed}. Nothing is saved unless every value
    is valid; each refused value is reported under its form field name.
    """
    problems = settings_problems(typed)
    if problems:
        errors = {}
        for key, message in problems.items():
            rule_id, _, setting = key.partition(".")
            errors[field_name(rule_id, setting) if setting else rule_id] = message
        raise InvalidPromptSettings(errors)
    before = school_rules(school.id)
    wanted = settings_with(typed, before.settings)  # a setting not sent keeps its value
    on = set(enabled)
    base = defaults()
    rows = _setting_rows(school.id)
    changed = 0
    for rule_id in RULE_IDS:
        new, old, default = (wanted.for_rule(rule_id), before.settings.for_rule(rule_id),
                             base.for_rule(rule_id))
        detail: dict[str, dict[str, object]] = {
            f.name: {"from": getattr(old, f.name), "to": getattr(new, f.name)}
            for f in fields(new) if getattr(old, f.name) != getattr(new, f.name)
        }
        was_on, now_on = rule_id not in before.disabled, rule_id in on
        if was_on != now_on:
            detail["enabled"] = {"from": was_on, "to": now_on}
        if not detail:
            continue
        row = rows.get(rule_id)
        if row is None:
            row = PromptSetting(school_id=school.id, rule=rule_id)
            db.session.add(row)
        row.enabled = now_on
        row.overrides = json.dumps({f.name: getattr(new, f.name) for f in fields(new)
                                    if getattr(new, f.name) != getattr(default, f.name)},
                                   sort_keys=True)
        row.updated_by_id = by.id
        db.session.flush()
        audit.record("prompt-settings.update", user_id=by.id, school_id=school.id,
                     object_type="prompt-setting", object_id=row.id,
                     detail={"rule": rule_id, "changes": detail})
        changed += 1
    if changed:
        school.rules_version = uuid.uuid4().hex  # every process reads the new settings
    db.session.commit()
    return changed
