"""The facts the pattern rules read: one child's records as plain, frozen values."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from ..vocabulary import STRENGTH_CATEGORY

# Database ids are ints, but a caller (a fixture, an import) may use strings.
RecordId = int | str


def record_ref(kind: str, record_id: RecordId) -> str:
    """The evidence id of a record, e.g. "observation:12".

    Evidence mixes records from several tables, so a bare number would be ambiguous:
    the kind prefix (observation, review, referral, life-event) says which table it is in.
    """
    return f"{kind}:{record_id}"


def _frozen(owner: object, name: str, values: Iterable[object], kind: type) -> None:
    # Callers hand over lists and sets; storing them as immutable values keeps the facts
    # hashable and guarantees a rule cannot change what the next rule sees.
    object.__setattr__(owner, name, kind(values))


# A quotation: words between double quotes (straight or curly), or between single quotes that
# open and close a phrase. An apostrophe inside a word ("didn't", "Sam's") opens nothing, so
# "I didn't, it's fine" is not read as a quotation.
_QUOTATION = re.compile(
    r"“[^”]*\w[^”]*”"
    r"|\"[^\"]*\w[^\"]*\""
    r"|(?<!\w)‘.*?\w.*?’(?!\w)"
    r"|(?<!\w)'(?=\S).*?\w.*?(?<=\S)'(?!\w)",
    re.DOTALL,
)


def has_quotation(text: str) -> bool:
    """Whether the text quotes someone's words ("...", “...”, '...' or ‘...’)."""
    return bool(_QUOTATION.search(text or ""))


@dataclass(frozen=True)
class ObservationFact:
    id: RecordId
    occurred_on: date
    categories: frozenset[str]
    source: str
    has_child_voice: bool
    is_strength: bool
    # The description of an observation whose source is the child quotes the child's words:
    # a writer who quotes the child in the description has recorded their voice too (E10).
    quotes_child: bool = False
    # The earliest day a DSL decision answered it, when the rules need to know (E14); None if none.
    answered_on: date | None = None

    def __post_init__(self) -> None:
        _frozen(self, "categories", self.categories, frozenset)

    @property
    def ref(self) -> str:
        return record_ref("observation", self.id)

    @property
    def records_child_voice(self) -> bool:
        return self.has_child_voice or (self.quotes_child and self.source == "child")

    @property
    def is_concern(self) -> bool:
        """Strengths are part of a fair picture, but they are not worries to count."""
        # An observation filed only under the strength category is a strength even if the
        # caller forgot the flag: counting it as a concern would raise a false prompt.
        return not self.is_strength and self.categories != {STRENGTH_CATEGORY.slug}


@dataclass(frozen=True)
class ReviewFact:
    id: RecordId
    observation_id: RecordId
    decision: str  # a vocabulary.REVIEW_DECISIONS slug
    decided_on: date

    @property
    def ref(self) -> str:
        return record_ref("review", self.id)


@dataclass(frozen=True)
class ReferralFact:
    id: RecordId
    agency: str  # a vocabulary.AGENCIES slug
    referred_on: date
    status: str  # a vocabulary.REFERRAL_STATUSES slug
    outcome_on: date | None = None
    follow_up_on: date | None = None
    kind: str = ""  # "" or a vocabulary.REFERRAL_KINDS slug, e.g. "young-carers-assessment"

    @property
    def ref(self) -> str:
        return record_ref("referral", self.id)


@dataclass(frozen=True)
class LifeEventFact:
    id: RecordId
    kind: str  # a vocabulary.LIFE_EVENT_KINDS slug
    occurred_on: date
    # In-school support (kind "school-support") runs from occurred_on to ended_on (None: ongoing).
    ended_on: date | None = None
    support: str = ""  # a vocabulary.SCHOOL_SUPPORTS slug, for school support

    @property
    def ref(self) -> str:
        return record_ref("life-event", self.id)


@dataclass(frozen=True)
class HouseholdMemberFact:
    """Someone in the child's family with a known date of birth or, before birth, a due date."""

    date_of_birth: date | None
    due_date: date | None = None
    # None where the school does not know; the rules count an unknown as living with the child,
    # so that a missing answer never hides a prompt.
    lives_with_child: bool | None = None

    @property
    def born_or_due(self) -> date | None:
        return self.date_of_birth or self.due_date


@dataclass(frozen=True)
class AttendanceFact:
    """The school's attendance figure for one term or half-term."""

    period_start: date
    period_end: date
    percent: float


@dataclass(frozen=True)
class ChildRecords:
    """Everything the rules may know about one child; nothing about any other child."""

    date_of_birth: date
    gender: str  # "male", "female" or the school's own word
    flags: frozenset[str] = frozenset()  # e.g. send, eal, looked-after, cp-plan-current
    observations: tuple[ObservationFact, ...] = ()
    reviews: tuple[ReviewFact, ...] = ()
    referrals: tuple[ReferralFact, ...] = ()
    life_events: tuple[LifeEventFact, ...] = ()
    household: tuple[HouseholdMemberFact, ...] = ()
    attendance: tuple[AttendanceFact, ...] = ()
    sen_primary_need: str = ""  # the MIS code (SLCN, ASD, SpLD ...), or ""
    communication_needs: bool = False  # the child's details record communication needs

    def __post_init__(self) -> None:
        _frozen(self, "flags", self.flags, frozenset)
        for name in ("observations", "reviews", "referrals", "life_events", "household", "attendance"):
            _frozen(self, name, getattr(self, name), tuple)

    @cached_property
    def _concerns_by_day(self) -> tuple[tuple[date, ...], tuple[tuple[int, ObservationFact], ...]]:
        # Fifteen rules each ask for the concerns in a window; sorting once and bisecting makes
        # that a slice instead of a pass over a long history per rule. (cached_property writes to
        # the instance dict directly, so it works on a frozen dataclass.)
        ordered = sorted(((o.occurred_on, i, o) for i, o in enumerate(self.observations) if o.is_concern),
                         key=lambda item: (item[0], item[1]))
        return tuple(day for day, _, _ in ordered), tuple((i, o) for _, i, o in ordered)

    @property
    def has_concerns(self) -> bool:
        return bool(self._concerns_by_day[0])

    def concerns_between(self, first: date, last: date) -> list[ObservationFact]:
        """Concerns (not strengths) that happened from `first` to `last` inclusive, in the order
        the observations were given (not date order), as a pass over them would return them."""
        days, concerns = self._concerns_by_day
        found = concerns[bisect_left(days, first):bisect_right(days, last)]
        return [o for _, o in sorted(found, key=lambda item: item[0])]
