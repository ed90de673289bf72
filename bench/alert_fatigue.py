"""Alert fatigue, measured (issue 16): a synthetic school year of children run through the pure rules.

    .venv/bin/python bench/alert_fatigue.py                      # 1,000 children, seed 16
    .venv/bin/python bench/alert_fatigue.py --children 200 --seed 3 --output /tmp/fatigue
    .venv/bin/python bench/alert_fatigue.py --setting E11.min_observations=3   # a threshold moved

No database: the generator makes `ChildRecords` values (chronology/domain/prompts/records.py) for
an all-through school (Reception to Year 11, so the rules for the under-fives and for adolescents
both have children to read) over the school year 01/09/2025 to 22/07/2026, and `evaluate()` is
asked about every child as of every school day, with the default settings. Facts that only the
rules' second version has (household babies, attendance, SEN codes, the end of in-school support,
when a DSL answered a concern) are built only where the fact classes have them, so the same data
measures whichever rules are installed.

Kinds of children and their shares (estimates for a school like this, each with its reason):
- pattern: one child per pattern of DOMAIN.md (E8 twice, a girl and a boy) per 1,000 children,
  about 2%: the patterns are rare and each needs to be there once for recall to mean anything;
- handled: about 4% (`HANDLED_SHARES`): a real episode, handled, then at least six months quiet;
- quiet: the rest, about 94%: no records, or a few innocuous ones at least four weeks apart.
Across kinds (quiet and handled children): `SEN_SHARE`, `COMMUNICATION_NEED_CODES`,
`REGULARLY_ABSENT`, `BABY_AT_HOME_SHARE`, below.

Writes bench/results-fatigue.json and the alert-fatigue section of bench/results.md (between its
markers; a re-run replaces it). A missed goal is a finding: exit 0. Exit 1 only when the figures
could not be measured (a rule raised, the facts could not be built, no children of a kind).
"""

from __future__ import annotations

import argparse
import bisect
import json
import platform
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chronology.domain.prompts import records as facts  # noqa: E402
from chronology.domain.prompts import rules  # noqa: E402

# --- The school year -------------------------------------------------------------------------

YEAR_START = date(2025, 9, 1)
YEAR_END = date(2026, 7, 22)
# Half-terms of an English school year (a typical local authority's dates for 2025/26).
HALF_TERMS: tuple[tuple[str, str, date, date], ...] = (
    ("autumn", "autumn 1", date(2025, 9, 1), date(2025, 10, 24)),
    ("autumn", "autumn 2", date(2025, 11, 3), date(2025, 12, 19)),
    ("spring", "spring 1", date(2026, 1, 5), date(2026, 2, 13)),
    ("spring", "spring 2", date(2026, 2, 23), date(2026, 3, 27)),
    ("summer", "summer 1", date(2026, 4, 13), date(2026, 5, 22)),
    ("summer", "summer 2", date(2026, 6, 1), date(2026, 7, 22)),
)
TERMS = ("autumn", "spring", "summer")
BANK_HOLIDAYS = frozenset({date(2026, 5, 4)})  # early May bank holiday, inside summer 1


def _school_days() -> tuple[date, ...]:
    days = []
    for _, _, first, last in HALF_TERMS:
        day = first
        while day <= last:
            if day.weekday() < 5 and day not in BANK_HOLIDAYS:
                days.append(day)
            day += timedelta(days=1)
    return tuple(days)


SCHOOL_DAYS = _school_days()


def term_of(day: date) -> str:
    for term, _, first, last in HALF_TERMS:
        if first <= day <= last:
            return term
    raise ValueError(f"{day} is not in a term")


def school_day_on_or_after(day: date) -> date:
    i = bisect.bisect_left(SCHOOL_DAYS, day)
    return SCHOOL_DAYS[min(i, len(SCHOOL_DAYS) - 1)]


def school_days_after(day: date, n: int) -> date:
    """The nth school day after `day` (the last school day of the year if the year ends first)."""
    i = bisect.bisect_right(SCHOOL_DAYS, day) + n - 1
    return SCHOOL_DAYS[max(0, min(i, len(SCHOOL_DAYS) - 1))]


# --- Shares, each with its reason ------------------------------------------------------------

PATTERNS_PER_1000 = 1  # one set of pattern children per 1,000: rare, but each must be there to be found
HANDLED_SHARES: dict[str, float] = {
    # about 1 in 100 a year: a death in the family (a parent, sibling or grandparent) that the school supports
    "bereavement, in-school support": 0.01,
    # about 1 in 200: a bereavement hard enough that the family takes up early help
    "bereavement, early help": 0.005,
    # about 1 in 100: money trouble and a neglect sign, and the family accepts a referral to early help
    "hardship, early help referral accepted": 0.01,
    # about 1 in 70: the same, as an early help plan opened and closed (early help reaches a few in 100 a year)
    "hardship, early help plan": 0.015,
}
# Quiet children's innocuous concerns in a year: most have none logged; a few have two or three.
QUIET_CONCERNS: dict[int, float] = {0: 0.62, 1: 0.24, 2: 0.10, 3: 0.04}
QUIET_STRENGTHS: dict[int, float] = {0: 0.70, 1: 0.22, 2: 0.08}  # a strength is worth recording, less often done
QUIET_MIN_GAP_DAYS = 28  # "never clustered": at least four weeks between two concerns about a quiet child
SEN_SHARE = 0.19  # about 1 in 5 pupils in England: ~14% on SEN support and ~5% with an EHC plan (DfE)
# Primary needs among pupils with SEN, roughly as the school census has them (percentages, summing to 100).
SEN_NEED_WEIGHTS: dict[str, float] = {
    "SLCN": 24, "SEMH": 20, "MLD": 13, "SpLD": 12, "ASD": 12, "OTH": 5, "NSA": 5, "PD": 3,
    "HI": 2, "SLD": 2, "VI": 1, "MSI": 0.5, "PMLD": 0.5,
}
COMMUNICATION_NEED_CODES = frozenset({"SLCN", "ASD", "MLD", "SLD", "PMLD", "HI", "VI", "MSI"})  # DOMAIN.md E11 (v2)
REGULARLY_ABSENT = {"primary": 0.08, "secondary": 0.13}  # DOMAIN.md: about 8% of primary, 13% of secondary pupils
BABY_AT_HOME_SHARE = 0.03  # a sibling under one recorded in the household: ~5% have one, the school knows of about half
HANDLED_LAST_START = date(2025, 11, 14)  # handled episodes start in the autumn term ...
HANDLED_EPISODE_DAYS = 56  # ... and are over within 8 weeks: at least six months quiet by the year's end

# Goals (issue 16).
GOAL_QUIET_EVER_PERCENT = 1.0
GOAL_RECALL_PERCENT = 100.0

MARK_START = "<!-- alert-fatigue:start -->"
MARK_END = "<!-- alert-fatigue:end -->"


# --- The generated school: plain values, independent of the rules' version -------------------


@dataclass(frozen=True)
class Obs:
    id: int
    day: date
    categories: tuple[str, ...]
    source: str = "staff"
    child_voice: bool = False
    quotes_child: bool = False  # the description quotes the child (v2 reads it when the source is the child)
    answered_on: date | None = None  # the DSL's first decision on it (v2: E14)

    @property
    def is_strength(self) -> bool:
        return self.categories == ("strength",)


@dataclass(frozen=True)
class Review:
    id: int
    observation_id: int
    decision: str
    day: date


@dataclass(frozen=True)
class Referral:
    id: int
    agency: str
    day: date
    status: str  # the status it ends the year with; awaiting-response until outcome_on
    outcome_on: date | None = None
    follow_up_on: date | None = None
    kind: str = ""


@dataclass(frozen=True)
class LifeEvent:
    id: int
    kind: str
    day: date
    ended_on: date | None = None  # in-school support: known from that day
    support: str = ""


@dataclass(frozen=True)
class Attendance:
    start: date
    end: date
    percent: float  # imported from the MIS once the half-term is over


@dataclass
class SyntheticChild:
    number: int
    kind: str  # quiet, handled, pattern
    story: str  # "quiet", a HANDLED_SHARES key, or the pattern's name
    expected: tuple[str, ...]  # pattern children: the rules that should fire during the year
    needs: tuple[str, ...]  # facts the pattern needs ("household", "attendance")
    date_of_birth: date
    gender: str
    year_group: int  # 0 = Reception ... 11 = Year 11
    flags: frozenset[str] = frozenset()
    sen_primary_need: str = ""
    observations: list[Obs] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    life_events: list[LifeEvent] = field(default_factory=list)
    babies: list[date] = field(default_factory=list)  # birth dates of babies living with the child
    attendance: list[Attendance] = field(default_factory=list)

    def concerns(self) -> list[Obs]:
        return sorted((o for o in self.observations if not o.is_strength), key=lambda o: o.day)

    def as_plain(self) -> dict[str, Any]:
        """Every generated value, for comparing two runs (determinism) and for the tests."""
        return {
            "number": self.number, "kind": self.kind, "story": self.story, "expected": self.expected,
            "needs": self.needs, "date_of_birth": self.date_of_birth, "gender": self.gender,
            "year_group": self.year_group, "flags": sorted(self.flags),
            "sen_primary_need": self.sen_primary_need, "observations": self.observations,
            "reviews": self.reviews, "referrals": self.referrals, "life_events": self.life_events,
            "babies": self.babies, "attendance": self.attendance,
        }


class _Ids:
    def __init__(self) -> None:
        self.next = {"observation": 1, "review": 1, "referral": 1, "life-event": 1}

    def take(self, kind: str) -> int:
        value = self.next[kind]
        self.next[kind] += 1
        return value


def _weighted(rng: random.Random, weights: dict[Any, float]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _school_day_between(rng: random.Random, first: date, last: date) -> date:
    lo, hi = bisect.bisect_left(SCHOOL_DAYS, first), bisect.bisect_right(SCHOOL_DAYS, last)
    return SCHOOL_DAYS[rng.randrange(lo, hi)]


def _date_of_birth(rng: random.Random, year_group: int) -> date:
    # Reception in 2025/26: born 01/09/2020 to 31/08/2021; each year group a year earlier.
    first = date(2020 - year_group, 9, 1)
    return first + timedelta(days=rng.randrange((date(2021 - year_group, 9, 1) - first).days))


def phase(year_group: int) -> str:
    return "primary" if year_group <= 6 else "secondary"


class _Builder:
    """Adds records to one child with ids from the school's counters."""

    def __init__(self, child: SyntheticChild, ids: _Ids, rng: random.Random) -> None:
        self.child, self.ids, self.rng = child, ids, rng

    def concern(self, day: date, *categories: str, source: str = "staff", voice: bool = True,
                decision: str | None = "monitor", quotes: bool = False) -> Obs:
        # A DSL reviews a concern within two school days (the queue is read daily).
        answered = school_days_after(day, self.rng.randrange(0, 3)) if decision else None
        o = Obs(self.ids.take("observation"), day, tuple(sorted(categories)), source, voice, quotes, answered)
        self.child.observations.append(o)
        if decision:
            self.child.reviews.append(Review(self.ids.take("review"), o.id, decision, answered))
        return o

    def strength(self, day: date) -> Obs:
        return self.concern(day, "strength", voice=self.rng.random() < 0.5, decision="monitor")

    def event(self, kind: str, day: date, ended_on: date | None = None, support: str = "") -> LifeEvent:
        e = LifeEvent(self.ids.take("life-event"), kind, day, ended_on, support)
        self.child.life_events.append(e)
        return e

    def referral(self, agency: str, day: date, status: str, outcome_on: date | None,
                 follow_up_days: int = 21, kind: str = "") -> Referral:
        r = Referral(self.ids.take("referral"), agency, day, status, outcome_on,
                     day + timedelta(days=follow_up_days), kind)
        self.child.referrals.append(r)
        return r


def _spaced_days(rng: random.Random, n: int, gap: int, first: date = YEAR_START,
                 last: date = YEAR_END) -> list[date]:
    """n school days, each at least `gap` calendar days after the one before."""
    for _ in range(1000):
        days = sorted(_school_day_between(rng, first, last) for _ in range(n))
        if all((b - a).days >= gap for a, b in zip(days, days[1:])):
            return days
    raise RuntimeError(f"cannot place {n} days {gap} days apart")


def _attendance(rng: random.Random, absent: bool, low_in: str | None = None) -> list[Attendance]:
    # A regularly absent child's figure sits in the 80s; anyone's half-term can dip with an illness.
    base = rng.uniform(78.0, 89.0) if absent else rng.uniform(92.5, 99.5)
    out = []
    for _, name, first, last in HALF_TERMS:
        percent = 84.0 if name == low_in else min(100.0, max(50.0, base + rng.gauss(0, 2.0)))
        out.append(Attendance(first, last, round(percent, 1)))
    return out


# --- Quiet and handled children --------------------------------------------------------------

GRAZE_WORDS = "I fell over on the playground."


def _quiet(b: _Builder) -> None:
    rng = b.rng
    n = _weighted(rng, QUIET_CONCERNS)
    for day in _spaced_days(rng, n, QUIET_MIN_GAP_DAYS) if n else []:
        if rng.random() < 0.5:
            b.concern(day, "injury", voice=True)  # an explained graze: the child said how
        else:
            b.concern(day, "emotional-wellbeing", voice=rng.random() < 0.5)  # one upset morning
    for _ in range(_weighted(rng, QUIET_STRENGTHS)):
        b.strength(_school_day_between(rng, YEAR_START, YEAR_END))


def _handled(b: _Builder, story: str) -> None:
    rng = b.rng
    start = _school_day_between(rng, YEAR_START, HANDLED_LAST_START)
    last = start + timedelta(days=HANDLED_EPISODE_DAYS - 1)
    days = sorted({start} | {_school_day_between(rng, start, last) for _ in range(rng.randrange(1, 4))})
    if story.startswith("bereavement"):
        b.event("bereavement", start - timedelta(days=rng.randrange(1, 6)))
        help_day = school_days_after(start, rng.randrange(1, 4))
        if story.endswith("in-school support"):
            # ELSA or mentoring for a set number of weeks, ended and recorded as ended.
            b.event("school-support", help_day, help_day + timedelta(weeks=rng.randrange(8, 13)),
                    rng.choice(("elsa", "mentoring", "counselling")))
        else:
            b.event("early-help-started", help_day)
            b.event("early-help-closed", help_day + timedelta(weeks=rng.randrange(10, 15)))
        for i, day in enumerate(days):
            cats = ("emotional-wellbeing",) if i % 2 == 0 else ("behaviour-change",)
            b.concern(day, *cats, voice=rng.random() < 0.7, decision="speak-to-child" if i == 0 else "monitor")
    else:
        b.concern(start, "poverty", source="parent-carer", voice=False, decision="early-help")
        for day in days[1:] or [school_days_after(start, 2)]:
            b.concern(day, rng.choice(("hunger", "clothing", "hygiene")), voice=rng.random() < 0.6)
        help_day = school_days_after(start, rng.randrange(2, 6))
        if story.endswith("referral accepted"):
            b.referral("early-help", help_day, "accepted", school_days_after(help_day, rng.randrange(5, 11)))
        else:
            b.event("early-help-started", help_day)
            b.event("early-help-closed", help_day + timedelta(weeks=rng.randrange(10, 15)))
    # Then quiet: perhaps a strength noticed later in the year.
    for _ in range(rng.randrange(0, 3)):
        b.strength(_school_day_between(rng, last + timedelta(days=30), YEAR_END))


# --- Pattern children: one per pattern of DOMAIN.md ------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str
    expected: tuple[str, ...]
    year_groups: tuple[int, int]  # the ages the pattern is about
    gender: str | None = None  # None: either, at random
    needs: tuple[str, ...] = ()


def _p_e1(b: _Builder, s: date) -> None:
    # Low-level worries, three in under three weeks and five in ten weeks; only "monitor".
    for n, cats in ((0, "tiredness"), (5, "emotional-wellbeing"), (12, "behaviour-change"),
                    (30, "tiredness"), (42, "emotional-wellbeing")):
        b.concern(school_days_after(s, n) if n else s, cats, voice=b.rng.random() < 0.5)


def _p_e2(b: _Builder, s: date) -> None:
    b.concern(s, "domestic-abuse", source="parent-carer", decision="speak-to-parent")
    b.concern(school_days_after(s, 40), "housing", source="parent-carer")
    b.concern(school_days_after(s, 80), "parental-separation", source="child")


def _p_e3(b: _Builder, s: date) -> None:
    b.concern(s, "domestic-abuse", source="child")
    b.concern(school_days_after(s, 30), "parental-mental-health", source="parent-carer")
    b.concern(school_days_after(s, 60), "parental-substance-misuse", source="staff")


def _p_e4(b: _Builder, s: date) -> None:
    # The same sign in three different calendar months.
    day = s
    for _ in range(3):
        b.concern(day, "hygiene", voice=False)
        day = school_day_on_or_after(date(day.year + (day.month == 12), day.month % 12 + 1, 10))


def _p_e5(b: _Builder, s: date) -> None:
    b.concern(s, "poverty", source="parent-carer", voice=False)
    b.concern(school_days_after(s, 10), "hunger")


def _p_e6(b: _Builder, s: date) -> None:
    b.concern(s, "missing-home", source="parent-carer", voice=False, decision="speak-to-parent")


def _p_e7(b: _Builder, s: date) -> None:
    b.event("exclusion", s)
    b.concern(s, "exclusion", voice=False)
    b.concern(school_days_after(s, 20), "substance-misuse-child")
    b.concern(school_days_after(s, 35), "criminal-exploitation", voice=False)


def _p_e8(b: _Builder, s: date) -> None:
    # An older "boyfriend" or "girlfriend", gifts, lifts in a car: the same records for either sex.
    b.concern(s, "sexual-exploitation", source="staff")


def _p_e9(b: _Builder, s: date) -> None:
    b.concern(s, "self-harm", source="child", voice=True, quotes=True, decision="refer-health")


def _p_e10(b: _Builder, s: date) -> None:
    # Three concerns in 90 days, more than 30 days apart, none with the child's words.
    for n, cats in ((0, "behaviour-change"), (23, "emotional-wellbeing"), (46, "bullying")):
        b.concern(school_days_after(s, n) if n else s, cats, voice=False)


def _p_e11(b: _Builder, s: date) -> None:
    b.child.flags = b.child.flags | {"send"}
    b.child.sen_primary_need = "ASD"
    b.concern(s, "behaviour-change", voice=True)
    b.concern(school_days_after(s, 25), "emotional-wellbeing", voice=True)


def _p_e12(b: _Builder, s: date) -> None:
    b.concern(s, "disclosure", source="child", decision="refer-social-care")
    b.referral("social-care", school_days_after(s, 1), "not-accepted", school_days_after(s, 8))
    b.concern(school_days_after(s, 30), "injury", voice=False)


def _p_e13(b: _Builder, s: date) -> None:
    b.event("early-help-started", s - timedelta(weeks=12))
    b.event("early-help-closed", s)
    b.concern(school_days_after(s, 25), "hunger")


def _p_e14(b: _Builder, s: date) -> None:
    # A neighbour's call that no DSL decision has answered.
    b.concern(s, "domestic-abuse", source="community", voice=False, decision=None)


def _p_e15(b: _Builder, s: date) -> None:
    b.concern(s, "not-brought", source="staff", voice=False)
    b.concern(school_days_after(s, 3), "poverty", source="parent-carer", voice=False)


def _p_e16(b: _Builder, s: date) -> None:
    b.child.babies.append(s - timedelta(days=b.rng.randrange(60, 120)))
    b.concern(s, "injury", voice=False)  # a bruise nobody explained


def _p_e17(b: _Builder, s: date) -> None:
    b.child.flags = b.child.flags | {"young-carer"}
    b.concern(s, "young-carer", source="child")
    b.concern(school_days_after(s, 15), "tiredness")


def _p_e18(b: _Builder, s: date) -> None:
    # Four different worries about the child, each more than a month apart (so E1 is not the reason).
    for n, cats in ((0, "bullying"), (25, "emotional-wellbeing"), (50, "behaviour-change"), (75, "attendance")):
        b.concern(school_days_after(s, n) if n else s, cats, voice=True)


def _p_e19(b: _Builder, s: date) -> None:
    b.concern(s, "hygiene", voice=False)


PATTERNS: tuple[tuple[Pattern, Any], ...] = (
    (Pattern("E1 small worries adding up, no help", ("E1",), (1, 6)), _p_e1),
    (Pattern("E2 three family adversities", ("E2",), (2, 10)), _p_e2),
    (Pattern("E3 domestic abuse, parental mental health and substance misuse", ("E3",), (2, 10)), _p_e3),
    (Pattern("E4 the same neglect sign month after month", ("E4",), (0, 8)), _p_e4),
    (Pattern("E5 poverty with hunger", ("E5",), (0, 8)), _p_e5),
    (Pattern("E6 missing from home, no return interview", ("E6",), (8, 10)), _p_e6),
    (Pattern("E7 exclusion, drugs and carrying cash, Year 9 to 11", ("E7",), (9, 11)), _p_e7),
    (Pattern("E8 sexual exploitation signs, a girl", ("E8",), (9, 10), "female"), _p_e8),
    (Pattern("E8 sexual exploitation signs, a boy", ("E8",), (9, 10), "male"), _p_e8),
    (Pattern("E9 self-harm", ("E9",), (8, 11)), _p_e9),
    (Pattern("E10 three concerns, none in the child's words", ("E10",), (3, 9)), _p_e10),
    (Pattern("E11 an autistic child with two concerns", ("E11",), (2, 8)), _p_e11),
    (Pattern("E12 concerns after a referral was not accepted", ("E12",), (3, 9)), _p_e12),
    (Pattern("E13 a concern soon after early help closed", ("E13",), (1, 7)), _p_e13),
    (Pattern("E14 a neighbour's concern, not answered", ("E14",), (1, 8)), _p_e14),
    (Pattern("E15 not brought at 4, with poverty", ("E15",), (0, 0)), _p_e15),
    (Pattern("E16 a baby at home and an unexplained bruise", ("E16",), (1, 4), None, ("household",)), _p_e16),
    (Pattern("E17 a young carer, no assessment asked for", ("E17",), (6, 10)), _p_e17),
    (Pattern("E18 four different worries in six months", ("E18",), (3, 8)), _p_e18),
    (Pattern("E19 attendance 84% with a hygiene concern", ("E19",), (2, 9), None, ("attendance",)), _p_e19),
)
# When in the year each pattern's first record falls: early enough for the whole pattern to fit.
PATTERN_FIRST, PATTERN_LAST = date(2025, 9, 15), date(2026, 2, 27)


@dataclass
class School:
    seed: int
    children: list[SyntheticChild]

    def of_kind(self, kind: str) -> list[SyntheticChild]:
        return [c for c in self.children if c.kind == kind]


def planned_counts(children: int) -> dict[str, int]:
    """How many children of each kind a school of this size has (the shares above, rounded)."""
    pattern = len(PATTERNS) * max(1, round(children * PATTERNS_PER_1000 / 1000))
    handled = sum(round(children * share) for share in HANDLED_SHARES.values())
    return {"pattern": pattern, "handled": handled, "quiet": children - pattern - handled}


def generate(children: int = 1000, seed: int = 16) -> School:
    """A deterministic school: the same size and seed give the same children, values and ids."""
    counts = planned_counts(children)
    if counts["quiet"] < 1:
        raise ValueError(f"{children} children is too few: the pattern and handled children alone "
                         f"are {counts['pattern'] + counts['handled']}")
    rng = random.Random(seed)
    ids = _Ids()
    stories: list[tuple[str, Any]] = []
    for _ in range(counts["pattern"] // len(PATTERNS)):
        stories += [("pattern", p) for p in PATTERNS]
    for story, share in HANDLED_SHARES.items():
        stories += [("handled", story)] * round(children * share)
    stories += [("quiet", "quiet")] * counts["quiet"]
    rng.shuffle(stories)
    school = School(seed, [])
    for number, (kind, story) in enumerate(stories, start=1):
        school.children.append(_child(rng, ids, number, kind, story))
    return school


def _child(rng: random.Random, ids: _Ids, number: int, kind: str, story: Any) -> SyntheticChild:
    if kind == "pattern":
        pattern, make = story
        year_group = rng.randint(*pattern.year_groups)
        gender = pattern.gender or rng.choice(("female", "male"))
        child = SyntheticChild(number, kind, pattern.name, pattern.expected, pattern.needs,
                               _date_of_birth(rng, year_group), gender, year_group)
        if pattern.expected == ("E15",):
            # Under five at the time: born in the spring or summer, so four all autumn.
            child.date_of_birth = date(2021, 3, 1) + timedelta(days=rng.randrange(180))
        child.attendance = _attendance(rng, False, "spring 1" if "attendance" in pattern.needs else None)
        first = PATTERN_FIRST if "attendance" not in pattern.needs else date(2026, 1, 12)
        last = PATTERN_LAST if "attendance" not in pattern.needs else date(2026, 2, 6)
        make(_Builder(child, ids, rng), _school_day_between(rng, first, last))
        return child
    year_group = rng.randrange(12)
    child = SyntheticChild(number, kind, story, (), (), _date_of_birth(rng, year_group),
                           rng.choice(("female", "male")), year_group)
    if rng.random() < SEN_SHARE:
        child.flags = frozenset({"send"})
        child.sen_primary_need = _weighted(rng, SEN_NEED_WEIGHTS)
    child.attendance = _attendance(rng, rng.random() < REGULARLY_ABSENT[phase(year_group)])
    if rng.random() < BABY_AT_HOME_SHARE:
        child.babies.append(YEAR_START + timedelta(days=rng.randrange(-180, 300)))
    builder = _Builder(child, ids, rng)
    if kind == "quiet":
        _quiet(builder)
    else:
        _handled(builder, story)
    return child


# --- The facts the installed rules read, built only where they exist ------------------------


def _field_names(cls: Any) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls)) if cls is not None else frozenset()


@dataclass(frozen=True)
class Capabilities:
    """Which of the optional facts the installed records module has."""

    household: bool
    attendance: bool
    sen_code: bool
    support_end: bool
    answered: bool
    quotes: bool
    referral_kind: bool

    @classmethod
    def detect(cls) -> Capabilities:
        child = _field_names(facts.ChildRecords)
        return cls(
            household="household" in child and getattr(facts, "HouseholdMemberFact", None) is not None,
            attendance="attendance" in child and getattr(facts, "AttendanceFact", None) is not None,
            sen_code="sen_primary_need" in child,
            support_end="ended_on" in _field_names(facts.LifeEventFact),
            answered="answered_on" in _field_names(facts.ObservationFact),
            quotes="quotes_child" in _field_names(facts.ObservationFact),
            referral_kind="kind" in _field_names(facts.ReferralFact),
        )

    def has(self, need: str) -> bool:
        return bool(getattr(self, need))


def _make(cls: Any, **values: Any) -> Any:
    """An instance of a fact class with those of the values it has fields for."""
    known = _field_names(cls)
    return cls(**{k: v for k, v in values.items() if k in known})


class RecordsOverTime:
    """One child's facts as the app would have held them on each day: nothing recorded later,
    referrals awaiting an answer until it came, support open until its end was recorded,
    attendance only for half-terms already over (imported after they end)."""

    def __init__(self, child: SyntheticChild, caps: Capabilities) -> None:
        self.child, self.caps = child, caps
        changes = {o.day for o in child.observations}
        changes |= {o.answered_on for o in child.observations if o.answered_on}
        changes |= {r.day for r in child.reviews}
        changes |= {r.day for r in child.referrals} | {r.outcome_on for r in child.referrals if r.outcome_on}
        changes |= {e.day for e in child.life_events} | {e.ended_on for e in child.life_events if e.ended_on}
        changes |= set(child.babies) | {a.end + timedelta(days=1) for a in child.attendance}
        self.changes = sorted(changes)
        self.cache: dict[int, Any] = {}

    def on(self, day: date) -> Any:
        segment = bisect.bisect_right(self.changes, day)
        if segment not in self.cache:
            self.cache[segment] = self._build(day)
        return self.cache[segment]

    def _build(self, day: date) -> Any:
        c, caps = self.child, self.caps
        observations = tuple(
            _make(facts.ObservationFact, id=o.id, occurred_on=o.day, categories=frozenset(o.categories),
                  source=o.source, has_child_voice=o.child_voice, is_strength=o.is_strength,
                  quotes_child=o.quotes_child,
                  answered_on=o.answered_on if o.answered_on and o.answered_on <= day else None)
            for o in c.observations if o.day <= day)
        reviews = tuple(facts.ReviewFact(r.id, r.observation_id, r.decision, r.day)
                        for r in c.reviews if r.day <= day)
        referrals = []
        for r in c.referrals:
            if r.day > day:
                continue
            known = r.outcome_on is not None and r.outcome_on <= day
            referrals.append(_make(facts.ReferralFact, id=r.id, agency=r.agency, referred_on=r.day,
                                   status=r.status if known else "awaiting-response",
                                   outcome_on=r.outcome_on if known else None,
                                   follow_up_on=r.follow_up_on, kind=r.kind))
        events = tuple(
            _make(facts.LifeEventFact, id=e.id, kind=e.kind, occurred_on=e.day,
                  ended_on=e.ended_on if e.ended_on and e.ended_on <= day else None, support=e.support)
            for e in c.life_events if e.day <= day)
        extra: dict[str, Any] = {}
        if caps.household:
            extra["household"] = tuple(_make(facts.HouseholdMemberFact, date_of_birth=born, due_date=None,
                                             lives_with_child=True)
                                       for born in c.babies if born <= day)
        if caps.attendance:
            extra["attendance"] = tuple(_make(facts.AttendanceFact, period_start=a.start, period_end=a.end,
                                              percent=a.percent)
                                        for a in c.attendance if a.end < day)
        if caps.sen_code:
            extra["sen_primary_need"] = c.sen_primary_need
        return _make(facts.ChildRecords, date_of_birth=c.date_of_birth, gender=c.gender, flags=c.flags,
                     observations=observations, reviews=reviews, referrals=tuple(referrals),
                     life_events=events, **extra)


# --- Measuring -------------------------------------------------------------------------------


@dataclass
class ChildRun:
    raised: list[tuple[date, str]]  # (day, rule): the rule fired that day and had not the school day before
    fired: dict[str, date]  # rule -> the first day it fired
    open_at_end: frozenset[str]


def run_child(child: SyntheticChild, caps: Capabilities, settings: Any, days: tuple[date, ...] = SCHOOL_DAYS) -> ChildRun:
    over_time = RecordsOverTime(child, caps)
    previous: frozenset[str] = frozenset()
    raised, fired = [], {}
    for day in days:
        now = frozenset(p.rule for p in rules.evaluate(over_time.on(day), day, settings))
        for rule in sorted(now - previous, key=rules.rule_number):
            raised.append((day, rule))
            fired.setdefault(rule, day)
        previous = now
    return ChildRun(raised, fired, previous)


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else float("nan")


def measure(school: School, settings: Any = None, caps: Capabilities | None = None) -> dict[str, Any]:
    """The four figures (and what is behind them) for one school, as of every school day."""
    caps = caps or Capabilities.detect()
    settings = settings or rules.defaults()
    runs = {c.number: run_child(c, caps, settings) for c in school.children}
    quiet, handled, pattern = (school.of_kind(k) for k in ("quiet", "handled", "pattern"))
    if not quiet or not handled or not pattern:
        raise ValueError("the school has no children of some kind; nothing to measure")

    per_term = Counter(term_of(day) for c in quiet for day, _ in runs[c.number].raised)
    children_per_term = {t: len({c.number for c in quiet
                                 if any(term_of(d) == t for d, _ in runs[c.number].raised)}) for t in TERMS}
    quiet_by_rule: dict[str, dict[str, int]] = defaultdict(lambda: {"prompts": 0, "children": 0})
    for c in quiet:
        for _, rule in runs[c.number].raised:
            quiet_by_rule[rule]["prompts"] += 1
        for rule in runs[c.number].fired:
            quiet_by_rule[rule]["children"] += 1
    quiet_ever = sum(1 for c in quiet if runs[c.number].raised)

    handled_open = [c for c in handled if runs[c.number].open_at_end]
    handled_by_rule = Counter(rule for c in handled for rule in runs[c.number].open_at_end)
    handled_by_story = {story: {"children": sum(1 for c in handled if c.story == story),
                                "open_at_year_end": sum(1 for c in handled_open if c.story == story)}
                        for story in HANDLED_SHARES}

    pattern_rows, hits, measured = [], 0, 0
    for c in pattern:
        run = runs[c.number]
        expressible = all(caps.has(n) for n in c.needs)
        missing_rules = [r for r in c.expected if r not in rules.RULES]
        hit = expressible and all(r in run.fired for r in c.expected)
        if expressible:
            measured += 1
            hits += hit
        pattern_rows.append({
            "child": c.number, "story": c.story, "gender": c.gender, "year_group": c.year_group,
            "expected": list(c.expected), "expressible": expressible, "found": hit,
            "fired": {r: d.isoformat() for r, d in sorted(run.fired.items(), key=lambda i: rules.rule_number(i[0]))},
            "why_missed": (None if hit or not expressible else
                           f"no rule {', '.join(missing_rules)} in these rules" if missing_rules else
                           "the rule did not fire"),
        })
    misses_by_rule: dict[str, list[str]] = defaultdict(list)
    for row in pattern_rows:
        if row["expressible"] and not row["found"]:
            for r in row["expected"]:
                if r not in row["fired"]:
                    misses_by_rule[r].append(row["story"])

    return {
        "kinds": {"quiet": len(quiet), "handled": len(handled), "pattern": len(pattern)},
        "school_days": len(SCHOOL_DAYS),
        "quiet": {
            "prompts_per_100_per_term": {t: _percent(per_term[t], len(quiet)) for t in TERMS},
            "children_prompted_per_100_per_term": {t: _percent(children_per_term[t], len(quiet)) for t in TERMS},
            "ever_prompted": quiet_ever,
            "ever_prompted_percent": _percent(quiet_ever, len(quiet)),
            "by_rule": dict(sorted(quiet_by_rule.items(), key=lambda i: rules.rule_number(i[0]))),
        },
        "handled": {
            "open_at_year_end": len(handled_open),
            "open_at_year_end_percent": _percent(len(handled_open), len(handled)),
            "open_by_rule": dict(sorted(handled_by_rule.items(), key=lambda i: rules.rule_number(i[0]))),
            "by_story": handled_by_story,
        },
        "pattern": {
            "measured": measured, "found": hits, "recall_percent": _percent(hits, measured),
            "not_expressible": [r["story"] for r in pattern_rows if not r["expressible"]],
            "misses_by_rule": dict(sorted(misses_by_rule.items(), key=lambda i: rules.rule_number(i[0]))),
            "children": pattern_rows,
        },
    }


# --- Output ----------------------------------------------------------------------------------


def figures(m: dict[str, Any]) -> list[dict[str, Any]]:
    q, h, p = m["quiet"], m["handled"], m["pattern"]
    rows = [{"figure": f"prompts per 100 quiet children, {t} term", "value": q["prompts_per_100_per_term"][t],
             "unit": "per 100", "goal": "", "met": None} for t in TERMS]
    rows.append({"figure": "quiet children ever prompted", "value": q["ever_prompted_percent"], "unit": "%",
                 "goal": f"<= {GOAL_QUIET_EVER_PERCENT:g}%", "met": q["ever_prompted_percent"] <= GOAL_QUIET_EVER_PERCENT})
    rows.append({"figure": "handled children with an open prompt at the year's end",
                 "value": h["open_at_year_end_percent"], "unit": "%", "goal": "", "met": None})
    rows.append({"figure": "recall on the pattern children", "value": p["recall_percent"], "unit": "%",
                 "goal": f"{GOAL_RECALL_PERCENT:g}%", "met": p["recall_percent"] >= GOAL_RECALL_PERCENT})
    return rows


def markdown(result: dict[str, Any]) -> list[str]:
    m = result["measurement"]
    q, h, p = m["quiet"], m["handled"], m["pattern"]
    k = m["kinds"]
    overrides = ", ".join(f"{key}={value}" for key, value in result["settings"].items()) or "none (the defaults)"
    lines = [
        "## Alert fatigue (`bench/alert_fatigue.py`)", "",
        f"{result['children']:,} synthetic children (seed {result['seed']}): {k['quiet']} quiet, {k['handled']} "
        f"handled, {k['pattern']} pattern; school year {YEAR_START:%d/%m/%Y} to {YEAR_END:%d/%m/%Y}, every child "
        f"evaluated as of each of its {m['school_days']} school days. Rules {result['rules'][0]}-{result['rules'][-1]}"
        f"{' at ' + result['commit'] if result.get('commit') else ''}; optional facts present: "
        f"{', '.join(n for n, v in result['facts'].items() if v) or 'none'}. Settings changed: {overrides}. "
        f"Measured {result['measured_at']} in {result['seconds']} s.", "",
        "| figure | value | goal | met |", "|---|---:|---|---|",
    ]
    for r in result["figures"]:
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        unit = "%" if r["unit"] == "%" else ""
        lines.append(f"| {r['figure']} | {r['value']:g}{unit} | {r['goal']} | {met} |")
    lines += ["", f"Quiet children prompted: {q['ever_prompted']} of {k['quiet']}. By rule (prompts raised / "
              "children): " + (", ".join(f"{rule} {v['prompts']} / {v['children']}" for rule, v in q["by_rule"].items())
                               or "none") + ".",
              f"Handled children with a prompt open on {YEAR_END:%d/%m/%Y}: {h['open_at_year_end']} of {k['handled']}"
              + (" (" + ", ".join(f"{rule} {n}" for rule, n in h["open_by_rule"].items()) + ")" if h["open_by_rule"] else "")
              + ".",
              f"Pattern children found: {p['found']} of {p['measured']}."
              + (" Missed: " + "; ".join(f"{rule} ({', '.join(s)})" for rule, s in p["misses_by_rule"].items()) + "."
                 if p["misses_by_rule"] else "")
              + (" Not measured (the facts cannot express them in these records): " + "; ".join(p["not_expressible"]) + "."
                 if p["not_expressible"] else "")]
    why = [row for row in p["children"] if row["why_missed"]]
    if why:
        lines += ["", "| pattern child | expected | fired during the year | why missed |", "|---|---|---|---|"]
        for row in why:
            lines.append(f"| {row['story']} | {', '.join(row['expected'])} | "
                         f"{', '.join(row['fired']) or 'nothing'} | {row['why_missed']} |")
    return lines


def write_section(path: Path, lines: list[str]) -> None:
    """Put the section between its markers in results.md, replacing an earlier run's."""
    block = "\n".join([MARK_START, *lines, MARK_END])
    text = path.read_text() if path.exists() else ""
    if MARK_START in text and MARK_END in text:
        before, rest = text.split(MARK_START, 1)
        after = rest.split(MARK_END, 1)[1]
        text = before + block + after
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block + "\n"
    path.write_text(text)


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=False)
    except OSError:
        return None
    return out.stdout.strip() or None


def _parse_setting(text: str) -> tuple[str, str, str]:
    rule, _, rest = text.partition(".")
    name, _, value = rest.partition("=")
    if not (rule and name and value):
        raise argparse.ArgumentTypeError(f"{text!r}: write a setting as RULE.name=value, e.g. E11.min_observations=3")
    return rule.upper(), name, value


def run(children: int, seed: int, output: Path, overrides: dict[str, dict[str, str]]) -> dict[str, Any]:
    started = time.perf_counter()
    settings = rules.settings_with(overrides) if overrides else rules.defaults()
    caps = Capabilities.detect()
    school = generate(children, seed)
    measurement = measure(school, settings, caps)
    result = {
        "children": children, "seed": seed, "rules": list(rules.RULE_IDS), "commit": _commit(),
        "facts": {name: getattr(caps, name) for name in (f.name for f in fields(caps))},
        "settings": {f"{r}.{n}": v for r, values in overrides.items() for n, v in values.items()},
        "evaluated": "every school day, as of that day (the nightly re-evaluation a DSL reads each morning)",
        "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M%z"),
        "python": platform.python_version(),
        "measurement": measurement,
    }
    result["figures"] = figures(measurement)
    result["seconds"] = round(time.perf_counter() - started, 1)
    output.mkdir(parents=True, exist_ok=True)
    (output / "results-fatigue.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    lines = markdown(result)
    write_section(output / "results.md", lines)
    print("\n".join(lines))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--output", type=Path, default=ROOT / "bench",
                        help="folder for results-fatigue.json and results.md (default: bench/, the committed results)")
    parser.add_argument("--setting", type=_parse_setting, action="append", default=[], metavar="RULE.name=value",
                        help="measure with a threshold moved (repeatable), e.g. E11.min_observations=3")
    args = parser.parse_args(argv)
    overrides: dict[str, dict[str, str]] = defaultdict(dict)
    for rule, name, value in args.setting:
        overrides[rule][name] = value
    try:
        run(args.children, args.seed, args.output, dict(overrides))
    except rules.InvalidSettings as refused:
        print(f"could not measure: {refused}", file=sys.stderr)
        return 1
    except Exception as error:  # a rule that raises, facts that cannot be built: no figures at all
        import traceback

        traceback.print_exc()
        print(f"could not measure: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0  # a missed goal is a finding, not a failure


if __name__ == "__main__":
    raise SystemExit(main())
