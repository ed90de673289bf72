"""What a PDF export shows of recorded words: chosen names screened, acronyms spelled out beside them."""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

from ..domain.language import TermUse, first_uses

WITHHELD = "[name withheld]"
STAFF_WITHHELD = "[staff name withheld]"

_WORD = r"\w\u0300-\u036f"
_APOSTROPHES = "'\u2019\u2018"


def _name_pattern(name: str) -> str:
    """A name as typed, matching composed or decomposed accents and either apostrophe."""
    parts: list[str] = []
    for ch in unicodedata.normalize("NFC", " ".join(name.split())):
        if ch == " ":
            parts.append(r"\s+")
        elif ch in _APOSTROPHES:
            parts.append(f"[{_APOSTROPHES}]")
        else:
            decomposed = unicodedata.normalize("NFD", ch)
            parts.append(re.escape(ch) if decomposed == ch
                         else f"(?:{re.escape(ch)}|{re.escape(decomposed)})")
    return "".join(parts)


class NameScreen:
    """Replaces chosen names in the exported copy; the stored record is never touched."""

    def __init__(self, replacements: dict[str, str]) -> None:
        wanted = {n: r for n, r in replacements.items() if n.strip()}
        if not wanted:
            self._pattern = None
            return
        # Longest first, so "Siobhán O'Neill" is replaced whole rather than "Siobhán" alone.
        ordered = sorted(wanted, key=len, reverse=True)
        body = "|".join(f"({_name_pattern(n)})" for n in ordered)
        self._replacements = [wanted[n] for n in ordered]
        self._pattern = re.compile(rf"(?<![{_WORD}])(?:{body})(?![{_WORD}])", re.IGNORECASE)

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: self._replacements[m.lastindex - 1], text)


class Wording:
    """What the template shows of recorded words: names screened, acronyms spelled out once.

    The template calls `text()` and `cell()` in reading order, so "first use" is the first use in the
    document. An acronym is spelled out once: beside its first use in running text, or, when it is
    first used in a table cell, only in the glossary. A note in a narrow cell made it tens of lines
    long, and a note inside the brackets a template puts round a cell's words nested them.
    """

    def __init__(self, screen: NameScreen) -> None:
        self.screen = screen
        self._explained: dict[str, TermUse] = {}

    def plain(self, value: str | None) -> str:
        return self.screen(value or "")

    def text(self, value: str | None) -> Markup:
        """Running text: each acronym new to the document gets its short meaning in brackets after it."""
        shown, new = self._read(value)
        # Words that already give the meaning ("... services (CAMHS)") need no note; the glossary still lists it.
        folded = shown.casefold()
        notes = [use for use in new if short_meaning(use.meaning).casefold() not in folded]
        html = escape(shown)
        if notes:
            spelled = " ".join(
                f'<span class="spelled-out">({escape(u.term)}: {escape(short_meaning(u.meaning))})</span>'
                for u in notes
            )
            html = Markup(f'{html} {spelled}')
        return html

    def cell(self, value: str | None) -> Markup:
        """A table cell: the words alone; the acronyms they use go to the glossary."""
        shown, _new = self._read(value)
        return escape(shown)

    def _read(self, value: str | None) -> tuple[str, list[TermUse]]:
        shown = self.screen(value or "")
        new = [use for use in first_uses(shown) if use.term not in self._explained]
        for use in new:
            self._explained[use.term] = use
        return shown, new

    def glossary(self) -> list[tuple[str, str]]:
        return [(use.term, use.meaning) for use in self._explained.values()]


def short_meaning(meaning: str) -> str:
    """A meaning without its own bracketed aside, so a note never nests brackets; the glossary has it whole."""
    return meaning.split(" (", 1)[0].strip() or meaning
