"""The nineteen pattern prompts (E1-E19, version 2): pure rules over one child's records as of a date."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from ..vocabulary import (
    AGENCIES,
    CATEGORIES,
    CHILD_CATEGORIES,
    FAMILY_CATEGORY_SLUGS,
    LIFE_EVENT_KINDS,
    NEGLECT_SIGNS as NEGLECT_SIGNS_V1,
    REFERRAL_DECISIONS,
    REFERRAL_STATUSES,
    REVIEW_DECISIONS,
    SCHOOL_SUPPORTS,
    SEN_NEEDS,
    label_for,
)
from .records import (
    ChildRecords, HouseholdMemberFact, LifeEventFact, ObservationFact, ReferralFact, ReviewFact,
)

REVIEWS = "the national analysis of 368 serious case reviews in England (2014-17)"
# Who the two children the briefing names were, in one clause each, so a DSL who has never read
# the briefing knows why their stories are told.
CARA = ("Cara, a two-year-old who died after swallowing her mother's methadone in a home where "
        "poverty had been known for years")
CHILD_J = ("Child J, a girl whose weight and apparent malnourishment worried professionals over "
           "time")

# (v2) Attendance is a neglect sign, but so common on its own (about 8% of primary and 13% of
# secondary pupils are regularly absent) that no rule fires on attendance alone.
NEGLECT_SIGNS: frozenset[str] = NEGLECT_SIGNS_V1 | {"attendance"}
NEGLECT_SIGNS_BESIDES_ATTENDANCE: frozenset[str] = NEGLECT_SIGNS_V1
CHILD_CATEGORY_SLUGS: frozenset[str] = frozenset(t.slug for t in CHILD_CATEGORIES)

EVIDENCE_KINDS = ("observation", "review", "referral", "life-event")


@dataclass(frozen=True)
class Cited:
    """One record behind a prompt, as a DSL reads it: its date and what it was, never its id."""

    ref: str  # "observation:12": for links and the audit, not for reading
    day: date
    kind: str  # observation, review, referral or life-event
    categories: tuple[str, ...]  # an observation's category slugs; empty for other records
    label: str  # "Criminal exploitation, Injury", "Referral to children's social care (not accepted)"

    @property
    def text(self) -> str:
        return f"{uk_date(self.day)} — {self.label}"


@dataclass(frozen=True)
class Prompt:
    """Advice for the designated safeguarding lead, never a decision.

    `explanation` is what was seen (counts, window and the records by date) and, after a blank
    line, why it matters (the finding); `next_step` is one thing the DSL can do.
    """

    rule: str  # "E1" .. "E19"
    title: str
    explanation: str
    evidence: tuple[str, ...]  # record refs such as "observation:12", see records.record_ref
    next_step: str = ""
    cited: tuple[Cited, ...] = ()  # the evidence, in date order

    @property
    def full_text(self) -> str:
        """The explanation with its next step, as a stored prompt keeps it (see next_step_of)."""
        return f"{self.explanation}{NEXT_STEP}{self.next_step}" if self.next_step else self.explanation


NEXT_STEP = "\n\nNext step: "


def next_step_of(text: str) -> tuple[str, str]:
    """A stored explanation split into (explanation, next step); the next step is "" if none."""
    before, marker, after = text.rpartition(NEXT_STEP)
    return (before, after) if marker else (text, "")


def uk_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")

# --- Settings ----------------------------------------------------------------------------

MAX_WINDOW_DAYS = 3653  # ten years: longer than any chronology a school keeps open
MAX_COUNT = 100
MAX_AGE_YEARS = 25  # child protection records are kept to the 25th birthday
MAX_MONTHS = 60
MAX_PERCENT = 100


def _window(label: str, default: int) -> Any:
    return field(default=default, metadata={"label": label, "kind": "window"})


def _count(label: str, default: int) -> Any:
    return field(default=default, metadata={"label": label, "kind": "count"})


def _age(label: str, default: int) -> Any:
    return field(default=default, metadata={"label": label, "kind": "age"})


def _months(label: str, default: int) -> Any:
    return field(default=default, metadata={"label": label, "kind": "months"})


def _percent(label: str, default: int) -> Any:
    return field(default=default, metadata={"label": label, "kind": "percent"})


@dataclass(frozen=True)
class E1Settings:
    short_window_days: int = _window("short window (days)", 30)
    short_min_observations: int = _count("concerns needed in the short window", 3)
    long_window_days: int = _window("long window (days)", 90)
    long_min_observations: int = _count("concerns needed in the long window", 5)
    help_window_days: int = _window("window for earlier help (days)", 365)


@dataclass(frozen=True)
class E2Settings:
    window_days: int = _window("window (days)", 365)
    min_categories: int = _count("different family adversities needed", 3)


@dataclass(frozen=True)
class E3Settings:
    window_days: int = _window("window (days)", 365)


@dataclass(frozen=True)
class E4Settings:
    short_window_days: int = _window("short window (days)", 56)
    short_min_observations: int = _count("neglect observations needed in the short window", 3)
    long_window_days: int = _window("long window (days)", 183)
    min_months: int = _count("calendar months the same sign must appear in", 3)


@dataclass(frozen=True)
class E5Settings:
    window_days: int = _window("window for poverty (days)", 365)
    sign_window_days: int = _window("window for a neglect sign or a parent's drug or alcohol use (days)", 183)


@dataclass(frozen=True)
class E6Settings:
    window_days: int = _window("window (days)", 90)
    min_missing_education: int = _count("missing-from-education observations needed", 2)


@dataclass(frozen=True)
class E7Settings:
    window_days: int = _window("window (days)", 183)
    min_signs: int = _count("different signs needed", 2)
    min_age_years: int = _age("from age (years)", 11)


@dataclass(frozen=True)
class E8Settings:
    window_days: int = _window("window (days)", 365)
    online_window_days: int = _window("window for online safety with missing from home (days)", 90)


@dataclass(frozen=True)
class E9Settings:
    window_days: int = _window("window (days)", 365)
    escalate_at: int = _count("self-harm observations that call for escalation", 2)


@dataclass(frozen=True)
class E10Settings:
    window_days: int = _window("window (days)", 90)
    min_observations: int = _count("concerns needed", 3)


@dataclass(frozen=True)
class E11Settings:
    window_days: int = _window("window (days)", 90)
    min_observations: int = _count("concerns needed", 2)


@dataclass(frozen=True)
class E12Settings:
    window_days: int = _window("window for new concerns (days)", 365)
    min_observations: int = _count("new concerns needed after a referral was not accepted", 1)


@dataclass(frozen=True)
class E13Settings:
    window_days: int = _window("window since closing (days)", 183)
    min_observations: int = _count("new concerns needed after closing", 1)


@dataclass(frozen=True)
class E14Settings:
    window_days: int = _window("window (days)", 90)


@dataclass(frozen=True)
class E15Settings:
    window_days: int = _window("window (days)", 365)
    under_age_years: int = _age("under age (years)", 5)


@dataclass(frozen=True)
class E16Settings:
    window_days: int = _window("window (days)", 90)
    under_age_years: int = _age("injury to a child under age (years)", 2)
    baby_under_months: int = _months("a baby in the household under age (months)", 12)


@dataclass(frozen=True)
class E17Settings:
    window_days: int = _window("window (days)", 365)


@dataclass(frozen=True)
class E18Settings:
    window_days: int = _window("window (days)", 183)
    min_categories: int = _count("different worries about the child needed", 4)


@dataclass(frozen=True)
class E19Settings:
    window_days: int = _window("latest attendance figures ending within (days)", 365)
    below_percent: int = _percent("attendance below (per cent)", 90)


@dataclass(frozen=True)
class RuleSettings:
    """One school's thresholds for every rule; the defaults are those in DOMAIN.md."""

    e1: E1Settings = field(default_factory=E1Settings)
    e2: E2Settings = field(default_factory=E2Settings)
    e3: E3Settings = field(default_factory=E3Settings)
    e4: E4Settings = field(default_factory=E4Settings)
    e5: E5Settings = field(default_factory=E5Settings)
    e6: E6Settings = field(default_factory=E6Settings)
    e7: E7Settings = field(default_factory=E7Settings)
    e8: E8Settings = field(default_factory=E8Settings)
    e9: E9Settings = field(default_factory=E9Settings)
    e10: E10Settings = field(default_factory=E10Settings)
    e11: E11Settings = field(default_factory=E11Settings)
    e12: E12Settings = field(default_factory=E12Settings)
    e13: E13Settings = field(default_factory=E13Settings)
    e14: E14Settings = field(default_factory=E14Settings)
    e15: E15Settings = field(default_factory=E15Settings)
    e16: E16Settings = field(default_factory=E16Settings)
    e17: E17Settings = field(default_factory=E17Settings)
    e18: E18Settings = field(default_factory=E18Settings)
    e19: E19Settings = field(default_factory=E19Settings)

    def for_rule(self, rule_id: str) -> Any:
        return getattr(self, rule_id.lower())

    def longest_window_days(self, disabled: Iterable[str] = ()) -> int:
        """How far back any enabled rule looks. Every rule reads concerns only through a window
        of its own settings, so a concern older than this cannot change any prompt, and the
        records need not be read at all."""
        off = set(disabled)
        windows = [
            getattr(self.for_rule(rule_id), f.name)
            for rule_id in RULE_IDS if rule_id not in off
            for f in fields(self.for_rule(rule_id)) if f.metadata.get("kind") == "window"
        ]
        return max(windows, default=1)


def defaults() -> RuleSettings:
    return RuleSettings()


class InvalidSettings(ValueError):
    """Overrides that were refused; `errors` maps "E1.short_window_days" to a message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


def settings_problems(overrides: Mapping[str, Mapping[str, object]]) -> dict[str, str]:
    """Each override at fault, with a message an admin can act on. Empty when all is well."""
    try:
        settings_with(overrides)
    except InvalidSettings as refused:
        return refused.errors
    return {}


def settings_with(
    overrides: Mapping[str, Mapping[str, object]], base: RuleSettings | None = None
) -> RuleSettings:
    """`base` (or the defaults) with a school's overrides, e.g. {"E1": {"short_window_days": 20}}.

    Values may be ints or the text an admin typed. Raises InvalidSettings naming every problem.
    """
    settings = base or defaults()
    errors: dict[str, str] = {}
    changed: dict[str, Any] = {}
    for rule_id, values in overrides.items():
        if rule_id not in RULES:
            errors[str(rule_id)] = f"{rule_id!r} is not a rule; the rules are E1 to E19."
            continue
        if not isinstance(values, Mapping):
            errors[rule_id] = f"{rule_id}: settings must be given as names and values."
            continue
        rule_settings = settings.for_rule(rule_id)
        parsed = _parse_rule_overrides(rule_id, rule_settings, values, errors)
        changed[rule_id.lower()] = replace(rule_settings, **parsed)
    if errors:
        raise InvalidSettings(errors)
    return replace(settings, **changed)


def _parse_rule_overrides(
    rule_id: str, rule_settings: Any, values: Mapping[str, object], errors: dict[str, str]
) -> dict[str, int]:
    known = {f.name: f for f in fields(rule_settings)}
    parsed: dict[str, int] = {}
    for name, raw in values.items():
        key = f"{rule_id}.{name}"
        if name not in known:
            errors[key] = f"{rule_id} has no setting called {name!r}."
            continue
        try:
            parsed[name] = _parse_setting(f"{rule_id} {known[name].metadata['label']}",
                                          known[name].metadata["kind"], raw)
        except ValueError as problem:
            errors[key] = str(problem)
    return parsed


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def _whole_number(raw: object) -> int | None:
    # bool is an int to Python, but True is not a threshold anyone meant to type.
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and _WHOLE_NUMBER.fullmatch(raw.strip()):
        return int(raw.strip())
    return None


def _parse_setting(label: str, kind: str, raw: object) -> int:
    value = _whole_number(raw)
    if value is None:
        raise ValueError(f"{label} must be a whole number, such as 30; {raw!r} is not.")
    if value < 0:
        raise ValueError(f"{label} cannot be negative; {value} was given.")
    if kind == "window" and value == 0:
        raise ValueError(
            f"{label} must be at least 1 day: a window of 0 days would see no records.")
    if kind == "count" and value == 0:
        raise ValueError(f"{label} must be at least 1; with 0 the prompt would always show.")
    if kind in ("months", "percent") and value == 0:
        raise ValueError(f"{label} must be at least 1; with 0 the prompt would never show.")
    ceiling = {"window": MAX_WINDOW_DAYS, "count": MAX_COUNT, "age": MAX_AGE_YEARS,
               "months": MAX_MONTHS, "percent": MAX_PERCENT}[kind]
    if value > ceiling:
        raise ValueError(f"{label} can be at most {ceiling}; {value} was given.")
    return value


# --- Shared helpers ----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def window_start(as_of: date, days: int) -> date:
    """The oldest day inside a window: "in 30 days" is the 30 days up to and including as_of."""
    # Cached: every rule asks it for every child, with the same few windows and one as-of day.
    return as_of - timedelta(days=days - 1)


def _within(day: date, as_of: date, days: int) -> bool:
    return window_start(as_of, days) <= day <= as_of


def _concerns(
    records: ChildRecords, as_of: date, days: int, categories: Iterable[str] | None = None
) -> list[ObservationFact]:
    """Concerns (not strengths) in the window, optionally only those in some categories."""
    found = records.concerns_between(window_start(as_of, days), as_of)
    if categories is None:
        return found
    wanted = frozenset(categories)
    return [o for o in found if o.categories & wanted]


def _with(observations: Iterable[ObservationFact], *slugs: str) -> list[ObservationFact]:
    return [o for o in observations if o.categories & set(slugs)]


def _neglect(observations: Iterable[ObservationFact]) -> list[ObservationFact]:
    """The observations with a neglect sign, where attendance counts only beside another sign:
    attendance alone is common, and never a reason to fire."""
    signs = _with(observations, *NEGLECT_SIGNS)
    if not _with(signs, *NEGLECT_SIGNS_BESIDES_ATTENDANCE):
        return []
    return signs


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on a day."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def months_old(born: date, day: date) -> int:
    """Whole months of age on a day; negative before birth."""
    return (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)


def _ref_key(ref: str) -> tuple[str, bool, int, str]:
    # Number order, not text order, so observation:9 comes before observation:10.
    kind, _, ident = ref.partition(":")
    numeric = ident.isdecimal()
    return kind, not numeric, int(ident) if numeric else 0, ident


Fact = ObservationFact | ReviewFact | ReferralFact | LifeEventFact


def _category_labels(slugs: Iterable[str]) -> list[str]:
    return sorted(label_for(CATEGORIES, s) for s in set(slugs))


def cite(fact: Fact) -> Cited:
    """How a record is named in a prompt: its date and what it was."""
    if isinstance(fact, ObservationFact):
        slugs = tuple(sorted(fact.categories))
        return Cited(fact.ref, fact.occurred_on, "observation", slugs,
                     ", ".join(_category_labels(fact.categories)) or "Concern")
    if isinstance(fact, ReviewFact):
        return Cited(fact.ref, fact.decided_on, "review", (),
                     f"DSL decision: {_in_sentence(label_for(REVIEW_DECISIONS, fact.decision))}")
    if isinstance(fact, ReferralFact):
        what = ("Referral for a young carer's assessment" if fact.kind == "young-carers-assessment"
                else f"Referral to {_in_sentence(label_for(AGENCIES, fact.agency))}")
        if fact.kind == "young-carers-assessment":
            what += f" ({_in_sentence(label_for(AGENCIES, fact.agency))})"
        status = _in_sentence(label_for(REFERRAL_STATUSES, fact.status))
        return Cited(fact.ref, fact.referred_on, "referral", (), f"{what}, {status}")
    label = label_for(LIFE_EVENT_KINDS, fact.kind)
    if fact.kind == "school-support":
        if fact.support:
            label += f": {_in_sentence(label_for(SCHOOL_SUPPORTS, fact.support))}"
        if fact.ended_on:
            label += f", to {uk_date(fact.ended_on)}"
    return Cited(fact.ref, fact.occurred_on, "life-event", (), label)


def _prompt(rule: str, title: str, seen: str, why: str, next_step: str,
            *groups: Iterable[Fact]) -> Prompt:
    """A prompt whose explanation says what was seen, names each record by date, then why it
    matters; the evidence is every record in `groups`, once."""
    facts = {f.ref: f for group in groups for f in group}
    evidence = tuple(sorted(facts, key=_ref_key))
    cited = tuple(sorted((cite(f) for f in facts.values()), key=lambda c: (c.day, _ref_key(c.ref))))
    listing = "; ".join(c.text for c in cited)
    explanation = f"{seen} The records: {listing}.\n\n{why}"
    return Prompt(rule, title, explanation, evidence, next_step, cited)


def describe_window(days: int) -> str:
    """A window in the words a person would use: 365 -> "12 months", 56 -> "8 weeks"."""
    named = {1: "day", 183: "6 months", 365: "12 months", 730: "2 years"}
    if days in named:
        return named[days]
    if days % 7 == 0 and days >= 14:
        return f"{days // 7} weeks"
    return f"{days} days"


def _in_sentence(label: str) -> str:
    # Lower only the first letter, so acronyms such as CAMHS keep their capitals.
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _category_words(slugs: Iterable[str]) -> str:
    return _join(_in_sentence(label_for(CATEGORIES, s)) for s in sorted(set(slugs)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _join(words: Iterable[str]) -> str:
    items = list(words)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _closed_on(referral: ReferralFact) -> date:
    # A closed referral with no outcome date is treated as closed the day it was made,
    # so that a missing date never hides a prompt.
    return referral.outcome_on or referral.referred_on


def _made_by(referral: ReferralFact, as_of: date) -> bool:
    return referral.referred_on <= as_of


def _awaiting_outcome(referral: ReferralFact, as_of: date) -> bool:
    # An outcome dated after as_of was not known that day: as of then, it was still awaited.
    if referral.outcome_on is not None and referral.outcome_on > as_of:
        return True
    return referral.status == "awaiting-response"


# A referral with one of these statuses has ended (once its outcome is known by the as-of day).
ENDED_STATUSES = frozenset({"closed", "not-accepted", "declined-by-the-family"})


def _referral_ended_on(referral: ReferralFact, as_of: date) -> date | None:
    """The day a referral ended, as known on as_of; None while it is still open."""
    if referral.status in ENDED_STATUSES and not _awaiting_outcome(referral, as_of):
        return _closed_on(referral)
    return None


def _open_during(start: date, ended: date | None, first: date, last: date) -> bool:
    """Open at any time from `first` to `last`: started by the end and not ended before the start."""
    return start <= last and (ended is None or ended >= first)


def _support_in_place(records: ChildRecords, first: date, last: date) -> list[LifeEventFact]:
    """In-school support (ELSA, mentoring, counselling, the school nurse) open in the period."""
    return [e for e in records.life_events
            if e.kind == "school-support" and _open_during(e.occurred_on, e.ended_on, first, last)]

# --- E1 ----------------------------------------------------------------------------------

HELP_DECISIONS = REFERRAL_DECISIONS | {"early-help"}
# The only reviews any rule reads (E1: help already given). A caller may leave the others unread.
# (E14 needs to know whether any decision answered a concern; the loader gives that on the
# observation itself, as `answered_on`.)
REVIEW_DECISIONS_READ: frozenset[str] = HELP_DECISIONS
# Social care already knows this child: neither early help nor a referral would be new advice.
KNOWN_TO_SOCIAL_CARE_FLAGS = frozenset({"child-in-need", "cp-plan-current"})


def _early_help_plans(records: ChildRecords, as_of: date) -> list[tuple[LifeEventFact, date | None]]:
    """Each early help plan started by as_of, with the day it closed (None while open)."""
    closings = sorted(e.occurred_on for e in records.life_events
                      if e.kind == "early-help-closed" and e.occurred_on <= as_of)
    plans = []
    for started in records.life_events:
        if started.kind == "early-help-started" and started.occurred_on <= as_of:
            closed = next((day for day in closings if day >= started.occurred_on), None)
            plans.append((started, closed))
    return plans


@dataclass(frozen=True)
class HelpHistory:
    """What help a child had in a period, as E1's advice needs it."""

    early_help: tuple[Fact, ...]  # early help open, closed or declined in the period
    early_help_flag: bool  # the child's record says an early help plan is in place
    other_help: tuple[Fact, ...]  # in-school support, a referral or a DSL's decision to refer
    other_help_since: date | None  # the earliest day such help began
    social_care: bool  # a referral to social care awaits its answer or is open

    @property
    def has_early_help(self) -> bool:
        return bool(self.early_help) or self.early_help_flag


def help_history(records: ChildRecords, as_of: date, days: int) -> HelpHistory:
    first = window_start(as_of, days)
    early: list[Fact] = []
    for started, closed in _early_help_plans(records, as_of):
        if _open_during(started.occurred_on, closed, first, as_of):
            early.append(started)
    early += [e for e in records.life_events
              if e.kind == "early-help-closed" and _within(e.occurred_on, as_of, days)]
    other: list[Fact] = list(_support_in_place(records, first, as_of))
    social_care = False
    for r in records.referrals:
        if not _made_by(r, as_of):
            continue
        ended = _referral_ended_on(r, as_of)
        if r.agency == "social-care" and ended is None:
            social_care = True
        if not _open_during(r.referred_on, ended, first, as_of):
            continue
        (early if r.agency == "early-help" else other).append(r)
    for review in records.reviews:
        if review.decision in HELP_DECISIONS and _within(review.decided_on, as_of, days):
            (early if review.decision == "early-help" else other).append(review)
    starts = [cite(f).day for f in other]
    return HelpHistory(tuple(early), "early-help-plan" in records.flags, tuple(other),
                       min(starts) if starts else None, social_care)


def e1_concerns_without_early_help(
    records: ChildRecords, as_of: date, settings: E1Settings = E1Settings()
) -> Prompt | None:
    """Several concerns in a short or longer window; the advice follows the help already given."""
    if records.flags & KNOWN_TO_SOCIAL_CARE_FLAGS:
        return None
    history = help_history(records, as_of, settings.help_window_days)
    if history.social_care:
        return None  # quiet while social care has the referral (E12 chases an overdue answer)
    since = None if history.has_early_help else history.other_help_since
    windows = (
        (settings.short_window_days, settings.short_min_observations),
        (settings.long_window_days, settings.long_min_observations),
    )
    hits = []
    for days, minimum in windows:
        concerns = _concerns(records, as_of, days)
        if since is not None:
            concerns = [o for o in concerns if o.occurred_on >= since]
        if len(concerns) >= minimum:
            hits.append((days, concerns))
    if not hits:
        return None
    counted = _join(f"{_plural(len(c), 'concern')} in the last {describe_window(d)}" for d, c in hits)
    help_window = describe_window(settings.help_window_days)
    finding = (f"In {REVIEWS}, neglect cases often showed a period of low-level concerns followed "
               "by a sudden escalation after a life event or a change of circumstances. "
               f"{CHILD_J}, was never identified as a child who might benefit from an early help "
               "assessment, so the chance to identify neglect was lost.")
    concerns = [o for _, c in hits for o in c]
    if history.has_early_help:
        seen = (f"This child has {counted}, and early help was open, closed or declined by the "
                f"family in the last {help_window}.")
        return _prompt(
            "E1", "Concerns continue after early help: consider children's social care", seen,
            f"Early help has not been enough. {finding}",
            "Ring children's social care for a consultation about these concerns, and refer if "
            "they advise it.",
            concerns, history.early_help)
    if since is not None:
        seen = (f"This child has {counted} since help in school or from another agency began on "
                f"{uk_date(since)}.")
        return _prompt(
            "E1", "Concerns continue despite support: consider an early help assessment", seen,
            f"The concerns have continued while the child had support. {finding}",
            "Talk to the parents or carers about an early help assessment, and record what "
            "they say.",
            concerns, history.other_help)
    seen = (f"This child has {counted}, and no early help, support in school or referral in the "
            f"last {help_window}.")
    return _prompt(
        "E1", "Small worries are adding up: consider an early help assessment", seen, finding,
        "Talk to the parents or carers about an early help assessment, and record what they say.",
        concerns)


# --- E2, E3: family adversity ------------------------------------------------------------

THREE_COMMONEST = ("domestic-abuse", "parental-mental-health", "parental-substance-misuse")


def e2_cumulative_adversity(
    records: ChildRecords, as_of: date, settings: E2Settings = E2Settings()
) -> Prompt | None:
    """Several different family adversities recorded in the window."""
    concerns = _concerns(records, as_of, settings.window_days, FAMILY_CATEGORY_SLUGS)
    found = {slug for o in concerns for slug in o.categories} & FAMILY_CATEGORY_SLUGS
    if len(found) < settings.min_categories:
        return None
    return _prompt(
        "E2", f"{len(found)} different family adversities: look at them together",
        f"In the last {describe_window(settings.window_days)}, {len(found)} different family "
        f"adversities were recorded: {_category_words(found)}.",
        f"In {REVIEWS}, adversity was cumulative: 42% of the reviews where neglect was a feature "
        "documented at least three family adversities, and only 11% had none. Each one alone may "
        "look manageable; together they raise the risk.",
        "Ask what living with all of these is like for the child, and record their answer in "
        "their words.",
        concerns)


def e3_three_commonest_adversities(
    records: ChildRecords, as_of: date, settings: E3Settings = E3Settings()
) -> Prompt | None:
    """Domestic abuse, parental mental health and parental substance misuse all recorded."""
    concerns = _concerns(records, as_of, settings.window_days, THREE_COMMONEST)
    if any(not _with(concerns, slug) for slug in THREE_COMMONEST):
        return None
    return _prompt(
        "E3", "Domestic abuse, a parent's mental health and a parent's drug or alcohol use all recorded",
        f"All three were recorded in the last {describe_window(settings.window_days)}.",
        f"In {REVIEWS}, they were the commonest adversities in the reviews where neglect was a "
        "feature: domestic abuse in 64%, a parent's mental health problems in 56%, and alcohol or "
        "drug misuse in 39%.",
        "Consult children's social care about what living with all three means for this child "
        "each day.",
        concerns)


# --- E4, E5: neglect and poverty ---------------------------------------------------------


def _signs_in_many_months(
    records: ChildRecords, as_of: date, settings: E4Settings
) -> dict[str, list[ObservationFact]]:
    """Each neglect sign seen in enough different calendar months, with its observations."""
    concerns = _neglect(_concerns(records, as_of, settings.long_window_days, NEGLECT_SIGNS))
    repeated: dict[str, list[ObservationFact]] = {}
    for sign in sorted(NEGLECT_SIGNS):
        seen = _with(concerns, sign)
        months = {(o.occurred_on.year, o.occurred_on.month) for o in seen}
        if len(months) >= settings.min_months:
            repeated[sign] = seen
    return repeated


def e4_neglect_signs(
    records: ChildRecords, as_of: date, settings: E4Settings = E4Settings()
) -> Prompt | None:
    """Several neglect signs recently, or the same sign month after month."""
    recent = _neglect(_concerns(records, as_of, settings.short_window_days, NEGLECT_SIGNS))
    if len(recent) < settings.short_min_observations:
        recent = []
    repeated = _signs_in_many_months(records, as_of, settings)
    if not recent and not repeated:
        return None
    found = []
    if recent:
        found.append(f"{_plural(len(recent), 'observation')} with signs of neglect in the last "
                     f"{describe_window(settings.short_window_days)}")
    if repeated:
        found.append(f"{_category_words(repeated)} recorded in {settings.min_months} or more "
                     f"different months in the last {describe_window(settings.long_window_days)}")
    return _prompt(
        "E4", "Repeated signs of neglect", f"This child has {_join(found)}.",
        f"In {REVIEWS}, neglect featured in three-quarters of the cases examined. Typical signs "
        "were poor hygiene, dental decay, missed health appointments and poor attendance, and "
        "staff working in deprived areas could become used to seeing them.",
        "Read the signs together with the child's family history, and decide this week whether "
        "early help or a referral to children's social care is needed.",
        recent, *repeated.values())


def e5_poverty_with_neglect(
    records: ChildRecords, as_of: date, settings: E5Settings = E5Settings()
) -> Prompt | None:
    """Poverty together with a recent neglect sign or a parent's substance misuse."""
    poverty = _concerns(records, as_of, settings.window_days, {"poverty"})
    # (v2) The prompt fades six months after the last such sign, not a year after the poverty.
    alongside = _with(_concerns(records, as_of, settings.sign_window_days),
                      *NEGLECT_SIGNS, "parental-substance-misuse")
    if not poverty or not alongside:
        return None
    partners = {s for o in alongside for s in o.categories} & (
        NEGLECT_SIGNS | {"parental-substance-misuse"})
    return _prompt(
        "E5", "Poverty alongside signs of neglect or a parent's drug or alcohol use",
        f"Poverty was recorded in the last {describe_window(settings.window_days)}, and "
        f"{_category_words(partners)} in the last {describe_window(settings.sign_window_days)}.",
        f"In {REVIEWS}, poverty was often under-recognised. For {CARA}, agencies cleaned up the "
        "home and provided food and cash, saw improvement and closed the case; how poverty "
        "affected the children's safety was never explored. Fixing the physical signs of poverty "
        "does not make a child safe.",
        "Ask the child and the family how money worries affect meals, sleep and care at home, "
        "and record what is happening for the child, not only what was provided.",
        poverty, alongside)

# --- E6, E7, E8: missing, exploitation ---------------------------------------------------

EXPLOITATION_SIGNS = ("sexual-exploitation", "criminal-exploitation")


def _missing_without_interview(
    records: ChildRecords, as_of: date, home: list[ObservationFact]
) -> list[ObservationFact]:
    """Missing-from-home episodes with no return-home interview recorded on or after them."""
    interviews = [e.occurred_on for e in records.life_events
                  if e.kind == "return-home-interview" and e.occurred_on <= as_of]
    return [o for o in home if not any(day >= o.occurred_on for day in interviews)]


def e6_missing(
    records: ChildRecords, as_of: date, settings: E6Settings = E6Settings()
) -> Prompt | None:
    """Missing from home with no return interview; or from education twice or with exploitation."""
    concerns = _concerns(records, as_of, settings.window_days)
    home = _missing_without_interview(records, as_of, _with(concerns, "missing-home"))
    education = _with(concerns, "missing-education")
    exploitation = _with(concerns, *EXPLOITATION_SIGNS) if education else []
    if len(education) < settings.min_missing_education and not exploitation:
        education, exploitation = [], []
    if not home and not education:
        return None
    window = describe_window(settings.window_days)
    asks, facts, findings, steps = [], [], [], []
    if home:
        episodes = _join(f"{uk_date(o.occurred_on)} (the interview was due by "
                         f"{uk_date(o.occurred_on + timedelta(days=3))})"
                         for o in sorted(home, key=lambda o: o.occurred_on))
        facts.append(f"missing from home or care on {episodes}, with no return-home interview "
                     f"recorded after {'it' if len(home) == 1 else 'them'}")
        asks.append("ask for the return interview")
        findings.append("The local authority must offer an independent return interview within "
                        "72 hours of a missing child being found or coming back.")
        steps.append("ask the local authority's missing-children service for the return-home "
                     "interview and what it found, and record it as a life event")
    if education:
        with_signs = ", with signs of exploitation recorded" if exploitation else ""
        facts.append(f"missing from education {_times(len(education))} in the last {window}"
                     f"{with_signs}")
        asks.append("ask for a multi-agency response")
        findings.append("In one review, a ten-year-old girl who went missing from education was "
                        "logged 'for information only', although she was known to have a much "
                        "older 'boyfriend'.")
        steps.append("share the absences with children's social care and the police as a "
                     "multi-agency concern, not for information only")
    if len(steps) > 1:  # one step a DSL can take: both missing from home and from education
        steps = ["share the missing episodes with children's social care and the police as a "
                 "multi-agency concern, and ask the local authority for the return-home interview"]
    return _prompt(
        "E6", "Missing: " + " and ".join(asks), f"This child was {'; and '.join(facts)}.",
        f"In {REVIEWS}, children missing from education, home or care were at increased risk of "
        "harm, and going missing raised the risk of exploitation. " + " ".join(findings),
        _sentence(steps[0]) + ".",
        home, education, exploitation)


# (v2) Injury is no longer a sign on its own: an injury from violence is criminal exploitation.
ADOLESCENT_SIGNS = ("exclusion", "missing-education", "missing-home", "substance-misuse-child",
                    "criminal-exploitation", "sexual-exploitation")


def _adolescent_signs(
    records: ChildRecords, as_of: date, settings: E7Settings
) -> dict[str, list[Fact]]:
    """Each sign seen while the child was old enough, with the records that show it."""
    def old_enough(day: date) -> bool:
        return age_on(records.date_of_birth, day) >= settings.min_age_years

    found: dict[str, list[Fact]] = {}
    for o in _concerns(records, as_of, settings.window_days, ADOLESCENT_SIGNS):
        if old_enough(o.occurred_on):
            for sign in o.categories & set(ADOLESCENT_SIGNS):
                found.setdefault(sign, []).append(o)
    for event in records.life_events:
        if (event.kind == "exclusion" and _within(event.occurred_on, as_of, settings.window_days)
                and old_enough(event.occurred_on)):
            found.setdefault("exclusion", []).append(event)
    return found


def e7_adolescent_exploitation_signs(
    records: ChildRecords, as_of: date, settings: E7Settings = E7Settings()
) -> Prompt | None:
    """An older child with several different signs tied to exploitation."""
    found = _adolescent_signs(records, as_of, settings)
    if len(found) < settings.min_signs:
        return None
    return _prompt(
        "E7", "Signs linked to criminal or sexual exploitation",
        f"In the last {describe_window(settings.window_days)}, this child (aged "
        f"{settings.min_age_years} or over at the time) had {len(found)} different signs recorded: "
        f"{_category_words(found)}. Criminal exploitation (county lines, gangs, carrying drugs or "
        "money) and sexual exploitation are both possible.",
        f"In {REVIEWS}, criminal exploitation was closely associated with young people being "
        "excluded from school, going missing, substance misuse and earlier loss and separation. "
        "In one review, a boy's assaults, exclusions, going missing and gang involvement were "
        "never put together, and a chance to intervene was missed.",
        "Talk to the child with someone they trust, then share what you know with the police and "
        "children's social care under the local exploitation procedure.",
        *found.values())


BOY_WORDS = frozenset({"male", "m", "boy"})


def is_boy(gender: str) -> bool:
    return gender.strip().casefold() in BOY_WORDS


def e8_sexual_exploitation(
    records: ChildRecords, as_of: date, settings: E8Settings = E8Settings()
) -> Prompt | None:
    """(v2) A sign of sexual exploitation, or online safety with going missing, for any child.

    The child's sex changes only the wording: for a boy it adds that boys disclose less often.
    """
    signs = _concerns(records, as_of, settings.window_days, {"sexual-exploitation"})
    recent = _concerns(records, as_of, settings.online_window_days)
    online, missing = _with(recent, "online-safety"), _with(recent, "missing-home")
    if not (online and missing):
        online, missing = [], []
    if not signs and not online:
        return None
    facts = []
    if signs:
        facts.append(f"a sign of sexual exploitation was recorded in the last "
                     f"{describe_window(settings.window_days)}")
    if online:
        facts.append(f"an online safety concern and going missing from home were both recorded "
                     f"in the last {describe_window(settings.online_window_days)}")
    boy = ""
    if is_boy(records.gender):
        boy = (" Boys are less likely to disclose abuse, and the risks for male victims are no "
               "less serious: ask yourself whether the response would be different if this "
               "child were a girl.")
    return _prompt(
        "E8", "Signs of sexual exploitation: refer to children's social care",
        f"For this child, {_join(facts)}.",
        f"In {REVIEWS}, more girls aged 11 and over were the focus of reviews because of sexual "
        "exploitation, and professionals were slow to recognise it, particularly for boys. An "
        "older 'boyfriend' or 'girlfriend', gifts, money or lifts are exploitation, and abuse, "
        "even when the child calls it a relationship." + boy,
        "Refer to children's social care today, under the local exploitation procedure.",
        signs, online, missing)


# --- E9, E10, E11: self-harm and the child's voice ---------------------------------------


def e9_self_harm(
    records: ChildRecords, as_of: date, settings: E9Settings = E9Settings()
) -> Prompt | None:
    """Any self-harm: refer to health; repeated self-harm: escalate."""
    episodes = _concerns(records, as_of, settings.window_days, {"self-harm"})
    if not episodes:
        return None
    window = describe_window(settings.window_days)
    if len(episodes) >= settings.escalate_at:
        title = f"Self-harm recorded {_times(len(episodes))}: escalate"
        step = ("Escalate: ask health services (CAMHS or the GP) for a specialist assessment, "
                "and press for it if one has not happened yet.")
    else:
        title = "Self-harm recorded: refer to health for a specialist assessment"
        step = "Refer to health services (CAMHS or the GP) for a specialist assessment."
    return _prompt(
        "E9", title,
        f"Self-harm or talk of suicide was recorded {_times(len(episodes))} in the last {window}.",
        f"In {REVIEWS}, suicide was the commonest maltreatment-related death outside infancy, "
        "and non-fatal self-harm is strongly associated with suicide.",
        step, episodes)


def e10_child_voice_missing(
    records: ChildRecords, as_of: date, settings: E10Settings = E10Settings()
) -> Prompt | None:
    """Several concerns and none of them records the child's own words."""
    concerns = _concerns(records, as_of, settings.window_days)
    if len(concerns) < settings.min_observations or any(o.records_child_voice for o in concerns):
        return None
    return _prompt(
        "E10", "The child's own words are missing",
        f"{_plural(len(concerns), 'concern')} recorded in the last "
        f"{describe_window(settings.window_days)}, and none of them records what the child said.",
        f"In {REVIEWS}, little was recorded of children's own views and wishes: in one review, "
        "every professional working with a girl knew how vulnerable she was, yet little was "
        "written down about what life was actually like for her.",
        "Ask a member of staff the child trusts to talk with them, and record their words "
        "exactly as they said them.",
        concerns)


# (v2) Communication and learning needs, by the MIS code: not SpLD (dyslexia) nor SEMH.
COMMUNICATION_NEEDS = frozenset({"SLCN", "ASD", "MLD", "SLD", "PMLD", "HI", "VI", "MSI"})


def e11_send_child_voice(
    records: ChildRecords, as_of: date, settings: E11Settings = E11Settings()
) -> Prompt | None:
    """A child with communication or learning needs and several recent concerns."""
    code = records.sen_primary_need.strip().upper()
    needs = next((c for c in COMMUNICATION_NEEDS if c.upper() == code), None)
    if needs is None and not records.communication_needs:
        return None
    concerns = _concerns(records, as_of, settings.window_days)
    if len(concerns) < settings.min_observations:
        return None
    which = (f"a special educational need of {_in_sentence(label_for(SEN_NEEDS, needs))} "
             f"({needs})" if needs else "communication needs recorded")
    return _prompt(
        "E11", "Communication or learning needs: involve the SENCO and find other ways to hear the child",
        f"This child has {which}, and {_plural(len(concerns), 'concern')} recorded in the last "
        f"{describe_window(settings.window_days)}.",
        f"The briefing on {REVIEWS} asks staff to pay particular attention to children who, "
        "through communication or learning difficulties, find it especially hard to express "
        "their experiences.",
        "Ask the special educational needs coordinator (SENCO) how this child communicates best, "
        "and use that way to hear from them about these concerns.",
        concerns)

# --- E12, E13: after a referral ----------------------------------------------------------


def _concerns_after(
    records: ChildRecords, as_of: date, settings: E12Settings, status: str
) -> list[tuple[ReferralFact, list[ObservationFact]]]:
    """Referrals that ended with `status`, each with the concerns that happened after."""
    concerns = _concerns(records, as_of, settings.window_days)
    found = []
    for referral in records.referrals:
        if (referral.status != status or not _made_by(referral, as_of)
                or _awaiting_outcome(referral, as_of)):
            continue
        after = [o for o in concerns if o.occurred_on > _closed_on(referral)]
        if len(after) >= settings.min_observations:
            found.append((referral, after))
    return found


def _overdue_referrals(records: ChildRecords, as_of: date) -> list[ReferralFact]:
    return [
        r for r in records.referrals
        if _made_by(r, as_of) and r.follow_up_on is not None and r.follow_up_on < as_of
        and _awaiting_outcome(r, as_of)
    ]


def _overdue_words(overdue: list[ReferralFact]) -> str:
    agencies = _join(sorted({_in_sentence(label_for(AGENCIES, r.agency)) for r in overdue}))
    if len(overdue) == 1:
        return (f"a referral to {agencies} has no outcome although its follow-up date "
                f"({uk_date(overdue[0].follow_up_on)}) has passed")
    return (f"{len(overdue)} referrals (to {agencies}) have no outcome although their "
            "follow-up dates have passed")


def e12_challenge_referral(
    records: ChildRecords, as_of: date, settings: E12Settings = E12Settings()
) -> Prompt | None:
    """Concerns continue after a referral was not accepted or early help was declined by the
    family, or a referral's outcome is overdue."""
    refused = _concerns_after(records, as_of, settings, "not-accepted")
    declined = _concerns_after(records, as_of, settings, "declined-by-the-family")
    overdue = _overdue_referrals(records, as_of)
    if not refused and not declined and not overdue:
        return None
    asks, facts, findings, steps = [], [], [], []
    if refused:
        count = len({o.ref for _, after in refused for o in after})
        facts.append(f"{_plural(count, 'new concern')} recorded after a referral was not accepted")
        asks.append("press for reconsideration")
        steps.append("use the local escalation procedure to ask the agency to reconsider, "
                     "citing these new concerns")
    if declined:
        count = len({o.ref for _, after in declined for o in after})
        facts.append(f"{_plural(count, 'new concern')} recorded after the family declined early help")
        asks.append("consider a referral to social care")
        findings.append("Early help needs the family's consent, and they refused it; consent is "
                        "not needed to refer a child who may be at risk of significant harm.")
        steps.append("decide whether these concerns now need a referral to children's social "
                     "care, and record your reasons either way")
    if overdue:
        facts.append(_overdue_words(overdue))
        asks.append("follow up the referral")
        steps.append("ring the agency for the outcome of the referral and record it")
    return _prompt(
        "E12", "After a referral: " + " and ".join(asks), f"{_sentence(_join(facts))}.",
        " ".join([f"In {REVIEWS}, schools rarely challenged a referral that did not meet the "
                  "threshold, or escalated their concern. If a child's situation does not improve "
                  "after a referral, the designated safeguarding lead should press for "
                  "reconsideration (Keeping children safe in education) and follow referrals up "
                  "to see what action was taken.", *findings]),
        _sentence(_join(steps)) + ".",
        [r for r, _ in refused + declined], *(after for _, after in refused + declined), overdue)


CLOSING_EVENTS = frozenset({"early-help-closed", "cp-plan-ended"})


def _recent_closures(records: ChildRecords, as_of: date, days: int) -> list[tuple[Fact, date]]:
    """Referrals and plans that closed within the window, with their closing dates. (An offer of
    early help the family declined is E12's case, not a closing.)"""
    closures: list[tuple[Fact, date]] = [
        (r, _closed_on(r)) for r in records.referrals
        if r.status == "closed" and _made_by(r, as_of) and not _awaiting_outcome(r, as_of)
    ]
    closures += [(e, e.occurred_on) for e in records.life_events if e.kind in CLOSING_EVENTS]
    return [(fact, day) for fact, day in closures if _within(day, as_of, days)]


def e13_concerns_after_closure(
    records: ChildRecords, as_of: date, settings: E13Settings = E13Settings()
) -> Prompt | None:
    """New concerns soon after a referral or a plan closed."""
    concerns = _concerns(records, as_of, settings.window_days)
    closures: list[Fact] = []
    after: dict[str, ObservationFact] = {}
    for fact, closed_on in _recent_closures(records, as_of, settings.window_days):
        since = [o for o in concerns if o.occurred_on > closed_on]
        if len(since) >= settings.min_observations:
            closures.append(fact)
            after.update((o.ref, o) for o in since)
    if not closures:
        return None
    return _prompt(
        "E13", "New concerns soon after a case closed",
        f"{_plural(len(after), 'new concern')} recorded within "
        f"{describe_window(settings.window_days)} of a referral or plan closing.",
        f"In {REVIEWS}, cases were closed after short bursts of improvement: for {CARA}, agencies "
        "cleaned up the home and provided food or cash, signs of improvement led to the case "
        "being closed, and the underlying causes were never explored.",
        "Tell the agency that closed the case about the new concerns, and ask whether it should "
        "be reopened.",
        closures, after.values())


# --- E14, E15 ----------------------------------------------------------------------------

UNHEARD_SOURCES = frozenset({"wider-family", "community"})


def e14_wider_family_concern(
    records: ChildRecords, as_of: date, settings: E14Settings = E14Settings()
) -> Prompt | None:
    """A concern raised by wider family, a neighbour or an anonymous caller, not yet answered."""
    raised = [o for o in _concerns(records, as_of, settings.window_days)
              if o.source in UNHEARD_SOURCES and (o.answered_on is None or o.answered_on > as_of)]
    if not raised:
        return None
    return _prompt(
        "E14", "A concern from wider family or the community: make sure it was acted on",
        f"{_plural(len(raised), 'concern')} in the last {describe_window(settings.window_days)} "
        "came from wider family, a neighbour or an anonymous caller, and no DSL decision has "
        "answered it yet." if len(raised) == 1 else
        f"{_plural(len(raised), 'concern')} in the last {describe_window(settings.window_days)} "
        "came from wider family, a neighbour or an anonymous caller, and no DSL decision has "
        "answered them yet.",
        f"In {REVIEWS}, the voice of wider family often went unheard. Concerns reported by wider "
        "family, neighbours or anonymously should always be recorded accurately, taken seriously "
        "and acted on.",
        "Record your decision on each of these concerns, and tell the person who raised it what "
        "happens next where that is safe.",
        raised)


def e15_young_child_not_brought(
    records: ChildRecords, as_of: date, settings: E15Settings = E15Settings()
) -> Prompt | None:
    """A young child not brought to nursery or an appointment, with poverty recorded."""
    concerns = _concerns(records, as_of, settings.window_days)
    not_brought = [o for o in _with(concerns, "not-brought")
                   if age_on(records.date_of_birth, o.occurred_on) < settings.under_age_years]
    poverty = _with(concerns, "poverty")
    if not not_brought or not poverty:
        return None
    return _prompt(
        "E15", "A young child not brought, with poverty recorded",
        f"In the last {describe_window(settings.window_days)}, this child was not brought "
        f"while under {settings.under_age_years}, and poverty was recorded.",
        f"In {REVIEWS}, the younger children in the family of {CARA}, sometimes did not go to "
        "nursery because the fees were unpaid, and their experience of poverty was never explored.",
        "Ask the family why the child was not brought and whether fees or costs are the reason, "
        "and tell the health visitor.",
        not_brought, poverty)


# --- E16 to E19 (v2) ---------------------------------------------------------------------

RISKS_TO_A_BABY = frozenset({"injury", "domestic-abuse", "parental-substance-misuse",
                             "parental-mental-health"}) | NEGLECT_SIGNS_BESIDES_ATTENDANCE


def _baby_at_home(member: HouseholdMemberFact, day: date, under_months: int) -> bool:
    """A baby (born or on the way) living with the child, not yet `under_months` old on the day."""
    born = member.born_or_due
    return (born is not None and member.lives_with_child is not False
            and months_old(born, day) < under_months)


def e16_babies_and_the_youngest(
    records: ChildRecords, as_of: date, settings: E16Settings = E16Settings()
) -> Prompt | None:
    """An injury to a very young child, or a risk at home where a baby lives."""
    concerns = _concerns(records, as_of, settings.window_days)
    injured = [o for o in _with(concerns, "injury")
               if age_on(records.date_of_birth, o.occurred_on) < settings.under_age_years]
    risks = [o for o in _with(concerns, *RISKS_TO_A_BABY)
             if any(_baby_at_home(m, o.occurred_on, settings.baby_under_months)
                    for m in records.household)]
    if not injured and not risks:
        return None
    window = describe_window(settings.window_days)
    facts = []
    if injured:
        facts.append(f"this child was injured while under {settings.under_age_years} "
                     f"({_times(len(injured))} in the last {window})")
    if risks:
        babies = sorted({m.born_or_due for m in records.household
                         if any(_baby_at_home(m, o.occurred_on, settings.baby_under_months)
                                for o in risks)})
        born = _join(f"{'due' if d > as_of else 'born'} {uk_date(d)}" for d in babies)
        signs = {s for o in risks for s in o.categories} & RISKS_TO_A_BABY
        facts.append(f"{_category_words(signs)} recorded in the last {window} while the household "
                     f"includes a baby under {settings.baby_under_months} months old or on the way "
                     f"({born})")
    return _prompt(
        "E16", "A baby or a very young child: think of the youngest too",
        f"{_sentence(_join(facts))}.",
        f"In {REVIEWS}, the youngest children were the most at risk: 42% of the incidents "
        "reviewed concerned babies under 12 months, and 21% children aged one to five. A baby "
        "cannot tell anyone what is happening.",
        "Share these concerns with the health visitor or children's social care today, and ask "
        "about the baby as well as this child.",
        injured, risks)


def e17_young_carer(
    records: ChildRecords, as_of: date, settings: E17Settings = E17Settings()
) -> Prompt | None:
    """A child who may be caring for a parent, and no young carer's assessment asked for."""
    concerns = _concerns(records, as_of, settings.window_days)
    caring = _with(concerns, "young-carer")
    flagged = "young-carer" in records.flags
    shown = caring or (concerns if flagged else [])
    if not shown:
        return None
    if any(_made_by(r, as_of) and (r.kind == "young-carers-assessment" or r.agency == "young-carers")
           for r in records.referrals):
        return None
    window = describe_window(settings.window_days)
    seen = (f"Young caring was recorded {_times(len(caring))} in the last {window}" if caring else
            f"This child is recorded as a young carer and had {_plural(len(shown), 'concern')} in "
            f"the last {window}")
    return _prompt(
        "E17", "A young carer: refer for a young carer's assessment",
        f"{seen}; no referral for a young carer's assessment is recorded.",
        f"The briefing on {REVIEWS} says that where a young person may be caring for a parent, "
        "they should be referred to children's services for a young carer's assessment. Children "
        "caring for a parent are particularly at risk of becoming isolated from their peers.",
        "Refer to children's services or the local young carers service for a young carer's "
        "assessment, and ask that loneliness is part of it.",
        shown)


def e18_many_worries(
    records: ChildRecords, as_of: date, settings: E18Settings = E18Settings()
) -> Prompt | None:
    """Many different kinds of worry about the child: look at them together."""
    concerns = _concerns(records, as_of, settings.window_days, CHILD_CATEGORY_SLUGS)
    found = {s for o in concerns for s in o.categories} & CHILD_CATEGORY_SLUGS
    if len(found) < settings.min_categories:
        return None
    return _prompt(
        "E18", f"{len(found)} different worries about the child: look at them together",
        f"In the last {describe_window(settings.window_days)}, {len(found)} different kinds of "
        f"worry about this child were recorded: {_category_words(found)}.",
        f"In {REVIEWS}, many young people had shown by their behaviour that something was wrong "
        "long before adolescence, but the cause was not explored and each incident was dealt "
        "with in isolation as it happened.",
        "Read these records together with the staff who know the child best, and agree one plan "
        "for what might lie behind them.",
        concerns)


def e19_attendance_with_neglect(
    records: ChildRecords, as_of: date, settings: E19Settings = E19Settings()
) -> Prompt | None:
    """Low attendance in the latest figures, with a neglect sign or missing education then."""
    first = window_start(as_of, settings.window_days)
    known = [a for a in records.attendance if a.period_start <= as_of and a.period_end >= first]
    if not known:
        return None
    latest = max(known, key=lambda a: (a.period_end, a.period_start))
    if latest.percent >= settings.below_percent:
        return None
    period = records.concerns_between(max(latest.period_start, first), min(latest.period_end, as_of))
    signs = _with(period, *NEGLECT_SIGNS_BESIDES_ATTENDANCE, "missing-education")
    if not signs:
        return None
    found = {s for o in signs for s in o.categories} & (NEGLECT_SIGNS_BESIDES_ATTENDANCE
                                                       | {"missing-education"})
    return _prompt(
        "E19", "Low attendance alongside signs of neglect",
        f"Attendance was {latest.percent:g}% from {uk_date(latest.period_start)} to "
        f"{uk_date(latest.period_end)} (below {settings.below_percent}%), and "
        f"{_category_words(found)} {'was' if len(found) == 1 else 'were'} recorded in that time.",
        f"In {REVIEWS}, poor attendance was a common finding in neglect cases. In one review, a "
        "girl's attendance had been as low as 50% for years, wrongly put down to illness.",
        "Ask the family and the GP (with consent, or where the child may be at risk) why the "
        "child is missing school, and record what you are told.",
        signs)

# --- All rules together ------------------------------------------------------------------

Rule = Callable[[ChildRecords, date, Any], Prompt | None]

RULES: Mapping[str, Rule] = {
    "E1": e1_concerns_without_early_help,
    "E2": e2_cumulative_adversity,
    "E3": e3_three_commonest_adversities,
    "E4": e4_neglect_signs,
    "E5": e5_poverty_with_neglect,
    "E6": e6_missing,
    "E7": e7_adolescent_exploitation_signs,
    "E8": e8_sexual_exploitation,
    "E9": e9_self_harm,
    "E10": e10_child_voice_missing,
    "E11": e11_send_child_voice,
    "E12": e12_challenge_referral,
    "E13": e13_concerns_after_closure,
    "E14": e14_wider_family_concern,
    "E15": e15_young_child_not_brought,
    "E16": e16_babies_and_the_youngest,
    "E17": e17_young_carer,
    "E18": e18_many_worries,
    "E19": e19_attendance_with_neglect,
}
RULE_IDS: tuple[str, ...] = tuple(RULES)
# The only rules that can fire for a child with no concerns at all (E12: a referral's overdue
# answer). Most children of a school have none, so the nightly run asks them only these.
RULES_WITHOUT_CONCERNS: frozenset[str] = frozenset({"E12"})

# Short names for the admin's on/off switches and the dashboard's rule filter.
RULE_NAMES: Mapping[str, str] = {
    "E1": "Small worries adding up: early help, or social care after it",
    "E2": "Several family adversities",
    "E3": "Domestic abuse, parental mental health and substance misuse together",
    "E4": "Repeated signs of neglect",
    "E5": "Poverty with neglect or parental substance misuse",
    "E6": "Missing from home, care or education",
    "E7": "Adolescent with signs of criminal or sexual exploitation",
    "E8": "Signs of sexual exploitation",
    "E9": "Self-harm",
    "E10": "The child's own words missing",
    "E11": "Communication or learning needs and several concerns",
    "E12": "Challenge or follow up a referral, or after early help was declined",
    "E13": "New concerns after a case closed",
    "E14": "Concern from wider family or the community, not yet answered",
    "E15": "Young child not brought, with poverty",
    "E16": "A baby or a very young child",
    "E17": "Young carer with no young carer's assessment",
    "E18": "Many different worries in six months",
    "E19": "Low attendance with signs of neglect",
}


def rule_number(rule_id: str) -> int:
    """E2 sorts before E10."""
    return int(rule_id.removeprefix("E"))


def evaluate(
    records: ChildRecords,
    as_of: date,
    settings: RuleSettings | None = None,
    disabled: frozenset[str] = frozenset(),
) -> list[Prompt]:
    """Every enabled rule's prompt for one child as of a day, in rule order."""
    unknown = set(disabled) - set(RULE_IDS)
    if unknown:
        # A mistyped id would silently leave a rule on that the school meant to switch off.
        raise ValueError(
            f"Unknown rule ids: {', '.join(sorted(unknown))}; the rules are E1 to E19.")
    chosen = settings or defaults()
    asked = RULE_IDS if records.has_concerns else RULES_WITHOUT_CONCERNS
    prompts = [
        RULES[rule_id](records, as_of, chosen.for_rule(rule_id))
        for rule_id in RULE_IDS if rule_id not in disabled and rule_id in asked
    ]
    return sorted((p for p in prompts if p is not None), key=lambda p: rule_number(p.rule))
