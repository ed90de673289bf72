"""Advice on clear, descriptive recording: it points at words, and never changes them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any, Literal, NoReturn, cast

Kind = Literal["vague", "jargon", "opinion", "too-short", "no-child-voice"]
KINDS: tuple[Kind, ...] = ("vague", "jargon", "opinion", "too-short", "no-child-voice")
# Each kind in plain words, for the form and the command line; static/language-advice.js holds the same.
KIND_LABELS: dict[str, str] = {
    "vague": "Vague phrase",
    "jargon": "Jargon",
    "opinion": "Opinion written as fact",
    "too-short": "Too short to picture",
    "no-child-voice": "No words of the child quoted",
}
PHRASE_KINDS: frozenset[str] = frozenset({"vague", "opinion"})

# Combining accents count as part of a word, so a decomposed "Zoë" (e + U+0308)
# is one word and nothing matches half of it.
_WORD = r"\w\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_START = rf"(?<![{_WORD}])"
_END = rf"(?![{_WORD}])"
# "attention seeking", "attention-seeking" and a line break mid-phrase are the same phrase.
_GAP = r"[\s\-\u2010\u2011]+"
_APOSTROPHE = "['\u2019]"
_WORD_CHAR = re.compile(rf"[{_WORD}]")
_NEXT_WORD = re.compile(rf"\s+([{_WORD}'\u2019]+)")
_PREV_WORD = re.compile(rf"([{_WORD}'\u2019]+)\s+$")
# "I told mum" is the writer's own action; "I was told" reports someone else.
_WRITER_BEFORE = re.compile(rf"{_START}(?:I|we|We|WE)(?:\s+([{_WORD}]+))?\s+$")
_PASSIVE = frozenset({"was", "were", "am", "been", "being"})

_DOUBLE_QUOTES: Mapping[str, frozenset[str]] = {
    '"': frozenset({'"', "\u201d"}),
    "\u201c": frozenset({"\u201d", '"'}),
    "\u201e": frozenset({"\u201c", "\u201d"}),
    "\u00ab": frozenset({"\u00bb"}),
}
_SINGLE_OPEN = frozenset({"'", "\u2018", "\u2019"})
_SINGLE_CLOSE = frozenset({"'", "\u2019"})

SHIPPED_LEXICON = "lexicon.json"
_SECTIONS = frozenset({"notes", "phrases", "acronyms", "reporting_verbs", "too_short"})
_PHRASE_KEYS = frozenset({"phrase", "kind", "suggestion", "unless_before", "unless_after", "disabled"})
_ACRONYM_KEYS = frozenset({"term", "meaning", "suggestion", "case_sensitive", "advise", "disabled"})


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int
    end: int
    text: str
    suggestion: str


@dataclass(frozen=True)
class Phrase:
    phrase: str
    kind: Kind
    suggestion: str
    unless_before: frozenset[str] = frozenset()
    unless_after: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Acronym:
    term: str
    meaning: str
    suggestion: str
    case_sensitive: bool = True
    # False keeps an everyday term (GP, A&E) out of the writer's way but still in the glossary.
    advise: bool = True


@dataclass(frozen=True)
class TermUse:
    """Where a jargon term is first used, so an export can spell it out beside the words."""

    term: str
    meaning: str
    start: int
    end: int


@dataclass(frozen=True)
class _Matcher:
    """A compiled phrase or term, with a plain substring that must be present for it to match."""

    pattern: re.Pattern[str]
    needle: str
    case_sensitive: bool

    def finditer(self, text: str, folded: str) -> Iterator[re.Match[str]]:
        # A substring test is far cheaper than a regex scan, and most terms are absent.
        if self.needle not in (text if self.case_sensitive else folded):
            return iter(())
        return self.pattern.finditer(text)


@dataclass(frozen=True)
class Lexicon:
    phrases: tuple[Phrase, ...]
    acronyms: tuple[Acronym, ...]
    reporting_verbs: frozenset[str]
    voice_suggestion: str
    min_words: int
    short_suggestion: str

    @cached_property
    def phrase_matchers(self) -> tuple[tuple[Phrase, _Matcher], ...]:
        return tuple((p, _matcher(p.phrase, case_sensitive=False, plural=False)) for p in self.phrases)

    @cached_property
    def acronym_matchers(self) -> tuple[tuple[Acronym, _Matcher], ...]:
        return tuple((a, _matcher(a.term, a.case_sensitive, plural=True)) for a in self.acronyms)

    @cached_property
    def reporting_pattern(self) -> re.Pattern[str] | None:
        if not self.reporting_verbs:
            return None
        words = "|".join(re.escape(w) for w in sorted(self.reporting_verbs, key=len, reverse=True))
        return re.compile(rf"{_START}(?:{words}){_END}", re.IGNORECASE)


# ---------------------------------------------------------------- checking


def check(text: str, lexicon: Lexicon | None = None, *, child_voice: str = "") -> list[Finding]:
    """Advice on one piece of writing, sorted by start then kind.

    Offsets are Python string indices (code points) into `text` exactly as given.
    Empty or wordless text gets no findings: there is nothing to advise on, and
    the form's own validation already asks for a description.
    Words inside quotation marks are someone's own words, so vague, opinion and
    jargon checks skip them. `child_voice` is the child's words recorded in a
    separate field; if it has any, the text is not asked to quote them again.
    """
    lex = default_lexicon() if lexicon is None else lexicon
    if _word_count(text) == 0:
        return []
    quotes = quoted_spans(text)
    found = [
        *_phrase_findings(text, lex, quotes),
        *_jargon_findings(text, lex, quotes),
        *_too_short_findings(text, lex),
        *_voice_findings(text, lex, quotes, child_voice),
    ]
    return sorted(found, key=lambda f: (f.start, f.kind, f.end))


def findings_as_dicts(findings: Iterable[Finding]) -> list[dict[str, str | int]]:
    return [
        {"kind": f.kind, "start": f.start, "end": f.end, "text": f.text, "suggestion": f.suggestion}
        for f in findings
    ]


def first_uses(text: str, lexicon: Lexicon | None = None) -> list[TermUse]:
    """The first use of each jargon term, quoted words included, in order of use."""
    lex = default_lexicon() if lexicon is None else lexicon
    seen: dict[str, TermUse] = {}
    for acronym, match in _jargon_matches(text, lex):
        if acronym.term not in seen:
            seen[acronym.term] = TermUse(acronym.term, acronym.meaning, match.start(), match.end())
    return sorted(seen.values(), key=lambda u: u.start)


def glossary_for(text: str, lexicon: Lexicon | None = None) -> list[tuple[str, str]]:
    """(term, plain meaning) for each jargon term used, in first-use order; the text is untouched."""
    return [(use.term, use.meaning) for use in first_uses(text, lexicon)]


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quotation, marks included; an unclosed quotation runs to the end."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        closers = _opening_quote(text, i)
        if closers is None:
            i += 1
            continue
        end = _closing_quote(text, i + 1, closers)
        spans.append((i, end))
        i = end
    return spans


def _opening_quote(text: str, i: int) -> frozenset[str] | None:
    ch = text[i]
    if ch in _DOUBLE_QUOTES:
        return _DOUBLE_QUOTES[ch]
    # An apostrophe follows a letter (Jay's, didn't, the boys'); an opening quote does not.
    if ch in _SINGLE_OPEN and not _is_word_char(text, i - 1) and _is_visible(text, i + 1):
        return _SINGLE_CLOSE
    return None


def _closing_quote(text: str, start: int, closers: frozenset[str]) -> int:
    single = closers == _SINGLE_CLOSE
    for j in range(start, len(text)):
        # A single mark followed by a letter is an apostrophe inside the quotation.
        if text[j] in closers and not (single and _is_word_char(text, j + 1)):
            return j + 1
    return len(text)


def _is_word_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and _WORD_CHAR.match(text[i]) is not None


def _is_visible(text: str, i: int) -> bool:
    return i < len(text) and not text[i].isspace()


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < q_end and q_start < end for q_start, q_end in spans)


def _phrase_findings(text: str, lex: Lexicon, quotes: list[tuple[int, int]]) -> list[Finding]:
    folded = text.casefold()
    candidates = [
        Finding(phrase.kind, m.start(), m.end(), m.group(), phrase.suggestion)
        for phrase, matcher in lex.phrase_matchers
        for m in matcher.finditer(text, folded)
        if not _inside(m.start(), m.end(), quotes) and not _excused(text, m, phrase)
    ]
    return _without_overlaps(candidates)


def _excused(text: str, match: re.Match[str], phrase: Phrase) -> bool:
    """True when the next or previous word shows the phrase is harmless ("lying on the floor")."""
    after = _NEXT_WORD.match(text, match.end())
    if after and after.group(1).casefold() in phrase.unless_after:
        return True
    before = _PREV_WORD.search(text, max(0, match.start() - 40), match.start())
    return bool(before and before.group(1).casefold() in phrase.unless_before)


def _jargon_matches(text: str, lex: Lexicon) -> list[tuple[Acronym, re.Match[str]]]:
    folded = text.casefold()
    found = [(a, m) for a, matcher in lex.acronym_matchers for m in matcher.finditer(text, folded)]
    found.sort(key=lambda am: (am[1].start(), -(am[1].end() - am[1].start())))
    kept: list[tuple[Acronym, re.Match[str]]] = []
    for acronym, match in found:
        if not kept or match.start() >= kept[-1][1].end():
            kept.append((acronym, match))
    return kept


def _jargon_findings(text: str, lex: Lexicon, quotes: list[tuple[int, int]]) -> list[Finding]:
    return [
        Finding("jargon", m.start(), m.end(), m.group(), a.suggestion)
        for a, m in _jargon_matches(text, lex)
        if a.advise and not _inside(m.start(), m.end(), quotes)
    ]


def _without_overlaps(candidates: list[Finding]) -> list[Finding]:
    """Leftmost, then longest: "no concerns noted" wins over "no concerns"."""
    kept: list[Finding] = []
    for f in sorted(candidates, key=lambda f: (f.start, f.start - f.end)):
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


def _word_count(text: str) -> int:
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


def _too_short_findings(text: str, lex: Lexicon) -> list[Finding]:
    if _word_count(text) >= lex.min_words:
        return []
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return [Finding("too-short", start, end, text[start:end], lex.short_suggestion)]


def _voice_findings(
    text: str, lex: Lexicon, quotes: list[tuple[int, int]], child_voice: str
) -> list[Finding]:
    # One quotation anywhere is enough: asking for quotes around every "said"
    # in a record that already quotes the child would be a false alarm.
    if _has_letters(child_voice) or any(_has_letters(text[s:e]) for s, e in quotes):
        return []
    if lex.reporting_pattern is None:
        return []
    return [
        Finding("no-child-voice", m.start(), m.end(), m.group(), lex.voice_suggestion)
        for m in lex.reporting_pattern.finditer(text)
        if not _by_writer(text, m.start())
    ]


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _by_writer(text: str, start: int) -> bool:
    before = _WRITER_BEFORE.search(text, max(0, start - 30), start)
    return before is not None and (before.group(1) or "").casefold() not in _PASSIVE


def _matcher(words: str, case_sensitive: bool, plural: bool) -> _Matcher:
    parts = [p for p in re.split(_GAP, words.strip()) if p]
    # Apostrophes vary between keyboards, so a part holding one cannot be the needle.
    plain = [p for p in parts if "'" not in p] or [""]
    needle = max(plain, key=len)
    return _Matcher(
        _compile(parts, case_sensitive, plural and not words.endswith(("s", "S"))),
        needle if case_sensitive else needle.casefold(),
        case_sensitive,
    )


def _compile(parts: list[str], case_sensitive: bool, plural: bool) -> re.Pattern[str]:
    body = _GAP.join(re.escape(p).replace("'", _APOSTROPHE) for p in parts)
    # "EHCPs", "strategy meetings": the plural is the same term.
    suffix = "s?" if plural else ""
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(f"{_START}{body}{suffix}{_END}", flags)


# ---------------------------------------------------------------- loading


@cache
def default_lexicon() -> Lexicon:
    return load_lexicon()


def load_lexicon(*extra_paths: str | os.PathLike[str]) -> Lexicon:
    """The shipped lexicon, with each school file laid over it in turn (later files win)."""
    shipped = resources.files(__package__ or "chronology.domain").joinpath(SHIPPED_LEXICON)
    merged = _parse(f"chronology/domain/{SHIPPED_LEXICON}", shipped.read_text(encoding="utf-8"))
    for path in extra_paths:
        merged.overlay(_parse(os.fspath(path), _read(path)))
    return merged.build()


def _read(path: str | os.PathLike[str]) -> str:
    try:
        # utf-8-sig: a file saved from Windows Notepad starts with a byte-order mark.
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(f"{os.fspath(path)}: cannot read the lexicon file: {exc}") from exc


@dataclass
class _Layer:
    """One file's entries, keyed by folded phrase or term; None marks a "disabled" entry."""

    source: str
    phrases: dict[str, Phrase | None] = field(default_factory=dict)
    acronyms: dict[str, Acronym | None] = field(default_factory=dict)
    reporting_verbs: set[str] = field(default_factory=set)
    voice_suggestion: str | None = None
    min_words: int | None = None
    short_suggestion: str | None = None

    def overlay(self, other: _Layer) -> None:
        self.phrases.update(other.phrases)
        self.acronyms.update(other.acronyms)
        self.reporting_verbs |= other.reporting_verbs
        self.voice_suggestion = other.voice_suggestion or self.voice_suggestion
        self.min_words = other.min_words or self.min_words
        self.short_suggestion = other.short_suggestion or self.short_suggestion

    def build(self) -> Lexicon:
        if self.voice_suggestion is None or self.min_words is None or self.short_suggestion is None:
            _fail(self.source, "top level", "reporting_verbs.suggestion, too_short.min_words "
                  "and too_short.suggestion must all be given")
        return Lexicon(
            phrases=tuple(p for p in self.phrases.values() if p is not None),
            acronyms=tuple(a for a in self.acronyms.values() if a is not None),
            reporting_verbs=frozenset(self.reporting_verbs),
            voice_suggestion=self.voice_suggestion,
            min_words=self.min_words,
            short_suggestion=self.short_suggestion,
        )


def _fail(source: str, where: str, problem: str) -> NoReturn:
    raise LexiconError(f"{source}: {where}: {problem}")


def _parse(source: str, raw: str) -> _Layer:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LexiconError(
            f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        _fail(source, "top level", 'must be a JSON object such as {"phrases": [...], "acronyms": [...]}')
    unknown = sorted(set(data) - _SECTIONS)
    if unknown:
        _fail(source, "top level", f"unknown section {unknown[0]!r}; expected {_listing(_SECTIONS)}")
    layer = _Layer(source)
    for index, entry in enumerate(_section_list(source, data, "phrases")):
        where = _label("phrases", index, entry, "phrase")
        _add_unique(source, layer.phrases, where, _parse_phrase(source, where, entry))
    for index, entry in enumerate(_section_list(source, data, "acronyms")):
        where = _label("acronyms", index, entry, "term")
        _add_unique(source, layer.acronyms, where, _parse_acronym(source, where, entry))
    _parse_reporting(source, data.get("reporting_verbs"), layer)
    _parse_too_short(source, data.get("too_short"), layer)
    return layer


def _listing(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in sorted(names))


def _section_list(source: str, data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        _fail(source, name, "must be a list of entries")
    return value


def _add_unique(source: str, into: dict[str, Any], where: str, keyed: tuple[str, Any]) -> None:
    key, value = keyed
    if key in into:
        _fail(source, where, f"{key!r} appears twice in this file")
    into[key] = value


def _label(section: str, index: int, entry: Any, name_key: str) -> str:
    name = entry.get(name_key) if isinstance(entry, dict) else None
    return f"{section}[{index}] ({name!r})" if isinstance(name, str) else f"{section}[{index}]"


def _check_keys(source: str, where: str, entry: Any, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        _fail(source, where, "must be a JSON object")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        _fail(source, where, f"unknown field {unknown[0]!r}; expected {_listing(allowed)}")
    return entry


def _text(source: str, where: str, entry: dict[str, Any], key: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value.strip():
        _fail(source, where, f"{key!r} must be a non-empty string")
    return value.strip()


def _flag(source: str, where: str, entry: dict[str, Any], key: str, default: bool) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        _fail(source, where, f"{key!r} must be true or false")
    return value


def _words(source: str, where: str, entry: dict[str, Any], key: str) -> frozenset[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        _fail(source, where, f"{key!r} must be a list of words")
    return frozenset(w.strip().casefold() for w in value)


def _matchable(source: str, where: str, key: str, value: str) -> str:
    if not _WORD_CHAR.search(value):
        _fail(source, where, f"{key!r} must contain at least one letter or digit")
    return " ".join(value.split())


def _parse_phrase(source: str, where: str, raw: Any) -> tuple[str, Phrase | None]:
    entry = _check_keys(source, where, raw, _PHRASE_KEYS)
    phrase = _matchable(source, where, "phrase", _text(source, where, entry, "phrase"))
    if _flag(source, where, entry, "disabled", False):
        return phrase.casefold(), None
    kind = _text(source, where, entry, "kind")
    if kind not in PHRASE_KINDS:
        _fail(source, where, f"'kind' must be one of {_listing(PHRASE_KINDS)}, not {kind!r}")
    return phrase.casefold(), Phrase(
        phrase=phrase,
        kind=cast(Kind, kind),
        suggestion=_text(source, where, entry, "suggestion"),
        unless_before=_words(source, where, entry, "unless_before"),
        unless_after=_words(source, where, entry, "unless_after"),
    )


def _parse_acronym(source: str, where: str, raw: Any) -> tuple[str, Acronym | None]:
    entry = _check_keys(source, where, raw, _ACRONYM_KEYS)
    term = _matchable(source, where, "term", _text(source, where, entry, "term"))
    if _flag(source, where, entry, "disabled", False):
        return term.casefold(), None
    meaning = _text(source, where, entry, "meaning")
    return term.casefold(), Acronym(
        term=term,
        meaning=meaning,
        suggestion=_text(source, where, entry, "suggestion", f"Write it in full: '{meaning}'."),
        case_sensitive=_flag(source, where, entry, "case_sensitive", True),
        advise=_flag(source, where, entry, "advise", True),
    )


def _parse_reporting(source: str, raw: Any, layer: _Layer) -> None:
    if raw is None:
        return
    entry = _check_keys(source, "reporting_verbs", raw, frozenset({"words", "suggestion"}))
    layer.reporting_verbs = set(_words(source, "reporting_verbs", entry, "words"))
    if "suggestion" in entry:
        layer.voice_suggestion = _text(source, "reporting_verbs", entry, "suggestion")


def _parse_too_short(source: str, raw: Any, layer: _Layer) -> None:
    if raw is None:
        return
    entry = _check_keys(source, "too_short", raw, frozenset({"min_words", "suggestion"}))
    if "min_words" in entry:
        value = entry["min_words"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            _fail(source, "too_short", "'min_words' must be a whole number of at least 1")
        layer.min_words = value
    if "suggestion" in entry:
        layer.short_suggestion = _text(source, "too_short", entry, "suggestion")
