"""Finding a child by part of a name, whatever accents or capitals the typist used."""

from __future__ import annotations

import unicodedata
from typing import Iterable


def search_key(*parts: str | None) -> str:
    """Fold case and accents so "zoe" finds Zoë and "siobhan" finds Siobhán."""
    text = " ".join(p for p in parts if p)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Apostrophes vary between keyboards (O'Neill, O’Neill); ignore them all.
    for mark in ("'", "\u2019", "\u2018", "`"):
        stripped = stripped.replace(mark, "")
    return " ".join(stripped.split())


def query_terms(query: str) -> list[str]:
    return [t for t in search_key(query).split(" ") if t]


def display_name(legal_forename: str, preferred_forename: str | None, legal_surname: str) -> str:
    """The name a child is shown by: the forename they use, then their surname."""
    return f"{preferred_forename or legal_forename} {legal_surname}"


def namesake_counts(shown: Iterable[tuple[int, str]], others: Iterable[tuple[int, str]]) -> dict[int, int]:
    """For each child shown, as (id, name shown), how many other children are shown by the same name
    once accents, capitals and apostrophes are set aside: "Zoe O'Neill" and "Zoë O’Neill" look alike
    on a list. `others` are the children on the roll who might share a name (the shown ones may be
    among them again); a child shown with a count above 0 needs telling apart."""
    shown = list(shown)
    ids_by_name: dict[str, set[int]] = {}
    for child_id, name in [*shown, *others]:
        ids_by_name.setdefault(search_key(name), set()).add(child_id)
    return {child_id: len(ids_by_name[search_key(name)]) - 1 for child_id, name in shown}
