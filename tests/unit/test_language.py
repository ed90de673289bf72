"""Language advice: what is flagged, what is left alone, and the lexicon as data."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from chronology.domain.language import (
    KINDS,
    Finding,
    LexiconError,
    check,
    default_lexicon,
    findings_as_dicts,
    first_uses,
    glossary_for,
    load_lexicon,
    quoted_spans,
)

JAY = (
    "The kitchen floor was covered in dog faeces and the house smelled strongly of urine. "
    "Jay said: 'I sleep on the sofa because my bed is wet.'"
)

# Written the way the guidance asks: what was seen and heard, numbers, the child's words.
CLEAN_RECORDS = [
    JAY,
    "At 08:50 Siobhán arrived without a coat; the playground thermometer read 2°C. "
    "Her shoes had holes in both soles and her socks were wet through. "
    "She ate two bowls of cereal at breakfast club and asked for a third.",
    "During PE I saw four round bruises, each about 1 cm across, on the back of Zoë's upper left arm. "
    "When I asked how they happened she said: “Mum grabbed me when I spilled my drink.” "
    "I passed this to Mrs Khan, designated safeguarding lead, at 11:15.",
    "Jay has been late on 9 of the last 15 school days, by between 3 and 25 minutes. "
    "On Tuesday he told me: 'I have to take my sister to nursery because Mum doesn't get up.'",
    "Minh Nguyễn fell asleep at his desk three times this morning. He wore the same shirt as on "
    'Monday and Tuesday, with food stains down the front. He said "I\'m not allowed home until '
    "Dad's friend leaves\" and started to cry.",
    "Ella's grandmother collects her at 15:15 every day and they walk home together. "
    "Ella told her teacher: ‘Nana helps me with my reading every night.’ "
    "Ella read 12 pages to me without help.",
    "In my opinion Kai was frightened, because he hid under the table for 20 minutes when his "
    "stepfather arrived and would not speak to anyone.",
    "When I arrived at 16:00 Jay was lying on the sofa in a wet nappy and the room was 14°C "
    "by the thermometer on the wall.",
    "Ruby's lunchbox held one packet of crisps and nothing else on Monday, Wednesday and Friday "
    "of this week; the boys' lunchboxes were full.",
]


def kinds(text: str) -> list[str]:
    return [f.kind for f in check(text)]


def flagged(text: str, kind: str) -> list[str]:
    return [f.text for f in check(text) if f.kind == kind]


def assert_exact_spans(text: str, findings: list[Finding]) -> None:
    for f in findings:
        assert 0 <= f.start < f.end <= len(text)
        assert f.text == text[f.start:f.end]
        assert f.suggestion.strip()
        assert f.kind in KINDS


# ---------------------------------------------------------------- clean records


@pytest.mark.parametrize("text", CLEAN_RECORDS)
def test_descriptive_records_get_no_findings(text: str) -> None:
    assert check(text) == []


def test_empty_or_wordless_text_gets_no_findings() -> None:
    assert check("") == []
    assert check("   \n\t ") == []
    assert check("...") == []


# ---------------------------------------------------------------- each kind


@pytest.mark.parametrize(
    "phrase",
    [
        "poor home conditions",
        "appeared fine",
        "no concerns",
        "usual self",
        "challenging behaviour",
        "kicked off",
        "inappropriate",
        "disguised compliance",
        "seemed OK",
        "happy and playful",
        "known to services",
    ],
)
def test_vague_phrases(phrase: str) -> None:
    text = f"On Monday afternoon, after lunch, the class teacher wrote that it was {phrase} again."
    assert flagged(text, "vague") == [phrase]


def test_vague_matching_ignores_case_and_needs_whole_words() -> None:
    assert flagged("POOR HOME CONDITIONS were seen by the family support worker today.", "vague") == [
        "POOR HOME CONDITIONS"
    ]
    assert flagged("The word appropriately, and the word oftentimes, are not vague here at all.", "vague") == []


def test_the_longest_overlapping_phrase_wins() -> None:
    assert flagged("At the end of the day no concerns noted by the class teacher or TA.", "vague") == [
        "no concerns noted"
    ]


def test_phrases_match_across_hyphens_line_breaks_and_curly_apostrophes() -> None:
    text = "Mum said the girl was attention-seeking and Dad\ncan’t be bothered with any of it, she said."
    assert flagged(text, "opinion") == ["attention-seeking", "can’t be bothered"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Obviously Jay had not been fed properly over the whole of the weekend.", ["Obviously"]),
        ("Jay was clearly frightened of going home to his stepfather on Friday.", ["clearly"]),
        ("I think Dad is drinking again because Jay came in late three days running.", ["I think"]),
        ("I feel that Mum is not coping with the four children since the baby came.", ["I feel"]),
        ("I believe she is lying about where the bruises on her arm came from.", ["I believe", "is lying"]),
        ("Jay is attention seeking and manipulative with the lunchtime staff every day.",
         ["attention seeking", "manipulative"]),
    ],
)
def test_opinion_written_as_fact(text: str, expected: list[str]) -> None:
    assert flagged(text, "opinion") == expected


def test_plain_uses_of_opinion_words_are_not_flagged() -> None:
    assert flagged("Jay was lying on the floor of the hall when I came in at 10:05.", "opinion") == []
    assert flagged("She spoke clearly and the bruise was clearly visible on her cheek.", "opinion") == []
    assert flagged("In my opinion Kai was scared, because he hid for 20 minutes and cried.", "opinion") == []


def test_too_short_spans_the_text_without_surrounding_whitespace() -> None:
    text = "  Jay upset again.\n"
    [finding] = [f for f in check(text) if f.kind == "too-short"]
    assert (finding.start, finding.end, finding.text) == (2, 18, "Jay upset again.")


def test_eight_words_are_enough() -> None:
    assert "too-short" not in kinds("Jay came in at 09:40 with no coat on.")
    assert "too-short" in kinds("Jay came in at 09:40 without coat.")


def test_no_child_voice_flags_the_reporting_verb() -> None:
    text = "Jay told me that he had not eaten anything since Friday lunchtime at school."
    [finding] = [f for f in check(text) if f.kind == "no-child-voice"]
    assert (finding.start, finding.end, finding.text) == (4, 8, "told")


def test_no_child_voice_for_each_unquoted_report() -> None:
    text = "Jay said he was hungry. Later he disclosed that Dad hits him with a belt at home."
    assert flagged(text, "no-child-voice") == ["said", "disclosed"]


def test_apostrophes_are_not_quotation_marks() -> None:
    text = "Jay's sister said she didn't know where Jay's mum's boyfriend had taken the boys' bikes."
    assert quoted_spans(text) == []
    assert flagged(text, "no-child-voice") == ["said"]


def test_any_quoted_words_satisfy_the_child_voice() -> None:
    for quote in ("'I'm hungry'", '"I\'m hungry"', "‘I’m hungry’", "“I’m hungry”"):
        text = f"Jay told me at breakfast club on Monday morning: {quote}."
        assert "no-child-voice" not in kinds(text), quote


def test_the_writers_own_words_are_not_a_missing_voice() -> None:
    text = "I told Mum about the missed dental appointment and we then explained the next steps to her."
    assert "no-child-voice" not in kinds(text)
    assert flagged("I was told by Jay that he had not slept at home on Saturday night.", "no-child-voice") == [
        "told"
    ]


def test_child_voice_in_its_own_field_satisfies_the_check() -> None:
    text = "Jay told me he had not eaten anything since Friday lunchtime at school."
    assert "no-child-voice" not in [f.kind for f in check(text, child_voice="I ain't had no tea.")]


def test_words_inside_quotes_are_the_childs_voice_and_exempt() -> None:
    text = (
        "Ali came to the office at 10:30 and said: 'I think Mum is lying to the social worker. "
        "Dad kicked off and obviously it's my fault. We're on CIN.'"
    )
    assert check(text) == []


def test_an_unclosed_quotation_runs_to_the_end() -> None:
    text = "Jay said: 'I think Dad kicked off because of me"
    assert quoted_spans(text) == [(10, len(text))]
    assert check(text) == []


# ---------------------------------------------------------------- jargon


def test_acronyms_are_case_sensitive_whole_words() -> None:
    assert flagged("Jay has been on a CIN plan since March and it is reviewed monthly.", "jargon") == ["CIN"]
    assert flagged("Jay went to the cinema with his older cousin on Saturday night.", "jargon") == []
    assert flagged("The word cin on its own, and cp in lower case, are not acronyms here.", "jargon") == []
    assert flagged("She was moved to CP after the conference and has a CPP now in place.", "jargon") == [
        "CP", "CPP"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "We had mashed potato at lunch and then mash with gravy for a second helping.",
        "Please send the form home with Jay in his book bag on Friday afternoon.",
        "The salt and pepper had been tipped over the kitchen table by the younger ones.",
        "St Mary's CE Primary School sent the records over on Tuesday by secure email.",
        "Pru, Abe and Pep played tag for the whole of lunch and came in laughing together.",
    ],
)
def test_ordinary_words_that_look_like_acronyms(text: str) -> None:
    assert flagged(text, "jargon") == []


def test_acronyms_in_plural_possessive_and_lower_case_where_safe() -> None:
    text = "Both EHCPs were discussed; the DSL's notes say s47 enquiries and camhs were mentioned at the TAF."
    assert flagged(text, "jargon") == ["EHCPs", "DSL", "s47", "camhs", "TAF"]


def test_multi_word_terms_are_case_insensitive() -> None:
    text = "At the Strategy Meeting on Monday they said it did not meet threshold for a core group."
    assert flagged(text, "jargon") == ["Strategy Meeting", "threshold", "core group"]


def test_everyday_terms_are_in_the_glossary_but_not_flagged() -> None:
    text = "Mum took Jay to the GP and then to A&E on Sunday evening because his arm was swollen."
    assert flagged(text, "jargon") == []
    assert glossary_for(text) == [("GP", "family doctor"), ("A&E", "hospital emergency department")]


def test_at_least_sixty_jargon_entries_each_with_meaning_and_suggestion() -> None:
    acronyms = default_lexicon().acronyms
    assert len(acronyms) >= 60
    for acronym in acronyms:
        assert acronym.term and acronym.meaning and acronym.suggestion
    terms = {a.term for a in acronyms}
    required = {
        "LAC", "CLA", "CIN", "CP", "CPP", "TAF", "MASH", "EHA", "CAMHS", "NFA", "S47", "S17", "ICPC",
        "RCPC", "CSE", "CCE", "DV", "DA", "SEND", "EHCP", "SENCO", "DSL", "LADO", "PEP", "IRO", "CSC",
        "MARAC", "ACEs", "FGM", "PLO", "EWO", "PRU", "strategy meeting", "threshold", "core group",
    }
    assert required <= terms


def test_every_jargon_entry_finds_itself() -> None:
    for acronym in default_lexicon().acronyms:
        text = f"Jay's record mentions {acronym.term} once."
        assert [u.term for u in first_uses(text)] == [acronym.term], acronym.term


# ---------------------------------------------------------------- glossary


def test_glossary_is_in_first_use_order_and_includes_quoted_words() -> None:
    text = "The TAF met. Mum said: 'CAMHS never rang back.' Jay's CIN plan and the TAF review were moved."
    assert glossary_for(text) == [
        ("TAF", "team around the family (the meeting of people helping a family)"),
        ("CAMHS", "child and adolescent mental health services"),
        ("CIN", "child in need (section 17)"),
    ]
    assert [(u.start, u.end) for u in first_uses(text)] == [(4, 7), (24, 29), (54, 57)]


def test_glossary_never_rewrites_the_text() -> None:
    text = "LAC review on Monday; the IRO chaired it."
    before = str(text)
    glossary_for(text)
    check(text)
    assert text == before


# ---------------------------------------------------------------- spans and shape


def test_spans_are_exact_and_sorted() -> None:
    text = (
        "Poor home conditions. Jay appeared fine and was his usual self, no concerns. "
        "I think Mum is obviously not coping. Jay told me he was on a CIN plan and LAC before."
    )
    findings = check(text)
    assert_exact_spans(text, findings)
    assert findings == sorted(findings, key=lambda f: (f.start, f.kind))
    assert {f.kind for f in findings} == {"vague", "opinion", "jargon", "no-child-voice"}


def test_findings_sort_by_start_then_kind() -> None:
    findings = check("Kicked off.")
    assert [(f.start, f.kind) for f in findings] == [(0, "too-short"), (0, "vague")]


def test_findings_as_dicts_is_json_ready() -> None:
    text = "Jay kicked off in class."
    dicts = findings_as_dicts(check(text))
    assert json.loads(json.dumps(dicts)) == dicts
    assert list(dicts[0]) == ["kind", "start", "end", "text", "suggestion"]
    assert dicts[0]["kind"] == "too-short"
    assert {"kind": "vague", "start": 4, "end": 14, "text": "kicked off"} == {
        k: v for k, v in dicts[1].items() if k != "suggestion"
    }


def test_findings_are_frozen() -> None:
    finding = check("Kicked off.")[0]
    with pytest.raises(FrozenInstanceError):
        finding.start = 3  # type: ignore[misc]


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_unicode_names_keep_offsets_exact(form: str) -> None:
    text = unicodedata.normalize(
        form,
        "Zoë’s mum said it was fine. Siobhán kicked off in class. Nguyễn was referred to CAMHS by the GP.",
    )
    findings = check(text)
    assert_exact_spans(text, findings)
    by_text = {f.text: f for f in findings}
    assert by_text["kicked off"].start == text.index("kicked off")
    assert by_text["CAMHS"].start == text.index("CAMHS")
    assert by_text["said"].kind == "no-child-voice"


def test_accented_letters_are_word_characters() -> None:
    # "CINé" and "éCIN" are not the acronym, in composed or decomposed form.
    for form in ("NFC", "NFD"):
        text = unicodedata.normalize(form, "Words like CINé and éCIN and naïveCP are not jargon at all.")
        assert flagged(text, "jargon") == []


# ---------------------------------------------------------------- the lexicon as data


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_lexicon_is_a_data_file_in_the_package() -> None:
    shipped = Path(__file__).parents[2] / "chronology" / "domain" / "lexicon.json"
    data = json.loads(shipped.read_text(encoding="utf-8"))
    assert len(data["acronyms"]) == len(default_lexicon().acronyms)
    assert len(data["phrases"]) == len(default_lexicon().phrases)


def test_a_school_file_adds_a_phrase_and_an_acronym(tmp_path: Path) -> None:
    school = write_json(
        tmp_path / "school.json",
        {
            "phrases": [{"phrase": "bit off", "kind": "vague", "suggestion": "Say what you saw."}],
            "acronyms": [{"term": "ELSA", "meaning": "emotional literacy support assistant"}],
        },
    )
    lexicon = load_lexicon(school)
    text = "Jay was a bit off today and went to see the ELSA at lunchtime on his own."
    assert [(f.kind, f.text) for f in check(text, lexicon)] == [("vague", "bit off"), ("jargon", "ELSA")]
    assert check(text) == []
    assert [f.suggestion for f in check(text, lexicon)][1] == "Write it in full: 'emotional literacy support assistant'."


def test_a_school_file_overrides_and_disables_entries(tmp_path: Path) -> None:
    first = write_json(
        tmp_path / "a.json",
        {"acronyms": [{"term": "TAF", "meaning": "team around the family", "suggestion": "Say who met."}]},
    )
    second = write_json(
        tmp_path / "b.json",
        {"phrases": [{"phrase": "often", "disabled": True}], "too_short": {"min_words": 3}},
    )
    lexicon = load_lexicon(first, second)
    text = "Jay is often late; the TAF met."
    assert [(f.kind, f.text, f.suggestion) for f in check(text, lexicon)] == [("jargon", "TAF", "Say who met.")]


@pytest.mark.parametrize(
    "content, expected",
    [
        ('{"phrases": [', "not valid JSON at line 1"),
        ("[]", "top level: must be a JSON object"),
        ('{"phrase": []}', "unknown section 'phrase'"),
        ('{"phrases": {}}', "phrases: must be a list"),
        ('{"phrases": [{"phrase": "bit off", "kind": "vague"}]}',
         "phrases[0] ('bit off'): 'suggestion' must be a non-empty string"),
        ('{"phrases": [{"phrase": "bit off", "kind": "rude", "suggestion": "x"}]}',
         "phrases[0] ('bit off'): 'kind' must be one of 'opinion', 'vague', not 'rude'"),
        ('{"phrases": [{"phrase": "!!", "kind": "vague", "suggestion": "x"}]}',
         "phrases[0] ('!!'): 'phrase' must contain at least one letter or digit"),
        ('{"acronyms": [{"term": "ELSA", "meaning": "x"}, {"term": "TAF"}]}',
         "acronyms[1] ('TAF'): 'meaning' must be a non-empty string"),
        ('{"acronyms": [{"term": "ELSA", "meaning": "x", "case_sensitive": "yes"}]}',
         "acronyms[0] ('ELSA'): 'case_sensitive' must be true or false"),
        ('{"acronyms": [{"term": "ELSA", "meaning": "x", "meening": "y"}]}',
         "acronyms[0] ('ELSA'): unknown field 'meening'"),
        ('{"acronyms": ["ELSA"]}', "acronyms[0]: must be a JSON object"),
        ('{"acronyms": [{"term": "ELSA", "meaning": "x"}, {"term": "elsa", "meaning": "y"}]}',
         "acronyms[1] ('elsa'): 'elsa' appears twice in this file"),
        ('{"too_short": {"min_words": 0}}', "too_short: 'min_words' must be a whole number"),
        ('{"reporting_verbs": {"words": "said"}}', "reporting_verbs: 'words' must be a list of words"),
    ],
)
def test_a_malformed_school_file_names_the_file_and_entry(tmp_path: Path, content: str, expected: str) -> None:
    bad = tmp_path / "our-school.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        load_lexicon(bad)
    message = str(caught.value)
    assert message.startswith(f"{bad}: ")
    assert expected in message


def test_a_missing_school_file_is_a_lexicon_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    with pytest.raises(LexiconError, match="nowhere.json: cannot read"):
        load_lexicon(missing)


def test_a_school_file_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"acronyms": [{"term": "ELSA", "meaning": "x"}]}).encode())
    assert "ELSA" in {a.term for a in load_lexicon(path).acronyms}
