"""Putting a child's records side by side, in the order things happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any, Iterable


@dataclass(frozen=True)
class Entry:
    """One line of a chronology. `record` is whatever the caller loaded; this module never reads it."""

    kind: str  # observation, review, referral, life-event, information-shared
    occurred_on: date
    occurred_time: time | None
    recorded_at: datetime
    categories: frozenset[str]
    significant: bool
    record: Any
    ref: str = ""  # "observation-12": how a response names the concern it answers
    answers: str = ""  # for a DSL's response, the ref of the concern it answers; "" when none


# The DSL's answers to what was seen: they follow the concern they answer, never precede it.
RESPONSES = frozenset({"review", "referral", "information-shared"})


@dataclass(frozen=True)
class Line:
    """One entry as the chronology page prints it, with its anchor and dates already written out.

    A long chronology is a long template loop, where every filter or call costs microseconds more
    than reading a value: at 1,000 entries that was a third of the page. Worked out here once, the
    template only reads them.
    """

    entry: Entry
    record: Any
    kind: str
    anchor: str  # "observation-12": the id the timeline's marks and the prompts' evidence link to
    on: str  # "27/03/2026"
    at: str  # "09:15", or "" when no time was given
    recorded: str  # when it was written down, in the school's time: "27/03/2026 09:20"
    significant: bool


def lines(entries: Iterable[tuple[Entry, int]], zone: tzinfo) -> list[Line]:
    """Each (entry, its record's id) as a Line, dates in the UK style (DD/MM/YYYY) in `zone`."""
    days: dict[date, str] = {}
    made = []
    for entry, record_id in entries:
        on = days.get(entry.occurred_on)
        if on is None:
            on = days[entry.occurred_on] = entry.occurred_on.strftime("%d/%m/%Y")
        made.append(Line(entry, entry.record, entry.kind, f"{entry.kind}-{record_id}", on,
                         entry.occurred_time.strftime("%H:%M") if entry.occurred_time else "",
                         entry.recorded_at.astimezone(zone).strftime("%d/%m/%Y %H:%M"), entry.significant))
    return made


@dataclass(frozen=True)
class ChronologyFilter:
    date_from: date | None = None
    date_to: date | None = None
    categories: frozenset[str] = frozenset()
    significant_only: bool = False

    def admits(self, entry: Entry) -> bool:
        if self.date_from and entry.occurred_on < self.date_from:
            return False
        if self.date_to and entry.occurred_on > self.date_to:
            return False
        if self.significant_only and not entry.significant:
            return False
        # A category filter is about concerns; the DSL's own records stay in view beside them
        # only when they belong to a matching observation, which the caller tags with its categories.
        if self.categories and not (entry.categories & self.categories):
            return False
        return True


def assemble(entries: list[Entry], wanted: ChronologyFilter) -> list[Entry]:
    """Entries in the order they happened (see `in_order`), keeping only those `wanted` admits."""
    return in_order([e for e in entries if wanted.admits(e)])


def in_order(entries: list[Entry]) -> list[Entry]:
    """Day by day. Within a day: timed records by their time, then untimed ones as they were recorded;
    a DSL's response (decision, referral, information shared) straight after the concern it answers
    when that concern is shown on the same day, else after the day's other records.

    Most of what a DSL records has a date and no time, so ordering by "time or midnight" put the
    decision and the referral above the 08:50 disclosure they answered.
    """
    def own(e: Entry, after: int) -> tuple:
        return (e.occurred_on, after, e.occurred_time is None, e.occurred_time or time.min, e.recorded_at, e.kind)

    placed = {e.ref: e for e in entries if e.ref and e.kind not in RESPONSES}

    def key(e: Entry) -> tuple:
        if e.kind not in RESPONSES:
            return own(e, 0), (0, time.min, e.recorded_at, e.kind)
        concern = placed.get(e.answers) if e.answers else None
        if concern is not None and concern.occurred_on == e.occurred_on:
            return own(concern, 0), (1, e.occurred_time or time.min, e.recorded_at, e.kind)
        return own(e, 1), (0, time.min, e.recorded_at, e.kind)

    return sorted(entries, key=key)


def category_counts(entries: list[Entry]) -> list[tuple[str, int, date, date]]:
    """Per category: how many observations, and the first and last dates."""
    seen: dict[str, list[date]] = {}
    for entry in entries:
        if entry.kind != "observation":
            continue
        for slug in entry.categories:
            seen.setdefault(slug, []).append(entry.occurred_on)
    return sorted(
        ((slug, len(days), min(days), max(days)) for slug, days in seen.items()),
        key=lambda row: (-row[1], row[0]),
    )
