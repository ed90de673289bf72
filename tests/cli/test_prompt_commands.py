"""The evaluate-prompts and prompts commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from chronology.domain.family import DetailsDraft
from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import AuditEvent, Observation, ObservationVersion, Prompt
from chronology.services import clock, family, prompts as prompt_service
from tests.factories import make_child, make_school, make_user

TODAY = clock.today()
KEYS = {"upn", "rule", "title", "explanation", "next_step", "evidence", "also", "merged_into", "raised_on"}


def add_observation(school, child, author, on: date, *categories: str, source: str = "staff",
                    child_voice: str = "I was hungry.") -> Observation:
    """Written straight to the tables, as an import would: no prompt is evaluated on the way."""
    observation = Observation(school_id=school.id, child=child, created_by=author)
    observation.versions.append(ObservationVersion(
        number=1, occurred_on=on, categories_text=";".join(categories or ("hunger",)), source=source,
        description="Came in hungry and asked for toast twice.", child_voice=child_voice,
        recorded_by=author))
    db.session.add(observation)
    db.session.commit()
    return observation


def run_json(runner, *args: str):
    result = runner.invoke(args=["prompts", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_evaluate_prompts_raises_prompts_for_every_child_and_is_audited(runner):
    school = make_school()
    teacher = make_user(school, "staff")
    hungry, quiet = make_child(school), make_child(school, "Amira", "Okafor")
    for days_ago in (20, 15, 10):
        add_observation(school, hungry, teacher, TODAY - timedelta(days=days_ago))
    add_observation(school, quiet, teacher, TODAY - timedelta(days=3), "injury")
    assert db.session.scalar(select(Prompt)) is None

    result = runner.invoke(args=["evaluate-prompts", "--school", school.urn])
    assert result.exit_code == 0, result.output
    assert "2 child(ren) evaluated" in result.output and "2 prompt(s) raised" in result.output
    stored = {(p.child_id, p.rule) for p in db.session.scalars(select(Prompt))}
    assert stored == {(hungry.id, "E1"), (hungry.id, "E4")}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "prompts.evaluate")) is not None

    again = runner.invoke(args=["evaluate-prompts", "--school", school.urn])
    assert "0 prompt(s) raised, 0 updated" in again.output and "2 open" in again.output
    assert len(list(db.session.scalars(select(Prompt)))) == 2


def test_evaluate_prompts_as_of_an_earlier_day(runner):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school)
    for on in (date(2025, 1, 6), date(2025, 1, 13), date(2025, 1, 20)):
        add_observation(school, child, teacher, on)
    result = runner.invoke(args=["evaluate-prompts", "--school", school.urn, "--as-of", "2025-01-20"])
    assert result.exit_code == 0, result.output
    prompts = {p.rule: p for p in db.session.scalars(select(Prompt))}
    assert set(prompts) == {"E1", "E4"} and prompts["E4"].raised_on == date(2025, 1, 20)
    # Months later the windows have moved on: the prompts leave the lists but are kept.
    later = runner.invoke(args=["evaluate-prompts", "--school", school.urn, "--as-of", "2025-09-01"])
    assert "2 no longer firing; 0 open" in later.output
    db.session.expire_all()
    assert all(not p.firing for p in db.session.scalars(select(Prompt)))


def test_prompts_json_shape_and_order(runner):
    school = make_school()
    teacher = make_user(school, "staff")
    second = make_child(school, "Bea", "Adams", upn=synthetic_upn(902))
    first = make_child(school, "Cal", "Brown", upn=synthetic_upn(901), send=True)
    # (v2) E11 reads the SEN primary need, not the SEND flag: speech, language and communication.
    family.save_details(first, teacher, DetailsDraft(sen_primary_need="SLCN"))
    for days_ago in (20, 15, 10):
        add_observation(school, second, teacher, TODAY - timedelta(days=days_ago))
    # E1, E2, E11 and E14 for the first child: rule numbers, not text, give the order.
    add_observation(school, first, teacher, TODAY - timedelta(days=9), "domestic-abuse")
    add_observation(school, first, teacher, TODAY - timedelta(days=8), "housing", source="community")
    add_observation(school, first, teacher, TODAY - timedelta(days=7), "poverty")

    found = run_json(runner, "--school", school.urn)
    assert all(set(p) == KEYS for p in found)
    order = [(p["upn"], p["rule"]) for p in found]
    expected = {first.upn: ["E1", "E2", "E11", "E14"], second.upn: ["E1", "E4"]}
    assert order == [(upn, rule) for upn in sorted(expected) for rule in expected[upn]]
    [e4] = [p for p in found if p["rule"] == "E4"]
    assert e4["raised_on"] == TODAY.isoformat()
    # (v2) each evidence record is an object, not a bare ref such as "observation:12".
    assert all(e["ref"].startswith("observation:") and e["kind"] == "observation" for e in e4["evidence"])
    assert len(e4["evidence"]) == 3
    assert "368 serious case reviews" in e4["explanation"]
    # Read-only: nothing was stored.
    assert db.session.scalar(select(Prompt)) is None

    only = run_json(runner, "--school", school.urn, "--upn", second.upn.lower())
    assert [p["rule"] for p in only] == ["E1", "E4"]


def test_prompts_respects_as_of_and_what_the_dsl_did(runner):
    school = make_school()
    teacher = make_user(school, "staff")
    dsl = make_user(school, "dsl")
    child = make_child(school)
    for on in (date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 17)):
        add_observation(school, child, teacher, on)
    assert run_json(runner, "--school", school.urn, "--as-of", "2025-03-16") == []
    at = run_json(runner, "--school", school.urn, "--as-of", "2025-03-17")
    assert [p["rule"] for p in at] == ["E1", "E4"]
    assert {p["raised_on"] for p in at} == {"2025-03-17"}
    assert run_json(runner, "--school", school.urn, "--as-of", "2025-09-01") == []

    prompt_service.reevaluate_school(school, date(2025, 3, 17))
    e4 = db.session.scalar(select(Prompt).where(Prompt.rule == "E4"))
    prompt_service.dismiss(e4, dsl, "Breakfast club place agreed with mum.")
    # (v2) E1 is about the same three records, so the DSL read it with E4 and it was dismissed
    # with it (v1 left E1 open).
    assert [p["rule"] for p in run_json(runner, "--school", school.urn, "--as-of", "2025-03-20")] == []
    assert db.session.scalar(select(Prompt).where(Prompt.rule == "E1")).status == "dismissed"
    add_observation(school, child, teacher, date(2025, 3, 24))
    back = run_json(runner, "--school", school.urn, "--as-of", "2025-03-24")
    assert [p["rule"] for p in back] == ["E1", "E4"]
    assert back[1]["raised_on"] == "2025-03-24" and len(back[1]["evidence"]) == 4


def test_bad_input_is_refused_with_a_clear_message(runner):
    school = make_school()
    bad_date = runner.invoke(args=["prompts", "--school", school.urn, "--as-of", "2025-02-30", "--json"])
    assert bad_date.exit_code != 0 and "'2025-02-30' is not a date in the form YYYY-MM-DD" in bad_date.output
    unknown_school = runner.invoke(args=["prompts", "--school", "999999", "--json"])
    assert unknown_school.exit_code != 0 and "no school has the URN '999999'" in unknown_school.output
    unknown_upn = runner.invoke(args=["prompts", "--school", school.urn, "--upn", "A123", "--json"])
    assert unknown_upn.exit_code != 0 and "has the UPN 'A123'" in unknown_upn.output
    evaluate_bad = runner.invoke(args=["evaluate-prompts", "--school", school.urn, "--as-of", "yesterday"])
    assert evaluate_bad.exit_code != 0 and "is not a date" in evaluate_bad.output
    future = (TODAY + timedelta(days=3)).isoformat()
    evaluate_future = runner.invoke(args=["evaluate-prompts", "--school", school.urn, "--as-of", future])
    assert evaluate_future.exit_code != 0 and "is in the future" in evaluate_future.output
    assert runner.invoke(args=["evaluate-prompts", "--school", "123"]).exit_code != 0
    prompts_future = runner.invoke(args=["prompts", "--school", school.urn, "--as-of", future, "--json"])
    assert prompts_future.exit_code != 0 and "is in the future" in prompts_future.output
    assert "Traceback" not in prompts_future.output
    today = runner.invoke(args=["prompts", "--school", school.urn, "--as-of", TODAY.isoformat(), "--json"])
    assert today.exit_code == 0 and json.loads(today.output) == []


def test_prompts_json_names_evidence_by_date_with_the_next_step_and_what_is_read_together(runner):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school)
    days = (20, 15, 10)
    observations = [add_observation(school, child, teacher, TODAY - timedelta(days=d), "hunger", "hygiene")
                    for d in days]
    add_observation(school, child, teacher, TODAY - timedelta(days=2), "self-harm")
    found = {p["rule"]: p for p in run_json(runner, "--school", school.urn)}
    assert {"E1", "E4", "E9"} <= set(found)
    e4 = found["E4"]
    assert e4["evidence"] == [
        {"ref": f"observation:{o.id}", "date": (TODAY - timedelta(days=d)).isoformat(), "kind": "observation",
         "categories": ["hunger", "hygiene"], "label": "Hunger, Hygiene"}
        for o, d in zip(observations, days)]
    assert f"{(TODAY - timedelta(days=20)):%d/%m/%Y} — Hunger, Hygiene" in e4["explanation"]
    assert e4["next_step"] and e4["next_step"] not in e4["explanation"]
    # E1 and E4 are about the same records: both are listed, and say they are read as one.
    # E1's four concerns include the self-harm, so it shares 3 of 4 with E4; E9 (one record) stays apart.
    assert e4["also"] == ["E1"] and e4["merged_into"] is None
    assert found["E1"]["merged_into"] == "E4" and found["E1"]["also"] == []
    assert found["E9"]["also"] == [] and found["E9"]["merged_into"] is None
    assert "refer to health" in found["E9"]["title"].lower() and "CAMHS" in found["E9"]["next_step"]
    text = runner.invoke(args=["prompts", "--school", school.urn])
    assert text.exit_code == 0
    assert "(shown with E4)" in text.output and "next step: " in text.output
    assert f"{(TODAY - timedelta(days=10)):%d/%m/%Y} — Hunger, Hygiene" in text.output
