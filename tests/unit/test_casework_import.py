"""Reading past casework from CSV: reviews, referrals with consent, life events; every bad slug names the allowed."""

from __future__ import annotations

from datetime import date

import pytest

from chronology.domain.casework_import import parse_casework
from chronology.domain.upn import synthetic_upn

TODAY = date(2026, 3, 27)
HEADER = "upn,record,date,kind,agency,status,outcome,outcome_on,follow_up_on,note,recorded_by"
UPN1 = synthetic_upn(41)
DSL = "dsl@school.example.org"


def parse(text: str):
    return parse_casework(text, today=TODAY)


def line(**cells: str) -> str:
    return ",".join(cells.get(name, "") for name in HEADER.split(","))


def errors_at(result) -> dict[tuple[int | None, str], str]:
    return {(e.line, e.column): e.reason for e in result.errors}


def test_each_kind_of_record_is_read_with_its_own_fields():
    result = parse("\n".join([
        HEADER,
        line(upn=UPN1, record="review", date="03/11/2025", kind="Speak to child", note="Spoke with her", recorded_by=DSL),
        line(upn=UPN1, record="Referral", date="2025-11-04", agency="social-care", status="accepted",
             outcome="Assessment started", outcome_on="10/11/2025", follow_up_on="01/12/2025", recorded_by=DSL.upper()),
        line(upn=UPN1, record="life event", date="05/11/2025", kind="moved-house", note="To Leeds", recorded_by=DSL),
    ]) + "\n")
    assert result.errors == ()
    review, referral, event = result.rows
    assert (review.record, review.kind, review.note, review.on) == ("review", "speak-to-child", "Spoke with her",
                                                                    date(2025, 11, 3))
    assert (referral.record, referral.agency, referral.status) == ("referral", "social-care", "accepted")
    assert referral.outcome_on == date(2025, 11, 10) and referral.recorded_by == DSL
    assert (event.record, event.kind, event.note, event.significant) == ("life-event", "moved-house", "To Leeds", True)


def test_a_referral_carries_its_consent_answers():
    header = HEADER + ",parents_told,why_not_told,consent,consent_by,consent_reason,child_views,level_of_need"
    row = line(upn=UPN1, record="referral", date="04/11/2025", agency="social-care", status="awaiting-response",
               recorded_by=DSL)
    result = parse(f"{header}\n{row},N,Risk to the child,not needed,,Risk of significant harm,She wants help,level 3\n")
    assert result.errors == ()
    answers = result.rows[0].consent_answers
    assert answers["parents_told"] == "no" and answers["consent"] == "not-needed"
    assert answers["why_not_told"] == "Risk to the child" and answers["level_of_need"] == "level 3"


def test_a_bad_slug_names_the_allowed_ones():
    result = parse("\n".join([
        HEADER,
        line(upn=UPN1, record="review", date="03/11/2025", kind="ignore", note="x", recorded_by=DSL),
        line(upn=UPN1, record="referral", date="03/11/2025", agency="nhs", status="pending", recorded_by=DSL),
        line(upn=UPN1, record="life-event", date="03/11/2025", kind="holiday", recorded_by=DSL),
        line(upn=UPN1, record="letter", date="03/11/2025", recorded_by=DSL),
    ]) + "\n")
    errors = errors_at(result)
    assert "monitor, speak-to-child" in errors[(2, "kind")]
    assert "early-help, social-care, police" in errors[(3, "agency")]
    assert "awaiting-response, accepted" in errors[(3, "status")] and "declined-by-the-family" in errors[(3, "status")]
    assert "moved-house" in errors[(4, "kind")]
    assert "review, referral, life-event" in errors[(5, "record")]
    assert result.rows == ()


@pytest.mark.parametrize(("cells", "column", "words"), [
    ({"record": "review", "kind": "monitor"}, "note", "reason"),
    ({"record": "review", "kind": "monitor", "note": "x", "date": "31/02/2025"}, "date", "not a real date"),
    ({"record": "review", "kind": "monitor", "note": "x", "date": "01/01/2027"}, "date", "future"),
    ({"record": "referral", "agency": "other", "status": "closed"}, "agency_detail", "Say which agency"),
    ({"record": "referral", "agency": "police", "status": "closed", "outcome_on": "01/11/2025"}, "outcome_on",
     "before the referral date"),
    ({"record": "referral", "agency": "police", "status": "closed", "outcome_on": "05/11/2025"}, "outcome",
     "Describe the outcome"),
    ({"record": "referral", "agency": "police", "status": "closed", "note": "rang them"}, "note", "outcome column"),
    ({"record": "life-event", "kind": "other"}, "note", "Describe what happened"),
    ({"record": "life-event", "kind": "moved-house", "agency": "police"}, "agency", "has no agency"),
    ({"record": "review", "kind": "monitor", "note": "x", "recorded_by": "the dsl"}, "recorded_by", "not an email"),
])
def test_what_a_record_needs_is_checked_as_its_form_checks_it(cells, column, words):
    values = {"upn": UPN1, "date": "03/11/2025", "recorded_by": DSL, **cells}
    result = parse(f"{HEADER}\n{line(**values)}\n")
    errors = errors_at(result)
    assert (2, column) in errors, errors
    assert words in errors[(2, column)]


def test_in_school_support_needs_which_support_and_may_end():
    header = HEADER + ",support,ended_on"
    good = line(upn=UPN1, record="life-event", date="01/09/2025", kind="school-support", recorded_by=DSL)
    result = parse(f"{header}\n{good},ELSA,19/12/2025\n{good},,\n{good},elsa,01/08/2025\n")
    assert [r.line for r in result.rows] == [2]
    assert result.rows[0].support == "elsa" and result.rows[0].ended_on == date(2025, 12, 19)
    assert set(errors_at(result)) == {(3, "support"), (4, "ended_on")}


def test_the_same_row_twice_is_refused_with_the_line_it_repeats():
    row = line(upn=UPN1, record="life-event", date="05/11/2025", kind="bereavement", note="Grandad", recorded_by=DSL)
    result = parse(f"{HEADER}\n{row}\n{row}\n")
    assert [(e.line, e.reason) for e in result.errors] == [(3, "This row repeats line 2 exactly; remove one of them.")]


def test_a_missing_date_is_reported_beside_the_rows_other_problems():
    result = parse(f"{HEADER}\n{line(upn='nonsense', record='life-event', kind='moved-house', recorded_by=DSL)}\n")
    assert set(errors_at(result)) == {(2, "upn"), (2, "date")}
    assert "date it happened is missing" in errors_at(result)[(2, "date")]
