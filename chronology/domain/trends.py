"""School trends for the DSL: months to count over, tables of counts, and the rows of its CSV."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable


def last_months(today: date, count: int = 12) -> list[date]:
    """The first days of the `count` calendar months up to and including today's, oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


@dataclass(frozen=True)
class Trends:
    """Counts only: no names, no text, nothing that identifies a child."""

    months: tuple[date, ...]
    # category slug -> month start -> observations that month with that category
    by_month: dict[str, dict[date, int]] = field(default_factory=dict)
    observations_by_month: dict[date, int] = field(default_factory=dict)
    open_prompts: dict[str, int] = field(default_factory=dict)  # rule -> open prompts
    referrals: dict[tuple[str, str], int] = field(default_factory=dict)  # (agency, status) -> referrals

    @property
    def months_shown(self) -> tuple[date, ...]:
        """The months the page's table opens on: from the first with an observation to this one,
        so a school that began in the spring is not shown a row of empty months first."""
        first = min((m for m, n in self.observations_by_month.items() if n), default=None)
        return self.months if first is None else tuple(m for m in self.months if m >= first)

    @property
    def categories(self) -> list[str]:
        """Categories seen, most observations first."""
        totals = {slug: sum(months.values()) for slug, months in self.by_month.items()}
        return sorted(totals, key=lambda slug: (-totals[slug], slug))

    def category_total(self, slug: str) -> int:
        return sum(self.by_month.get(slug, {}).values())

    @property
    def prompt_rules(self) -> list[str]:
        """Rules with open prompts, in their own order (E2 before E10)."""
        return sorted(self.open_prompts, key=_rule_order)

    @property
    def referral_statuses(self) -> list[str]:
        return sorted({status for _, status in self.referrals})

    @property
    def referral_agencies(self) -> list[str]:
        return sorted({agency for agency, _ in self.referrals})


def month_counts(rows: Iterable[tuple[date, str, int]], months: list[date]) -> tuple[dict, dict]:
    """From (day, ';'-joined categories, count) groups to per-category and total counts per month."""
    wanted = set(months)
    by_month: dict[str, Counter] = {}
    totals: Counter = Counter()
    for day, categories, n in rows:
        month = date(day.year, day.month, 1)
        if month not in wanted:
            continue
        totals[month] += n
        for slug in {c for c in (categories or "").split(";") if c}:
            by_month.setdefault(slug, Counter())[month] += n
    return {slug: dict(c) for slug, c in by_month.items()}, dict(totals)


def csv_rows(trends: Trends, category_label=str, agency_label=str, status_label=str,  # noqa: ANN001
             rule_label=str) -> list[list[str]]:
    """The same figures as the page, one count a line: figure, group, month or status, count."""
    rows = [["figure", "group", "detail", "count"]]
    for slug in trends.categories:
        for month in trends.months:
            rows.append(["observations by category", category_label(slug), f"{month:%Y-%m}",
                         str(trends.by_month[slug].get(month, 0))])
    for month in trends.months:
        rows.append(["observations", "all categories", f"{month:%Y-%m}",
                     str(trends.observations_by_month.get(month, 0))])
    for rule in trends.prompt_rules:
        rows.append(["open prompts", rule_label(rule), "", str(trends.open_prompts[rule])])
    for (agency, status), n in sorted(trends.referrals.items()):
        rows.append(["referrals", agency_label(agency), status_label(status), str(n)])
    return rows


def _rule_order(rule: str) -> tuple[int, str]:
    digits = "".join(ch for ch in rule if ch.isdigit())
    return (int(digits) if digits else 999, rule)
