"""The shape of a child's timeline: rows, range, clusters and its text alternative, from plain marks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping

# The row for the DSL's own records and what happened in the child's life, below the categories.
EVENTS_ROW = "events"
SEVERITIES: tuple[str, ...] = ("urgent", "concern", "strength")
EVENT_KINDS: tuple[str, ...] = ("referral", "review", "life-event", "information-shared")
UNCATEGORISED = "uncategorised"
# Strengths belong on the picture (a chronology that shows only risk is not fair) but a run of
# them is not a cluster of concerns, nor the "most frequent" worry.
STRENGTH = "strength"


@dataclass(frozen=True)
class Mark:
    """One record on the timeline. `ref` is the anchor of the record on the chronology page."""

    ref: str  # "observation-12", "referral-3" ...
    kind: str  # observation, review, referral, life-event, information-shared
    on: date
    categories: frozenset[str] = frozenset()
    severity: str = "concern"  # urgent, concern, strength; events keep "concern"
    label: str = ""  # a short description for the mark's tooltip, e.g. "Referral to police"


@dataclass(frozen=True)
class Cluster:
    row: str
    start: date
    end: date
    refs: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.refs)


@dataclass(frozen=True)
class Row:
    key: str  # a category slug, or EVENTS_ROW
    label: str
    marks: tuple[Mark, ...]
    clusters: tuple[Cluster, ...] = ()


@dataclass(frozen=True)
class Timeline:
    rows: tuple[Row, ...]
    start: date
    end: date
    summary: str

    @property
    def marks(self) -> tuple[Mark, ...]:
        return tuple(m for row in self.rows for m in row.marks)

    @property
    def clusters(self) -> tuple[Cluster, ...]:
        return tuple(c for row in self.rows for c in row.clusters)


def severity_of(urgent: bool, categories: Iterable[str], strength: str = STRENGTH) -> str:
    """Urgent above all; a record that is only about strengths is a strength; anything else a concern."""
    slugs = set(categories)
    if urgent:
        return "urgent"
    if slugs and slugs <= {strength}:
        return "strength"
    return "concern"


def find_clusters(row: str, marks: Iterable[Mark], *, size: int = 3, days: int = 14) -> tuple[Cluster, ...]:
    """Runs of `size` or more marks that fall within `days` days of each other; overlapping runs merge."""
    ordered = sorted(marks, key=lambda m: (m.on, m.ref))
    span = timedelta(days=days - 1)
    spans: list[list[int]] = []  # [first index, last index] into `ordered`
    j = 0
    for i, first in enumerate(ordered):
        j = max(j, i)
        while j + 1 < len(ordered) and ordered[j + 1].on - first.on <= span:
            j += 1
        if j - i + 1 < size:
            continue
        if spans and i <= spans[-1][1]:
            # Overlapping windows describe one run of concerns, not several.
            spans[-1][1] = j
        else:
            spans.append([i, j])
    return tuple(
        Cluster(row, ordered[lo].on, ordered[hi].on, tuple(m.ref for m in ordered[lo:hi + 1]))
        for lo, hi in spans
    )


def build_timeline(marks: Iterable[Mark], *, start: date | None = None, end: date | None = None,
                   labels: Mapping[str, str] | None = None, order: Iterable[str] = (),
                   cluster_size: int = 3, cluster_days: int = 14) -> Timeline:
    """Rows in `order` (the vocabulary's order; unknown slugs after, alphabetically), events last.

    `start`/`end` are the chosen date range (a filter's bounds); missing bounds come from the marks.
    """
    labels = labels or {}
    all_marks = sorted(marks, key=lambda m: (m.on, m.ref))
    by_row: dict[str, list[Mark]] = {}
    events: list[Mark] = []
    for mark in all_marks:
        if mark.kind != "observation":
            events.append(mark)
            continue
        for slug in mark.categories or {UNCATEGORISED}:
            by_row.setdefault(slug, []).append(mark)
    rank = {slug: n for n, slug in enumerate(order)}
    keys = sorted(by_row, key=lambda slug: (rank.get(slug, len(rank)), slug))
    rows = [
        Row(slug, labels.get(slug, slug), tuple(by_row[slug]),
            find_clusters(slug, by_row[slug], size=cluster_size, days=cluster_days) if slug != STRENGTH else ())
        for slug in keys
    ]
    if events:
        rows.append(Row(EVENTS_ROW, labels.get(EVENTS_ROW, "Referrals, reviews and life events"), tuple(events)))
    days = [m.on for m in all_marks]
    first = start or (min(days) if days else end)
    last = end or (max(days) if days else start)
    if first is None or last is None:
        first = last = first or last or date.today()
    if last < first:
        first, last = last, first
    timeline = Timeline(tuple(rows), first, last, "")
    return Timeline(timeline.rows, first, last, text_alternative(timeline, labels))


def _day(value: date, with_year: bool) -> str:
    text = f"{value.day} {value:%B}"
    return f"{text} {value.year}" if with_year else text


def _between(first: date, last: date) -> str:
    if first == last:
        return f"on {_day(first, True)}"
    return f"between {_day(first, first.year != last.year)} and {_day(last, True)}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _in_sentence(label: str) -> str:
    """'Hunger' reads as 'hunger' mid-sentence; 'CAMHS' stays as it is."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def text_alternative(timeline: Timeline, labels: Mapping[str, str] | None = None) -> str:
    """A sentence that says what the picture shows, for people who cannot see it."""
    labels = labels or {}
    observations = {m.ref: m for m in timeline.marks if m.kind == "observation"}
    events = Counter(m.kind for m in timeline.marks if m.kind != "observation")
    parts: list[str] = []
    if observations:
        counts = Counter(slug for m in observations.values() for slug in (m.categories or {UNCATEGORISED}))
        days = [m.on for m in observations.values()]
        worries = {slug: n for slug, n in counts.items() if slug != STRENGTH} or counts
        top = max(worries.values())
        leaders = sorted(slug for slug, n in worries.items() if n == top)
        named = ", ".join(f"{_in_sentence(labels.get(slug, slug))} ({top})" for slug in leaders[:3])
        more = f" and {len(leaders) - 3} more" if len(leaders) > 3 else ""
        sentence = (f"{_plural(len(observations), 'observation')} in {_plural(len(counts), 'category', 'categories')} "
                    f"{_between(min(days), max(days))}; most frequent: {named}{more}")
        urgent = sum(1 for m in observations.values() if m.severity == "urgent")
        strengths = sum(1 for m in observations.values() if m.severity == "strength")
        if urgent:
            sentence += f"; {urgent} marked urgent"
        if strengths:
            sentence += f"; {_plural(strengths, 'strength')} recorded"
        parts.append(sentence)
    else:
        parts.append(f"No observations {_between(timeline.start, timeline.end)}")
    if events:
        names = {"referral": ("referral", None), "review": ("review", None), "life-event": ("life event", None),
                 "information-shared": ("record of information shared", "records of information shared")}
        parts.append(", ".join(_plural(events[k], *names[k]) for k in EVENT_KINDS if events[k]))
    clusters = timeline.clusters
    if clusters:
        described = "; ".join(
            f"{_in_sentence(labels.get(c.row, c.row))}: {c.size} {_between(c.start, c.end)}" for c in clusters[:5]
        )
        more = f" and {len(clusters) - 5} more" if len(clusters) > 5 else ""
        parts.append(f"{_plural(len(clusters), 'cluster')} of concerns close together ({described}{more})")
    return ". ".join(parts) + "."


# The school year in England runs from 1 September to 31 August.
SCHOOL_YEAR_STARTS = 9


@dataclass(frozen=True)
class Period:
    """The stretch of time one picture covers; `title` is empty when one picture shows everything."""

    start: date
    end: date
    title: str = ""


def school_year_of(day: date) -> int:
    """The calendar year a day's school year starts in: August 2026 is in 2025-26."""
    return day.year if day.month >= SCHOOL_YEAR_STARTS else day.year - 1


def periods(days: Iterable[date]) -> list[Period]:
    """One picture for up to twelve months of records; beyond that, one per school year that has any.

    Squeezed onto a page, several years in one picture put a month in a few millimetres and
    weeks of concerns in one blot: a school year a picture keeps a month as wide as a short one.
    """
    seen = sorted(set(days))
    if not seen:
        return []
    first, last = seen[0], seen[-1]
    if last < _add_months(first, 12):
        return [Period(first, last)]
    years = sorted({school_year_of(d) for d in seen})
    return [Period(date(y, SCHOOL_YEAR_STARTS, 1), date(y + 1, SCHOOL_YEAR_STARTS, 1) - timedelta(days=1),
                   f"September {y} to August {y + 1}") for y in years]


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))
