"""Pattern prompts in front of the DSL: raised on each write, kept one per rule, acted on, audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from chronology.domain.observation_rules import ObservationDraft
from chronology.domain.prompts import RULE_IDS
from chronology.extensions import db
from chronology.models import AuditEvent, Observation, Prompt, PromptSetting
from chronology.services import casework, clock, observations as observation_service
from chronology.services import prompts as prompt_service
from tests.factories import csrf_from, login, make_child, make_school, make_user, post_form

TODAY = clock.today()


def observe(school, child, author, *, days_ago=5, categories=("hunger",), child_voice="I'm hungry.",
            source="staff", description="Came in hungry and asked for toast twice."):
    draft = ObservationDraft(
        occurred_on=TODAY - timedelta(days=days_ago), occurred_time=None, occurred_approx=False,
        location="Classroom", categories=tuple(categories), source=source, first_hand=True,
        description=description, child_voice=child_voice, action_taken="Told the DSL.",
    )
    return observation_service.record_observation(school, child, author, draft, today=TODAY)


def setup():
    school = make_school()
    return school, make_user(school, "staff"), make_user(school, "dsl"), make_child(school)


def prompts_of(child, rule=None) -> list[Prompt]:
    db.session.expire_all()
    stmt = select(Prompt).where(Prompt.child_id == child.id)
    if rule:
        stmt = stmt.where(Prompt.rule == rule)
    return list(db.session.scalars(stmt.order_by(Prompt.id)))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def concern_form(child_id, days_ago):
    return {
        "child_id": str(child_id), "child_query": "",
        "occurred_on": (TODAY - timedelta(days=days_ago)).strftime("%d/%m/%Y"), "occurred_time": "",
        "location": "Year 4 classroom", "categories": ["hunger"], "source": "staff", "first_hand": "yes",
        "description": "Came in at 08:50 and asked twice for toast. Ate two slices very quickly.",
        "child_voice": "I didn't have tea last night.", "action_taken": "Gave breakfast.",
    }


def test_prompt_appears_on_the_chronology_after_enough_concerns_with_evidence_marked(client):
    school, teacher, dsl, child = setup()
    login(client, teacher.email)
    for days_ago in (20, 10):
        assert post_form(client, "/observations/new", concern_form(child.id, days_ago)).status_code == 302
    assert prompts_of(child) == []
    assert post_form(client, "/observations/new", concern_form(child.id, 1)).status_code == 302
    rules = {p.rule for p in prompts_of(child)}
    assert rules == {"E1", "E4"}  # 3 concerns in 30 days; 3 signs of neglect in 8 weeks
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/observations/new").get_data(as_text=True))})
    login(client, dsl.email)
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    assert 'id="prompts"' in html
    assert "Small worries are adding up" in html and "Repeated signs of neglect" in html
    e4 = prompts_of(child, "E4")[0]
    for ref in e4.evidence_refs:
        anchor = ref.replace(":", "-")
        assert f'href="#{anchor}"' in html
        assert f'entry-evidence" id="{anchor}" data-evidence-for="E1 E4"' in html
    assert "raise" in " ".join(actions())


def test_a_rule_that_keeps_firing_is_one_prompt_updated_with_new_evidence(client):
    school, teacher, dsl, child = setup()
    for days_ago in (20, 15, 10):
        observe(school, child, teacher, days_ago=days_ago)
    [e4] = prompts_of(child, "E4")
    assert len(e4.evidence_refs) == 3
    fourth = observe(school, child, teacher, days_ago=2)
    [again] = prompts_of(child, "E4")
    assert again.id == e4.id
    assert f"observation:{fourth.id}" in again.evidence_refs and len(again.evidence_refs) == 4
    assert db.session.scalar(select(func.count()).select_from(Prompt).where(Prompt.rule == "E4")) == 1
    assert "prompt.update" in actions()


def test_a_dismissed_prompt_returns_only_with_evidence_it_had_not_seen(client):
    school, teacher, dsl, child = setup()
    observations = [observe(school, child, teacher, days_ago=d) for d in (20, 15, 10)]
    [e4] = prompts_of(child, "E4")
    login(client, dsl.email)
    response = post_form(client, f"/prompts/{e4.id}/dismiss", {"reason": "Known to us: breakfast club place agreed."},
                         form_url=f"/prompts/{e4.id}")
    assert response.status_code == 302
    assert prompts_of(child, "E4")[0].status == "dismissed"
    # Re-evaluating on the same evidence (a correction that changes nothing the rule reads) keeps it dismissed.
    first = observations[0]
    draft = observation_service.draft_from(first)
    observation_service.amend_observation(first, dsl, draft, "Typo in the location.", today=TODAY)
    prompt_service.reevaluate_school(school, TODAY)
    assert prompts_of(child, "E4")[0].status == "dismissed"
    assert f'href="/prompts/{e4.id}"' not in client.get("/prompts/").get_data(as_text=True)
    # New evidence brings it back, as the same prompt.
    newest = observe(school, child, teacher, days_ago=1)
    [back] = prompts_of(child, "E4")
    assert back.id == e4.id and back.status == "open"
    assert f"observation:{newest.id}" in back.evidence_refs
    assert back.dismissed_reason == "Known to us: breakfast club place agreed."  # history kept
    assert "prompt.reopen" in actions()
    assert f'href="/prompts/{e4.id}"' in client.get("/prompts/").get_data(as_text=True)


def test_dismissing_needs_a_reason_and_keeps_the_form(client):
    school, teacher, dsl, child = setup()
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)
    [e4] = prompts_of(child, "E4")
    login(client, dsl.email)
    response = post_form(client, f"/prompts/{e4.id}/dismiss", {"reason": "   "}, form_url=f"/prompts/{e4.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "Give the reason for dismissing" in html
    assert 'href="#reason"' in html
    assert prompts_of(child, "E4")[0].status == "open"
    assert "prompt.dismiss" not in actions()


def test_acknowledge_action_and_dismiss_are_each_audited(client):
    school, teacher, dsl, child = setup()
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)
    e1, e4 = prompts_of(child, "E1")[0], prompts_of(child, "E4")[0]
    login(client, dsl.email)
    assert post_form(client, f"/prompts/{e4.id}/acknowledge", {}, form_url=f"/prompts/{e4.id}").status_code == 302
    assert prompts_of(child, "E4")[0].status == "acknowledged"
    # (v2) E1 and E4 are about the same three records, so the DSL read them as one prompt: E1 was
    # acknowledged with E4 (v1 left it open), and its audit event says it was read with E4.
    assert prompts_of(child, "E1")[0].status == "acknowledged"
    # Acknowledged prompts stay in front of the DSL.
    assert f"/prompts/{e4.id}" in client.get("/prompts/").get_data(as_text=True)

    # Actioning needs a review or referral of this child.
    other_child = make_child(school, "Amira", "Okafor")
    stranger = observe(school, other_child, teacher, days_ago=3, source="community", categories=("bullying",))
    foreign_review = casework.record_review(stranger, dsl, "monitor", "Watching.", TODAY, today=TODAY)
    refused = post_form(client, f"/prompts/{e4.id}/action", {"link": f"review:{foreign_review.id}"},
                        form_url=f"/prompts/{e4.id}")
    assert refused.status_code == 400
    assert "Choose the review or referral of this child" in refused.get_data(as_text=True)

    first = prompts_of(child, "E4")[0].evidence_refs[0]
    observation = db.session.get(Observation, int(first.split(":")[1]))
    review = casework.record_review(observation, dsl, "speak-to-parent", "Spoke to mum about breakfast.",
                                    TODAY, today=TODAY)
    e4 = prompts_of(child, "E4")[0]
    page = client.get(f"/prompts/{e4.id}").get_data(as_text=True)
    assert f'value="review:{review.id}"' in page
    # (v2) The evidence reads by date and category, not "Concern 12 of ...".
    assert f"{(TODAY - timedelta(days=20)):%d/%m/%Y} — Hunger</a>" in page
    assert f"Concern {observation.id}" not in page
    assert post_form(client, f"/prompts/{e4.id}/action", {"link": f"review:{review.id}"},
                     form_url=f"/prompts/{e4.id}").status_code == 302
    actioned = prompts_of(child, "E4")[0]
    assert actioned.status == "actioned" and actioned.review_id == review.id
    assert actioned.actioned_by_id == dsl.id and actioned.actioned_at is not None
    assert prompts_of(child, "E1")[0].status == "actioned"  # read as one with E4

    # A prompt about other records is dismissed on its own: the aunt's call (the neighbour's concern
    # above was answered by the "monitor" decision, so it raises nothing).
    told = observe(school, other_child, teacher, days_ago=2, source="wider-family", categories=("injury",))
    [e14] = prompts_of(other_child, "E14")
    assert f"observation:{told.id}" in e14.evidence_refs
    assert post_form(client, f"/prompts/{e14.id}/dismiss", {"reason": "Aunt's call followed up by phone."},
                     form_url=f"/prompts/{e14.id}").status_code == 302
    events = [e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.user_id == dsl.id))
              if e.action.startswith("prompt.")]
    by_action: dict[str, list] = {}
    for e in events:
        by_action.setdefault(e.action, []).append(e)
    for action in ("prompt.acknowledge", "prompt.action", "prompt.dismiss"):
        assert all(e.object_type == "prompt" for e in by_action[action])
    assert {(e.object_id, json.loads(e.detail).get("with")) for e in by_action["prompt.acknowledge"]} == {
        (e4.id, None), (e1.id, "E4")}
    assert {json.loads(e.detail)["linked"] for e in by_action["prompt.action"]} == {f"review:{review.id}"}
    assert len(by_action["prompt.action"]) == 2
    [dismissed] = by_action["prompt.dismiss"]
    assert dismissed.child_id == other_child.id
    assert json.loads(dismissed.detail)["reason"] == "Aunt's call followed up by phone."
    assert f"/prompts/{e4.id}" not in client.get("/prompts/").get_data(as_text=True)


def test_dashboard_lists_open_prompts_newest_first_and_filters_by_rule(client):
    school, teacher, dsl, child = setup()
    older = make_child(school, "Amira", "Okafor")
    observe(school, older, teacher, days_ago=3, source="community", categories=("injury",))
    prompts_of(older, "E14")[0].raised_on = TODAY - timedelta(days=1)  # as if raised yesterday
    db.session.commit()
    observe(school, child, teacher, days_ago=2, source="wider-family", categories=("injury",))
    login(client, dsl.email)
    html = client.get("/prompts/").get_data(as_text=True)
    newer_e14, older_e14 = prompts_of(child, "E14")[0], prompts_of(older, "E14")[0]
    assert older_e14.raised_on < newer_e14.raised_on
    assert html.index(f"/prompts/{newer_e14.id}") < html.index(f"/prompts/{older_e14.id}")
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)
    filtered = client.get("/prompts/?rule=E4").get_data(as_text=True)
    assert f'href="/prompts/{prompts_of(child, "E4")[0].id}"' in filtered
    assert f"/prompts/{older_e14.id}" not in filtered


def test_staff_never_see_prompts(client):
    school, teacher, dsl, child = setup()
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)
    [e4] = prompts_of(child, "E4")
    login(client, teacher.email)
    assert client.get("/prompts/").status_code == 403
    assert client.get(f"/prompts/{e4.id}").status_code == 403
    token = csrf_from(client.get("/observations/new").get_data(as_text=True))
    assert client.post(f"/prompts/{e4.id}/dismiss", data={"reason": "x", "csrf_token": token}).status_code == 403
    assert client.get("/prompts/settings").status_code == 403
    home = client.get("/observations/new").get_data(as_text=True)
    assert "/prompts/" not in home
    assert prompts_of(child, "E4")[0].status == "open"


def test_another_schools_dsl_gets_404(client):
    school, teacher, dsl, child = setup()
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)
    [e4] = prompts_of(child, "E4")
    outsider = make_user(make_school("Elm Academy"), "dsl")
    login(client, outsider.email)
    assert client.get(f"/prompts/{e4.id}").status_code == 404
    token = csrf_from(client.get("/prompts/").get_data(as_text=True))
    assert client.post(f"/prompts/{e4.id}/acknowledge", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/prompts/{e4.id}/dismiss", data={"reason": "No.", "csrf_token": token}).status_code == 404
    assert f'href="/prompts/{e4.id}"' not in client.get("/prompts/").get_data(as_text=True)
    assert prompts_of(child, "E4")[0].status == "open"


def test_admin_changes_a_threshold_and_switches_a_rule_off_audited(client):
    school, teacher, dsl, child = setup()
    admin = make_user(school, "admin")
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)
    login(client, admin.email)
    page = client.get("/prompts/settings")
    assert page.status_code == 200
    form = {f"{r}-{k}": v for r, k, v in _current_fields(page.get_data(as_text=True))}
    form["enabled"] = [f"E{n}" for n in range(1, 20) if n != 4]  # E4 off (v2: the rules are E1 to E19)
    form["E1-short_window_days"] = "20"
    response = post_form(client, "/prompts/settings", form)
    assert response.status_code == 302
    rows = {r.rule: r for r in db.session.scalars(select(PromptSetting).where(PromptSetting.school_id == school.id))}
    assert rows["E4"].enabled is False
    assert json.loads(rows["E1"].overrides) == {"short_window_days": 20}
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "prompt-settings.update")))
    assert {json.loads(e.detail)["rule"] for e in events} == {"E1", "E4"}
    assert all(e.user_id == admin.id for e in events)
    e1 = json.loads(next(e.detail for e in events if '"E1"' in e.detail))
    assert e1["changes"]["short_window_days"] == {"from": 30, "to": 20}
    # The switched-off rule leaves the DSL's lists at once.
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/prompts/settings").get_data(as_text=True))})
    login(client, dsl.email)
    e4 = prompts_of(child, "E4")[0]
    assert f'href="/prompts/{e4.id}"' not in client.get("/prompts/").get_data(as_text=True)
    assert f'href="/prompts/{prompts_of(child, "E1")[0].id}"' in client.get("/prompts/").get_data(as_text=True)
    assert "Repeated signs of neglect" not in client.get(f"/children/{child.id}/chronology").get_data(as_text=True)


def _current_fields(html: str):
    import re

    for name, value in re.findall(r'name="(E\d+-[a-z_]+)" type="text"[^>]*value="([^"]*)"', html):
        rule, _, key = name.partition("-")
        yield rule, key, value


def test_invalid_threshold_is_refused_naming_the_field_and_keeping_what_was_typed(client):
    school = make_school()
    admin = make_user(school, "admin")
    login(client, admin.email)
    page = client.get("/prompts/settings").get_data(as_text=True)
    form = {f"{r}-{k}": v for r, k, v in _current_fields(page)}
    form["enabled"] = [f"E{n}" for n in range(1, 20)]
    form["E2-window_days"] = "0"
    form["E4-min_months"] = "three"
    form["E9-escalate_at"] = "-1"
    response = post_form(client, "/prompts/settings", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert "E2 window (days) must be at least 1 day" in html
    assert "E4 calendar months the same sign must appear in must be a whole number" in html
    assert "cannot be negative" in html
    assert 'href="#E4-min_months"' in html
    assert 'value="three"' in html
    assert db.session.scalar(select(func.count()).select_from(PromptSetting)) == 0
    assert "prompt-settings.update" not in actions()
    dsl_only = make_user(school, "dsl")
    client.post("/logout", data={"csrf_token": csrf_from(html)})
    login(client, dsl_only.email)
    assert client.get("/prompts/settings").status_code == 403


def test_a_referral_recorded_for_the_child_answers_the_early_help_prompt(client):
    school, teacher, dsl, child = setup()
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)
    assert prompts_of(child, "E1")[0].is_open
    # (v2) Early help now in place changes E1's advice: early help alone has not been enough.
    draft = casework.ReferralDraft(agency="early-help", agency_detail="", referred_on=TODAY, their_reference="",
                                   status="awaiting-response", outcome="", outcome_on=None, follow_up_on=None)
    casework.record_referral(child, dsl, draft, today=TODAY)
    e1 = prompts_of(child, "E1")[0]
    assert e1.is_open and "children's social care" in e1.title
    # A referral to social care awaiting its answer quietens E1.
    draft = casework.ReferralDraft(agency="social-care", agency_detail="", referred_on=TODAY, their_reference="",
                                   status="awaiting-response", outcome="", outcome_on=None, follow_up_on=None)
    casework.record_referral(child, dsl, draft, today=TODAY)
    e1 = prompts_of(child, "E1")[0]
    assert e1.firing is False and not e1.is_open  # kept, but no longer in front of the DSL
    assert "prompt.lapse" in actions()


def test_evaluating_one_child_costs_the_same_few_queries_however_big_the_school(app):
    from sqlalchemy import event

    school, teacher, dsl, child = setup()
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)

    def queries_for_one_child() -> list[str]:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            seen.append(statement)

        db.session.refresh(child)  # loading the child itself is not the evaluation's cost
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            prompt_service.reevaluate_child(child, TODAY)
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return seen

    small = queries_for_one_child()
    for n in range(15):
        other = make_child(school, f"Other{n}", "Pupil")
        for d in (30, 12, 4):
            observe(school, other, teacher, days_ago=d)
    big = queries_for_one_child()
    assert len(big) == len(small) <= 10


def test_a_concern_and_the_prompts_it_raises_are_committed_together_in_one_commit(app):
    from sqlalchemy import event

    school, teacher, dsl, child = setup()
    for d in (20, 15):
        observe(school, child, teacher, days_ago=d)
    commits: list[int] = []

    def counted(conn) -> None:  # noqa: ANN001
        commits.append(1)

    event.listen(db.engine, "commit", counted)
    try:
        observe(school, child, teacher, days_ago=3)
    finally:
        event.remove(db.engine, "commit", counted)
    assert len(commits) == 1
    assert prompts_of(child, "E1")[0].is_open
    # The concern's own event comes first in the chain, then the prompts it raised.
    last = actions()[-3:]
    assert last[0] == "observation.create" and set(last[1:]) == {"prompt.raise"}


def test_if_evaluating_the_prompts_fails_the_concern_is_still_saved_and_the_failure_logged(app, monkeypatch, caplog):
    school, teacher, dsl, child = setup()

    def broken(*args, **kwargs):
        raise RuntimeError("a rule went wrong")

    monkeypatch.setattr(prompt_service, "evaluate", broken)
    monkeypatch.setattr(app, "testing", False)  # in tests a failure is raised; in service it is logged
    before = db.session.scalar(select(func.count()).select_from(Observation))
    observation = observe(school, child, teacher, days_ago=1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Observation)) == before + 1
    assert db.session.get(Observation, observation.id).current.description.startswith("Came in hungry")
    assert prompts_of(child) == []
    assert "Pattern prompts could not be evaluated" in caplog.text
    assert "observation.create" in actions()


def test_if_the_database_fails_while_the_prompts_are_read_the_whole_write_fails_and_says_so(app, monkeypatch,
                                                                                          caplog):
    from sqlalchemy.exc import OperationalError

    school, teacher, dsl, child = setup()

    def gone(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, Exception("server closed the connection"))

    monkeypatch.setattr(prompt_service, "records_for", gone)
    monkeypatch.setattr(app, "testing", False)
    before = db.session.scalar(select(func.count()).select_from(Observation))
    # Not logged and committed as if saved: the database gave up on the transaction, so the
    # writer is told (the form keeps what was typed) instead of a concern silently lost.
    with pytest.raises(OperationalError):
        observe(school, child, teacher, days_ago=1)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Observation)) == before
    assert "Pattern prompts could not be evaluated" not in caplog.text


def test_a_correction_that_moves_a_concern_out_of_the_window_stops_it_counting(app):
    school, teacher, dsl, child = setup()
    concerns = [observe(school, child, teacher, days_ago=d) for d in (20, 15, 10)]
    assert prompts_of(child, "E1")[0].is_open
    # The first concern really happened two years ago (a mistyped year): only its current date counts.
    draft = observation_service.draft_from(concerns[0])
    moved = ObservationDraft(**{**draft.__dict__, "occurred_on": TODAY - timedelta(days=730)})
    observation_service.amend_observation(concerns[0], teacher, moved, "Wrong year typed.", today=TODAY)
    e1 = prompts_of(child, "E1")[0]
    assert e1.firing is False
    assert f"observation:{concerns[0].id}" not in e1.evidence_refs or not e1.is_open
    # ...and moving it back brings it into the window again.
    back = ObservationDraft(**{**draft.__dict__, "occurred_on": TODAY - timedelta(days=5)})
    observation_service.amend_observation(concerns[0], teacher, back, "The first date was right.", today=TODAY)
    assert prompts_of(child, "E1")[0].firing is True


def test_a_failure_in_the_callers_own_write_is_raised_as_itself_not_logged_as_a_prompt_failure(app, monkeypatch,
                                                                                                caplog):
    from sqlalchemy.exc import IntegrityError

    from chronology.models import Review

    school, teacher, dsl, child = setup()
    monkeypatch.setattr(app, "testing", False)  # prompt failures are logged, not raised, in service
    db.session.add(Review(school_id=school.id, child_id=child.id))  # no concern, decision or date: refused
    with pytest.raises(IntegrityError):
        prompt_service.reevaluate_with_change(child, TODAY)
    db.session.rollback()
    assert "Pattern prompts could not be evaluated" not in caplog.text


def test_saved_settings_apply_to_the_next_write_and_are_not_read_again_until_they_change(app):
    from sqlalchemy import event

    school, teacher, dsl, child = setup()
    admin = make_user(school, "admin")
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)
    assert prompts_of(child, "E1")[0].firing

    def settings_reads_for_one_write() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            if "FROM prompt_settings" in statement:
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            observe(school, child, teacher, days_ago=2)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    assert settings_reads_for_one_write() == 0  # never changed: the defaults, nothing to read
    everything_but_e1 = [rule for rule in RULE_IDS if rule != "E1"]
    prompt_service.update_settings(school, admin, everything_but_e1, {})
    assert settings_reads_for_one_write() == 1  # changed: read once ...
    assert prompts_of(child, "E1")[0].firing is False  # ... and applied to that very write
    assert settings_reads_for_one_write() == 0  # ... then kept
    prompt_service.update_settings(school, admin, RULE_IDS, {"E1": {"short_window_days": "20"}})
    assert settings_reads_for_one_write() == 1
    e1 = prompts_of(child, "E1")[0]
    assert e1.firing is True
    assert prompt_service.school_rules(school.id).settings.for_rule("E1").short_window_days == 20


def test_the_child_page_reads_each_prompt_by_date_with_its_next_step_and_overlaps_as_one(client):
    school, teacher, dsl, child = setup()
    days = (20, 15, 10)
    concerns = [observe(school, child, teacher, days_ago=d) for d in days]
    assert {p.rule for p in prompts_of(child)} == {"E1", "E4"}  # on the same three records
    login(client, dsl.email)
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    panel = html[html.index('id="prompts"'):html.index("</section>", html.index('id="prompts"'))]
    e1, e4 = prompts_of(child, "E1")[0], prompts_of(child, "E4")[0]
    # One prompt, E4 leading (neglect before "small worries", see domain.prompts.merge), E1's finding under it.
    assert panel.count('class="prompt"') == 1 and "(1 open, from 2 rules)" in panel
    assert 'data-rules="E4 E1"' in panel
    assert "E4: Repeated signs of neglect" in panel and "Also E1: Small worries are adding up" in panel
    assert "Child J, a girl whose weight" in panel  # E1's finding, under E4
    # What was seen names each record by its date and category, never a database id.
    for d in days:
        assert f"{(TODAY - timedelta(days=d)):%d/%m/%Y} — Hunger" in panel
    assert not any(f"Concern {c.id}" in panel for c in concerns)
    assert "<strong>Next step:</strong> Read the signs together" in panel
    assert "Talk to the parents or carers about an early help assessment" in panel  # E1's step, under it
    # Both prompts are still stored, each with its own evidence, and each still marks the chronology.
    assert set(e1.evidence_refs) == set(e4.evidence_refs) == {f"observation:{c.id}" for c in concerns}
    assert f'data-evidence-for="E1 E4"' in html
    # The prompt's own page says what was seen, why it matters and the next step, and shows E4 with it.
    page = client.get(f"/prompts/{e4.id}").get_data(as_text=True)
    for heading in ("What was seen", "Why it matters", "Next step", "Also found in these records"):
        assert f"<h2>{heading}</h2>" in page
    assert "E1: Small worries are adding up" in page
    assert f"{(TODAY - timedelta(days=20)):%d/%m/%Y} — Hunger</a>" in page


def test_prompts_on_different_records_stay_apart_and_the_dashboard_shows_overlaps_once(client):
    school, teacher, dsl, child = setup()
    for d in (20, 15, 10):
        observe(school, child, teacher, days_ago=d)
    observe(school, child, teacher, days_ago=4, categories=("self-harm",), child_voice="I want it to stop.")
    rules = {p.rule for p in prompts_of(child) if p.is_open}
    assert {"E1", "E4", "E9"} <= rules
    e1, e4, e9 = (prompts_of(child, r)[0] for r in ("E1", "E4", "E9"))
    login(client, dsl.email)
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    assert f'id="prompt-{e9.id}" data-rules="E9"' in html  # self-harm once is not about the hunger
    dashboard = client.get("/prompts/").get_data(as_text=True)
    rows = dashboard.count('class="prompt-row')
    assert rows == len(prompt_service.group_prompts(prompt_service.open_prompts_for_child(child)))
    assert f'data-prompt-id="{e9.id}"' in dashboard
    assert f'<tr class="prompt-row prompt-open" data-prompt-id="{e4.id}"' in dashboard
    assert f'<p class="prompt-also meta" data-prompt-id="{e1.id}">' in dashboard
    assert f'<tr class="prompt-row prompt-open" data-prompt-id="{e1.id}"' not in dashboard
    # Filtered to one rule, that rule's prompt heads its row, the overlapping one under it.
    filtered = client.get("/prompts/?rule=E1").get_data(as_text=True)
    assert f'<tr class="prompt-row prompt-open" data-prompt-id="{e1.id}"' in filtered
    assert f'<p class="prompt-also meta" data-prompt-id="{e4.id}">' in filtered
