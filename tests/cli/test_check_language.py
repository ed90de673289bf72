"""The check-language command: text on stdin, advice out, exit 0 either way."""

from __future__ import annotations

import json

JAY = ("The kitchen floor was covered in dog faeces and the house smelled strongly of urine. "
       "Jay said: 'I sleep on the sofa because my bed is wet.'")
VAGUE = "Poor home conditions. Mum is obviously not coping."


def test_json_lists_each_finding_with_its_exact_span(runner):
    result = runner.invoke(args=["check-language", "--json"], input=VAGUE)
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)
    assert findings and all(set(f) == {"kind", "start", "end", "text", "suggestion"} for f in findings)
    for f in findings:
        assert VAGUE[f["start"]:f["end"]] == f["text"]
        assert isinstance(f["start"], int) and isinstance(f["end"], int) and f["suggestion"]
    kinds = {f["kind"] for f in findings}
    assert {"vague", "opinion"} <= kinds
    assert any(f["text"] == "obviously" for f in findings)


def test_json_is_an_empty_list_and_exit_0_when_the_text_reads_clearly(runner):
    result = runner.invoke(args=["check-language", "--json"], input=JAY)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []


def test_json_keeps_unicode_offsets_as_python_indices(runner):
    text = "Zoë told me. She is clearly lying."
    result = runner.invoke(args=["check-language", "--json"], input=text)
    assert result.exit_code == 0
    for f in json.loads(result.output):
        assert text[f["start"]:f["end"]] == f["text"]


def test_human_output_names_the_kind_the_words_and_the_suggestion(runner):
    result = runner.invoke(args=["check-language"], input=VAGUE)
    assert result.exit_code == 0, result.output
    assert "Vague phrase" in result.output
    assert "Opinion written as fact" in result.output
    assert "\u201cobviously\u201d" in result.output
    assert "Poor home conditions" in result.output


def test_human_output_says_so_when_there_is_no_advice(runner):
    result = runner.invoke(args=["check-language"], input=JAY)
    assert result.exit_code == 0
    assert result.output.strip() == "No advice: the text reads clearly."


def test_empty_input_gets_no_advice_and_exits_0(runner):
    result = runner.invoke(args=["check-language", "--json"], input="")
    assert result.exit_code == 0
    assert json.loads(result.output) == []
