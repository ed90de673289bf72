"""The fifteen pattern prompts (E1-E15): pure rules over one child's records as of a date."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Any

from ..vocabulary import (
    AGENCIES,
    CATEGORIES,
    FAMILY_CATEGORY_SLUGS,
    NEGLECT_SIGNS,
    REFERRAL_DECISIONS,
    label_for,
)
from .records import ChildRecords, ObservationFact, ReferralFact

REVIEWS = "the national analysis of 368 serious case reviews in England (2014-17)"


@dataclass(frozen=True)
class Prompt:
    """Advice for the designated safeguarding lead, never a decision."""

    rule: str  # "E1" .. "E15"
    title: str
    explanation: str
    evidence: tuple[str, ...]  # record refs such as "observation:12", see records.record_ref


# --- Settings ----------------------------------------------------------------------------

MAX_WINDOW_DAYS = 3653  # ten years: longer than any chronology a school keeps open
MAX_COUNT = 100
MAX_AGE_YEARS = 25  # child protection records are kept to the 25th birthday


def _window(label: str, default: int) -> Any:
    return field(default=default, metadata={"label": label, "kind": "window"})


def _count(label: str, default: int) -> Any:
    return field(default=default, metadata={"label": label, "kind": "count"})


def _age(label: str, default: int) -> Any:
    return field(default=default, metadata={"label": label, "kind": "age"})


@dataclass(frozen=True)
class E1Settings:
    short_window_days: int = _window("short window (days)", 30)
    short_min_observations: int = _count("concerns needed in the short window", 3)
    long_window_days: int = _window("long window (days)", 90)
    long_min_observations: int = _count("concerns needed in the long window", 5)


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
    window_days: int = _window("window (days)", 365)


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
            errors[str(rule_id)] = f"{rule_id!r} is not a rule; the rules are E1 to E15."
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
    ceiling = {"window": MAX_WINDOW_DAYS, "count": MAX_COUNT, "age": MAX_AGE_YEARS}[kind]
    if value > ceiling:
        raise ValueError(f"{label} can be at most {ceiling}; {value} was given.")
    return value


# --- Shared helpers ----------------------------------------------------------------------


def window_start(as_of: date, days: int) -> date:
    """The oldest day inside a window: "in 30 days" is the 30 days up to and including as_of."""
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


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on a day."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def _ref_key(ref: str) -> tuple[str, bool, int, str]:
    # Number order, not text order, so observation:9 comes before observation:10.
    kind, _, ident = ref.partition(":")
    numeric = ident.isdecimal()
    return kind, not numeric, int(ident) if numeric else 0, ident


def _evidence(*groups: Iterable[Any]) -> tuple[str, ...]:
    refs = {item if isinstance(item, str) else item.ref for group in groups for item in group}
    return tuple(sorted(refs, key=_ref_key))


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
    return label[:1].lower() + label[1:]


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


# --- E1 ----------------------------------------------------------------------------------

HELP_DECISIONS = REFERRAL_DECISIONS | {"early-help"}
# The only reviews any rule reads (E1: help already given). A caller may leave the others unread.
REVIEW_DECISIONS_READ: frozenset[str] = HELP_DECISIONS
# A child already on a plan or known to social care needs more than an early help
# assessment, so suggesting one would be wrong advice.
ALREADY_SUPPORTED_FLAGS = frozenset({"early-help-plan", "child-in-need", "cp-plan-current"})


def _help_recorded(records: ChildRecords, as_of: date, days: int) -> bool:
    return (
        any(_within(r.referred_on, as_of, days) for r in records.referrals)
        or any(r.decision in HELP_DECISIONS and _within(r.decided_on, as_of, days)
               for r in records.reviews)
        or any(e.kind == "early-help-started" and _within(e.occurred_on, as_of, days)
               for e in records.life_events)
    )


def e1_concerns_without_early_help(
    records: ChildRecords, as_of: date, settings: E1Settings = E1Settings()
) -> Prompt | None:
    """Several concerns in a short or longer window, and no early help or referral in it."""
    if records.flags & ALREADY_SUPPORTED_FLAGS:
        return None
    windows = (
        (settings.short_window_days, settings.short_min_observations),
        (settings.long_window_days, settings.long_min_observations),
    )
    hits = []
    for days, minimum in windows:
        concerns = _concerns(records, as_of, days)
        if len(concerns) >= minimum and not _help_recorded(records, as_of, days):
            hits.append((days, concerns))
    if not hits:
        return None
    counted = _join(f"{_plural(len(c), 'concern')} in the last {describe_window(d)}"
                    for d, c in hits)
    return Prompt(
        "E1",
        "Small worries are adding up: consider an early help assessment",
        f"This child has {counted}, and no early help or referral was recorded in that time. "
        f"In {REVIEWS}, neglect cases often showed a period of low-level concerns followed by "
        "a sudden escalation after a life event or a change of circumstances. Child J was never "
        "identified as a child who might benefit from an early help assessment, so the chance "
        "to identify neglect was lost.",
        _evidence(*(c for _, c in hits)),
    )


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
    return Prompt(
        "E2",
        f"{len(found)} different family adversities: look at them together",
        f"In the last {describe_window(settings.window_days)} these were recorded: "
        f"{_category_words(found)}. In {REVIEWS}, adversity was cumulative: 42% of the reviews "
        "where neglect was a feature documented at least three family adversities, and only 11% "
        "had none. Each one alone may look manageable; together they raise the risk.",
        _evidence(concerns),
    )


def e3_three_commonest_adversities(
    records: ChildRecords, as_of: date, settings: E3Settings = E3Settings()
) -> Prompt | None:
    """Domestic abuse, parental mental health and parental substance misuse all recorded."""
    concerns = _concerns(records, as_of, settings.window_days, THREE_COMMONEST)
    if any(not _with(concerns, slug) for slug in THREE_COMMONEST):
        return None
    return Prompt(
        "E3",
        "Domestic abuse, a parent's mental health and a parent's drug or alcohol use all recorded",
        f"All three were recorded in the last {describe_window(settings.window_days)}. "
        f"In {REVIEWS}, they were the commonest adversities in the reviews where neglect was a "
        "feature: domestic abuse in 64%, a parent's mental health problems in 56%, and alcohol or "
        "drug misuse in 39%. Consider what living with all three means for this child each day.",
        _evidence(concerns),
    )


# --- E4, E5: neglect and poverty ---------------------------------------------------------


def _signs_in_many_months(
    records: ChildRecords, as_of: date, settings: E4Settings
) -> dict[str, list[ObservationFact]]:
    """Each neglect sign seen in enough different calendar months, with its observations."""
    concerns = _concerns(records, as_of, settings.long_window_days, NEGLECT_SIGNS)
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
    recent = _concerns(records, as_of, settings.short_window_days, NEGLECT_SIGNS)
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
    return Prompt(
        "E4",
        "Repeated signs of neglect",
        f"This child has {_join(found)}. In {REVIEWS}, neglect featured in three-quarters of the "
        "cases examined. Typical signs were poor hygiene, dental decay, missed health appointments "
        "and poor attendance, and staff working in deprived areas could become used to seeing "
        "them. Look at the signs together rather than one day at a time.",
        _evidence(recent, *repeated.values()),
    )


def e5_poverty_with_neglect(
    records: ChildRecords, as_of: date, settings: E5Settings = E5Settings()
) -> Prompt | None:
    """Poverty together with a neglect sign or a parent's substance misuse."""
    concerns = _concerns(records, as_of, settings.window_days)
    poverty = _with(concerns, "poverty")
    alongside = _with(concerns, *NEGLECT_SIGNS, "parental-substance-misuse")
    if not poverty or not alongside:
        return None
    partners = {s for o in alongside for s in o.categories} & (
        NEGLECT_SIGNS | {"parental-substance-misuse"})
    return Prompt(
        "E5",
        "Poverty alongside signs of neglect or a parent's drug or alcohol use",
        f"In the last {describe_window(settings.window_days)}, poverty was recorded together "
        f"with {_category_words(partners)}. In {REVIEWS}, poverty was often under-recognised. "
        "For Cara, agencies cleaned up the home and provided food and cash, saw improvement and "
        "closed the case; how poverty affected the children's safety was never explored. Fixing "
        "the physical signs of poverty does not make a child safe.",
        _evidence(poverty, alongside),
    )


# --- E6, E7, E8: missing, exploitation ---------------------------------------------------

EXPLOITATION_SIGNS = ("sexual-exploitation", "criminal-exploitation")


def _missing_findings(
    concerns: list[ObservationFact], settings: E6Settings
) -> tuple[list[ObservationFact], list[ObservationFact], list[ObservationFact]]:
    """Missing from home; missing from education (when it calls for more); exploitation signs."""
    home = _with(concerns, "missing-home")
    education = _with(concerns, "missing-education")
    exploitation = _with(concerns, *EXPLOITATION_SIGNS) if education else []
    if len(education) < settings.min_missing_education and not exploitation:
        education = []
    return home, education, exploitation


def e6_missing(
    records: ChildRecords, as_of: date, settings: E6Settings = E6Settings()
) -> Prompt | None:
    """Missing from home or care, or from education more than once or with exploitation signs."""
    concerns = _concerns(records, as_of, settings.window_days)
    home, education, exploitation = _missing_findings(concerns, settings)
    if not home and not education:
        return None
    window = describe_window(settings.window_days)
    asks, facts, findings = [], [], []
    if home:
        facts.append(f"missing from home or care {_times(len(home))} in the last {window}")
        asks.append("ask for the return interview")
        findings.append("The local authority must offer an independent return interview within "
                        "72 hours of a missing child being found or coming back.")
    if education:
        with_signs = ", with signs of exploitation recorded" if exploitation else ""
        facts.append(f"missing from education {_times(len(education))} in the last {window}"
                     f"{with_signs}")
        asks.append("ask for a multi-agency response")
        findings.append("In one review, a ten-year-old girl who went missing from education was "
                        "logged 'for information only', although she was known to have a much "
                        "older 'boyfriend'.")
    return Prompt(
        "E6",
        "Missing: " + " and ".join(asks),
        f"This child was {_join(facts)}. In {REVIEWS}, children missing from education, home or "
        "care were at increased risk of harm, and going missing raised the risk of exploitation. "
        + " ".join(findings),
        _evidence(home, education, exploitation),
    )


ADOLESCENT_SIGNS: Mapping[str, frozenset[str]] = {
    "exclusion": frozenset({"exclusion"}),
    "going missing": frozenset({"missing-education", "missing-home"}),
    "drug or alcohol use": frozenset({"substance-misuse-child"}),
    "criminal exploitation": frozenset({"criminal-exploitation"}),
    "injury": frozenset({"injury"}),
}


def _adolescent_signs(
    records: ChildRecords, as_of: date, settings: E7Settings
) -> dict[str, list[str]]:
    """Each kind of sign seen while the child was old enough, with the refs that show it."""
    def old_enough(day: date) -> bool:
        return age_on(records.date_of_birth, day) >= settings.min_age_years

    found: dict[str, list[str]] = {}
    for o in _concerns(records, as_of, settings.window_days):
        for sign, slugs in ADOLESCENT_SIGNS.items():
            if o.categories & slugs and old_enough(o.occurred_on):
                found.setdefault(sign, []).append(o.ref)
    for event in records.life_events:
        if (event.kind == "exclusion" and _within(event.occurred_on, as_of, settings.window_days)
                and old_enough(event.occurred_on)):
            found.setdefault("exclusion", []).append(event.ref)
    return found


def e7_adolescent_exploitation_signs(
    records: ChildRecords, as_of: date, settings: E7Settings = E7Settings()
) -> Prompt | None:
    """An older child with several of the signs tied to criminal exploitation."""
    found = _adolescent_signs(records, as_of, settings)
    if len(found) < settings.min_signs:
        return None
    return Prompt(
        "E7",
        "Signs linked to criminal exploitation",
        f"In the last {describe_window(settings.window_days)}, this child (aged "
        f"{settings.min_age_years} or over at the time) had {_join(sorted(found))} recorded. "
        f"In {REVIEWS}, criminal exploitation was closely associated with young people being "
        "excluded from school, going missing, substance misuse and earlier loss and separation. "
        "In one review, a boy's assaults, exclusions, going missing and gang involvement were "
        "never put together, and a chance to intervene was missed.",
        _evidence(*found.values()),
    )


BOY_WORDS = frozenset({"male", "m", "boy"})


def is_boy(gender: str) -> bool:
    return gender.strip().casefold() in BOY_WORDS


def e8_boy_sexual_exploitation(
    records: ChildRecords, as_of: date, settings: E8Settings = E8Settings()
) -> Prompt | None:
    """A sign of sexual exploitation recorded for a boy."""
    if not is_boy(records.gender):
        return None
    signs = _concerns(records, as_of, settings.window_days, {"sexual-exploitation"})
    if not signs:
        return None
    return Prompt(
        "E8",
        "Sexual exploitation signs for a boy: would the response differ for a girl?",
        f"A sign of sexual exploitation was recorded for this boy in the last "
        f"{describe_window(settings.window_days)}. In {REVIEWS}, professionals were slow to "
        "recognise the sexual exploitation of adolescent boys. Boys are less likely to disclose "
        "abuse, and the risks for male victims are no less serious. Ask yourself: would the "
        "response have been different if this child were a girl?",
        _evidence(signs),
    )


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
        ask = ("Escalate, and press health services for a specialist assessment if one has "
               "not happened yet.")
    else:
        title = "Self-harm recorded: refer to health for a specialist assessment"
        ask = "Refer to health services for a thorough specialist assessment."
    return Prompt(
        "E9",
        title,
        f"Self-harm or talk of suicide was recorded {_times(len(episodes))} in the last {window}. "
        f"In {REVIEWS}, suicide was the commonest maltreatment-related death outside infancy, "
        f"and non-fatal self-harm is strongly associated with suicide. {ask}",
        _evidence(episodes),
    )


def e10_child_voice_missing(
    records: ChildRecords, as_of: date, settings: E10Settings = E10Settings()
) -> Prompt | None:
    """Several concerns and none of them records what the child said."""
    concerns = _concerns(records, as_of, settings.window_days)
    if len(concerns) < settings.min_observations or any(o.has_child_voice for o in concerns):
        return None
    return Prompt(
        "E10",
        "The child's own words are missing",
        f"{_plural(len(concerns), 'concern')} recorded in the last "
        f"{describe_window(settings.window_days)}, and none of them records what the child said. "
        f"In {REVIEWS}, little was recorded of children's own views and wishes: in one review, "
        "every professional working with a girl knew how vulnerable she was, yet little was "
        "written down about what life was actually like for her. Find a way to hear the child, "
        "and record their words.",
        _evidence(concerns),
    )


SEND_FLAG = "send"


def e11_send_child_voice(
    records: ChildRecords, as_of: date, settings: E11Settings = E11Settings()
) -> Prompt | None:
    """A child with special educational needs and several recent concerns."""
    if SEND_FLAG not in records.flags:
        return None
    concerns = _concerns(records, as_of, settings.window_days)
    if len(concerns) < settings.min_observations:
        return None
    return Prompt(
        "E11",
        "Special educational needs: involve the SENCO and find other ways to hear the child",
        f"This child has special educational needs (SEND), and {_plural(len(concerns), 'concern')} "
        f"recorded in the last {describe_window(settings.window_days)}. The briefing on {REVIEWS} "
        "asks staff to pay particular attention to children who, through communication or "
        "learning difficulties, find it especially hard to express their experiences. Involve "
        "the special educational needs coordinator (SENCO) early, and use the ways this child "
        "communicates best.",
        _evidence(concerns),
    )


# --- E12, E13: after a referral ----------------------------------------------------------


def _awaiting_outcome(referral: ReferralFact, as_of: date) -> bool:
    # An outcome dated after as_of was not known that day: as of then, it was still awaited.
    if referral.outcome_on is not None and referral.outcome_on > as_of:
        return True
    return referral.status == "awaiting-response"


def _concerns_after_refusal(
    records: ChildRecords, as_of: date, settings: E12Settings
) -> list[tuple[ReferralFact, list[ObservationFact]]]:
    concerns = _concerns(records, as_of, settings.window_days)
    found = []
    for referral in records.referrals:
        if (referral.status != "not-accepted" or not _made_by(referral, as_of)
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
        return f"a referral to {agencies} has no outcome although its follow-up date has passed"
    return (f"{len(overdue)} referrals (to {agencies}) have no outcome although their "
            "follow-up dates have passed")


def e12_challenge_referral(
    records: ChildRecords, as_of: date, settings: E12Settings = E12Settings()
) -> Prompt | None:
    """Concerns continue after a referral was not accepted, or a referral's outcome is overdue."""
    refused = _concerns_after_refusal(records, as_of, settings)
    overdue = _overdue_referrals(records, as_of)
    if not refused and not overdue:
        return None
    asks, facts = [], []
    if refused:
        count = len({o.ref for _, after in refused for o in after})
        facts.append(f"{_plural(count, 'new concern')} recorded after a referral was not accepted")
        asks.append("press for reconsideration")
    if overdue:
        facts.append(_overdue_words(overdue))
        asks.append("follow up the referral")
    return Prompt(
        "E12",
        "After a referral: " + " and ".join(asks),
        f"{_sentence(_join(facts))}. In {REVIEWS}, schools rarely challenged a referral that "
        "did not meet the threshold, or escalated their concern. If a child's situation does "
        "not improve after a referral, the designated safeguarding lead should press for "
        "reconsideration (Keeping children safe in education) and follow referrals up to see "
        "what action was taken.",
        _evidence([r for r, _ in refused], *(after for _, after in refused), overdue),
    )


CLOSING_EVENTS = frozenset({"early-help-closed", "cp-plan-ended"})


def _recent_closures(records: ChildRecords, as_of: date, days: int) -> list[tuple[str, date]]:
    """(ref, closing date) of referrals and plans that closed within the window."""
    closures = [
        (r.ref, _closed_on(r)) for r in records.referrals
        if r.status == "closed" and _made_by(r, as_of) and not _awaiting_outcome(r, as_of)
    ]
    closures += [(e.ref, e.occurred_on) for e in records.life_events if e.kind in CLOSING_EVENTS]
    return [(ref, day) for ref, day in closures if _within(day, as_of, days)]


def e13_concerns_after_closure(
    records: ChildRecords, as_of: date, settings: E13Settings = E13Settings()
) -> Prompt | None:
    """New concerns soon after a referral or a plan closed."""
    concerns = _concerns(records, as_of, settings.window_days)
    closures, after = [], set()
    for ref, closed_on in _recent_closures(records, as_of, settings.window_days):
        since = [o for o in concerns if o.occurred_on > closed_on]
        if len(since) >= settings.min_observations:
            closures.append(ref)
            after.update(o.ref for o in since)
    if not closures:
        return None
    return Prompt(
        "E13",
        "New concerns soon after a case closed",
        f"{_plural(len(after), 'new concern')} recorded within "
        f"{describe_window(settings.window_days)} of a referral or plan closing. In {REVIEWS}, "
        "cases were closed after short bursts of improvement: for Cara, agencies cleaned up "
        "the home and provided food or cash, signs of improvement led to the case being closed, "
        "and the underlying causes were never explored. Consider whether the improvement has "
        "lasted.",
        _evidence(closures, after),
    )


# --- E14, E15 ----------------------------------------------------------------------------

UNHEARD_SOURCES = frozenset({"wider-family", "community"})


def e14_wider_family_concern(
    records: ChildRecords, as_of: date, settings: E14Settings = E14Settings()
) -> Prompt | None:
    """A concern raised by wider family, a neighbour or an anonymous caller."""
    raised = [o for o in _concerns(records, as_of, settings.window_days)
              if o.source in UNHEARD_SOURCES]
    if not raised:
        return None
    return Prompt(
        "E14",
        "A concern from wider family or the community: make sure it was acted on",
        f"{_plural(len(raised), 'concern')} in the last {describe_window(settings.window_days)} "
        f"came from wider family, a neighbour or an anonymous caller. In {REVIEWS}, the voice "
        "of wider family often went unheard. Concerns reported by wider family, neighbours or "
        "anonymously should always be recorded accurately, taken seriously and acted on.",
        _evidence(raised),
    )


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
    return Prompt(
        "E15",
        "A young child not brought, with poverty recorded",
        f"In the last {describe_window(settings.window_days)}, this child was not brought "
        f"while under {settings.under_age_years}, and poverty was recorded. In {REVIEWS}, the "
        "younger children in Cara's family sometimes did not go to nursery because the fees were "
        "unpaid, and their experience of poverty was never explored. Ask why the child was not "
        "brought, and what a missed session means for them.",
        _evidence(not_brought, poverty),
    )


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
    "E8": e8_boy_sexual_exploitation,
    "E9": e9_self_harm,
    "E10": e10_child_voice_missing,
    "E11": e11_send_child_voice,
    "E12": e12_challenge_referral,
    "E13": e13_concerns_after_closure,
    "E14": e14_wider_family_concern,
    "E15": e15_young_child_not_brought,
}
RULE_IDS: tuple[str, ...] = tuple(RULES)

# Short names for the admin's on/off switches and the dashboard's rule filter.
RULE_NAMES: Mapping[str, str] = {
    "E1": "Small worries adding up, no early help",
    "E2": "Several family adversities",
    "E3": "Domestic abuse, parental mental health and substance misuse together",
    "E4": "Repeated signs of neglect",
    "E5": "Poverty with neglect or parental substance misuse",
    "E6": "Missing from home, care or education",
    "E7": "Adolescent with signs of criminal exploitation",
    "E8": "Sexual exploitation signs for a boy",
    "E9": "Self-harm",
    "E10": "The child's own words missing",
    "E11": "Special educational needs and several concerns",
    "E12": "Challenge or follow up a referral",
    "E13": "New concerns after a case closed",
    "E14": "Concern from wider family or the community",
    "E15": "Young child not brought, with poverty",
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
            f"Unknown rule ids: {', '.join(sorted(unknown))}; the rules are E1 to E15.")
    chosen = settings or defaults()
    prompts = [
        RULES[rule_id](records, as_of, chosen.for_rule(rule_id))
        for rule_id in RULE_IDS if rule_id not in disabled
    ]
    return sorted((p for p in prompts if p is not None), key=lambda p: rule_number(p.rule))
