"""Language advice in the log-a-concern form: while writing, after a failed submit and after sending."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from chronology.extensions import db
from chronology.models import Observation
from tests.factories import csrf_from, login, make_child, make_school, make_user, post_form

URL = "/observations/language"
VAGUE = "Poor home conditions. Mum is obviously not coping."
JAY = ("The kitchen floor was covered in dog faeces and the house smelled strongly of urine. "
       "Jay said: 'I sleep on the sofa because my bed is wet.'")


def _token(client) -> str:
    return csrf_from(client.get("/observations/new").get_data(as_text=True))


def _ask(client, payload, token=None):
    return client.post(URL, json=payload, headers={"X-CSRFToken": token or _token(client)})


def _signed_in(client, role="staff"):
    school = make_school()
    user = make_user(school, role)
    login(client, user.email)
    return school, user


def _concern(child_id, **overrides):
    data = {
        "child_id": str(child_id), "child_query": "",
        "occurred_on": (date.today() - timedelta(days=1)).strftime("%d/%m/%Y"), "occurred_time": "08:50",
        "location": "Year 4 classroom", "categories": ["housing"], "source": "staff", "first_hand": "yes",
        "description": VAGUE, "child_voice": "", "action_taken": "Told the DSL.",
    }
    data.update(overrides)
    return data


def test_endpoint_finds_vague_words_and_opinion_with_exact_spans(client):
    _signed_in(client)
    response = _ask(client, {"text": VAGUE, "child_voice": ""})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    findings = response.get_json()["findings"]
    assert {"vague", "opinion"} <= {f["kind"] for f in findings}
    for f in findings:
        assert set(f) == {"kind", "start", "end", "text", "suggestion"}
        assert VAGUE[f["start"]:f["end"]] == f["text"]
    assert any(f["text"] == "obviously" for f in findings)


def test_endpoint_gives_no_advice_on_a_descriptive_record(client):
    _signed_in(client)
    response = _ask(client, {"text": JAY})
    assert response.status_code == 200
    assert response.get_json() == {"findings": []}


def test_child_voice_field_counts_as_the_childs_words(client):
    _signed_in(client)
    text = "At 09:10 in the Year 4 classroom she told me about the weekend at her dad's flat, and cried."
    without = _ask(client, {"text": text, "child_voice": ""}).get_json()["findings"]
    with_voice = _ask(client, {"text": text, "child_voice": "Dad shouted at me all weekend."}).get_json()["findings"]
    assert "no-child-voice" in {f["kind"] for f in without}
    assert "no-child-voice" not in {f["kind"] for f in with_voice}


def test_dsl_may_ask_for_advice(client):
    _signed_in(client, "dsl")
    assert _ask(client, {"text": VAGUE}).status_code == 200


def test_admin_only_user_is_refused(client):
    school, admin = _signed_in(client, "admin")
    assert client.get("/observations/new").status_code == 403
    token = csrf_from(client.get("/admin/users").get_data(as_text=True))
    response = client.post(URL, json={"text": VAGUE}, headers={"X-CSRFToken": token})
    assert response.status_code == 403
    assert "findings" not in response.get_data(as_text=True)


def test_anonymous_is_sent_to_sign_in(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(URL, json={"text": VAGUE}, headers={"X-CSRFToken": token})
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
    assert "findings" not in response.get_data(as_text=True)


def test_without_csrf_token_is_refused(client):
    _signed_in(client)
    response = client.post(URL, json={"text": VAGUE})
    assert response.status_code == 400
    assert "findings" not in response.get_data(as_text=True)


def test_bad_or_overlong_input_is_a_400_json_error_never_a_500(client):
    _signed_in(client)
    token = _token(client)
    for payload in ({"text": "x " * 10_001}, {"text": 12}, {"text": VAGUE, "child_voice": ["a"]}, ["text"]):
        response = _ask(client, payload, token)
        assert response.status_code == 400, payload
        assert "error" in response.get_json()
    response = client.post(URL, data="not json", headers={"X-CSRFToken": token, "Content-Type": "text/plain"})
    assert response.status_code == 400
    assert "error" in response.get_json()
    assert _ask(client, {"text": "a" * 20_000}, token).status_code == 200


def test_form_page_loads_the_script_and_has_a_polite_live_region(client):
    _signed_in(client)
    html = client.get("/observations/new").get_data(as_text=True)
    assert "language-advice.js" in html
    assert 'id="language-advice"' in html
    assert 'aria-live="polite"' in html
    assert 'data-language-check="/observations/language"' in html
    assert "<script>" not in html  # no inline script: the CSP forbids it


def test_submitted_page_shows_advice_and_the_record_is_kept_exactly_as_typed(client):
    school, _ = _signed_in(client)
    child = make_child(school)
    words = "  Poor home conditions.\nMum is obviously not coping.  "
    response = post_form(client, "/observations/new", _concern(child.id, description=words))
    assert response.status_code == 302, response.get_data(as_text=True)
    observation = db.session.scalars(select(Observation)).one()
    assert observation.current.description == words
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Concern recorded" in page
    assert "Advice for next time" in page
    assert "Your record is saved exactly as you wrote it." in page
    assert "Vague phrase" in page
    assert "Opinion written as fact" in page
    assert "<q>obviously</q>" in page


def test_submitted_page_shows_no_advice_for_a_descriptive_record(client):
    school, _ = _signed_in(client)
    child = make_child(school)
    response = post_form(client, "/observations/new", _concern(child.id, description=JAY))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Concern recorded" in page
    assert "Advice for next time" not in page


def test_failed_submit_shows_advice_without_javascript_and_keeps_the_words(client):
    school, _ = _signed_in(client)
    child = make_child(school)
    response = post_form(client, "/observations/new", _concern(child.id, source=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose who the information came from" in html
    assert "Advice on your words" in html
    assert "Vague phrase" in html
    assert "<q>obviously</q>" in html
    assert "Poor home conditions. Mum is obviously not coping.</textarea>" in html
    assert db.session.scalar(select(Observation)) is None


def test_advice_never_blocks_sending(client):
    school, _ = _signed_in(client)
    child = make_child(school)
    response = post_form(client, "/observations/new", _concern(child.id, description="Not himself. CIN."))
    assert response.status_code == 302
    assert db.session.scalars(select(Observation)).one().current.description == "Not himself. CIN."


def test_amend_page_loads_the_script_too(client):
    school, _ = _signed_in(client)
    child = make_child(school)
    post_form(client, "/observations/new", _concern(child.id, description=JAY))
    observation = db.session.scalars(select(Observation)).one()
    html = client.get(f"/observations/{observation.id}/amend").get_data(as_text=True)
    assert "language-advice.js" in html
    assert 'id="language-advice"' in html
