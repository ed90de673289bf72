"""Finding a child by part of a name, whatever accents or capitals the typist used."""

from __future__ import annotations

import unicodedata


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
