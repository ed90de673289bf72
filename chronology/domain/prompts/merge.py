"""Overlapping prompts shown as one: which of a child's prompts say so about the same records.

The rules still fire, are stored and are audited one by one; this only decides what a DSL reads.
The merge rule: two prompts overlap when the records they share are at least half of the
smaller one's evidence. The prompt with the most evidence (the lower rule number on a tie) leads;
each other prompt, in that order, goes under the first lead it overlaps, or leads its own group.
Comparing with leads only (never with a prompt already under another) keeps a chain of small
overlaps from pulling unrelated findings together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def _number(rule_id: str) -> int:
    return int(rule_id.removeprefix("E")) if rule_id.removeprefix("E").isdecimal() else 10_000


def overlaps(first: Iterable[str], second: Iterable[str]) -> bool:
    """Whether the two evidence sets share at least half of the smaller one (and something)."""
    a, b = set(first), set(second)
    shared = len(a & b)
    return shared > 0 and 2 * shared >= min(len(a), len(b))


@dataclass(frozen=True)
class Group:
    lead: str  # the rule id whose prompt the DSL reads
    also: tuple[str, ...]  # the rules merged into it, in rule order


def merge_groups(evidence_by_rule: Mapping[str, Iterable[str]]) -> list[Group]:
    """One child's prompts (rule id -> evidence refs) as the groups a DSL reads, in rule order."""
    evidence = {rule: frozenset(refs) for rule, refs in evidence_by_rule.items()}
    order = sorted(evidence, key=lambda r: (-len(evidence[r]), _number(r)))
    leads: list[str] = []
    under: dict[str, list[str]] = {}
    for rule in order:
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
