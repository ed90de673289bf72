"""Overlapping prompts shown as one: which of a child's prompts say something about the same records.

The rules still fire, are stored and are audited one by one; this decides only what a DSL reads.

The merge rule: two prompts overlap when the records they share are at least half of each one's
evidence (so one self-harm record inside ten concerns about hunger is not "the same records", but
three prompts on the same six records are). Prompts are taken in order of urgency (LEAD_ORDER);
each goes under the first lead it overlaps, or leads a group of its own. Comparing with leads only,
never with a prompt already under another, keeps a chain of overlaps from pulling unrelated
findings together; and the most urgent finding is always the one the DSL reads first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Most urgent first: harm to a baby, self-harm, exploitation and going missing call for action the
# same day; a referral to challenge or a case closed too soon, next; then patterns to look at.
LEAD_ORDER: tuple[str, ...] = (
    "E16", "E9", "E8", "E7", "E6", "E12", "E3", "E13", "E14", "E17", "E15", "E5", "E19", "E4",
    "E2", "E1", "E18", "E11", "E10",
)


def _urgency(rule_id: str) -> tuple[int, int, str]:
    number = rule_id.removeprefix("E")
    rank = LEAD_ORDER.index(rule_id) if rule_id in LEAD_ORDER else len(LEAD_ORDER)
    return rank, int(number) if number.isdecimal() else 10_000, rule_id


def _number(rule_id: str) -> int:
    number = rule_id.removeprefix("E")
    return int(number) if number.isdecimal() else 10_000


def overlaps(first: Iterable[str], second: Iterable[str]) -> bool:
    """Whether the records the two share are at least half of each one's evidence."""
    a, b = set(first), set(second)
    shared = len(a & b)
    return shared > 0 and 2 * shared >= max(len(a), len(b))


@dataclass(frozen=True)
class Group:
    lead: str  # the rule id whose prompt the DSL reads first
    also: tuple[str, ...]  # the rules shown under it, in rule order


def merge_groups(evidence_by_rule: Mapping[str, Iterable[str]]) -> list[Group]:
    """One child's prompts (rule id -> evidence refs) as the groups a DSL reads, in rule order."""
    evidence = {rule: frozenset(refs) for rule, refs in evidence_by_rule.items()}
    leads: list[str] = []
    under: dict[str, list[str]] = {}
    for rule in sorted(evidence, key=_urgency):
        lead = next((lead for lead in leads if overlaps(evidence[lead], evidence[rule])), None)
        if lead is None:
            leads.append(rule)
            under[rule] = []
        else:
            under[lead].append(rule)
    return sorted((Group(lead, tuple(sorted(under[lead], key=_number))) for lead in leads),
                  key=lambda g: _number(g.lead))


def merged_into(evidence_by_rule: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """For each rule shown under another, the rule it is shown under."""
    return {rule: g.lead for g in merge_groups(evidence_by_rule) for rule in g.also}
