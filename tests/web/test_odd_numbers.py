"""Ids and numbers that pass `str.isdigit()` but no database column (superscripts, Arabic-Indic
digits, numbers past an INTEGER), and JSON of the wrong shape: each is a 400 or 404, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import csrf_from, login, make_child, make_school, make_user

ODD = ["²", "٣", "99999999999999999999", "-1", "0", "1.5", "1e3", " 7"]


@pytest.fixture
def signed_in(client):
    school = make_school()
    dsl = make_user(school, ["dsl", "staff"])
    child = make_child(school)
    login(client, dsl.email)
    return client, child


@pytest.mark.parametrize("odd", ODD)
def test_odd_ids_in_paths_and_query_strings_are_not_found(signed_in, odd):
    client, child = signed_in
    for url in (f"/prompts/{odd}", f"/children/{odd}/chronology", f"/observations/{odd}",
                f"/dsl/observations/{odd}/review"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/observations/new?child={odd}").status_code == 404
    assert client.get(f"/dsl/queue?page={odd}").status_code == 200  # an odd page is the first page
    assert client.get(f"/children/{child.id}/referrals/new?observation={odd}").status_code == 200


@pytest.mark.parametrize("odd", ODD)
def test_odd_ids_in_forms_are_refused_with_the_form_kept(signed_in, odd):
    client, child = signed_in
    token = csrf_from(client.get("/observations/new").get_data(as_text=True))
    for field in ("child_id", "child_choice"):
        response = client.post("/observations/new", data={"csrf_token": token, field: odd, "child_query": "",
                                                          "description": "Kept as typed."})
        assert response.status_code == 400, (field, odd)
        assert "Kept as typed." in response.get_data(as_text=True)
    significant = client.post(f"/children/{child.id}/significant",
                              data={"csrf_token": token, "record_type": "observation", "record_id": odd})
    assert significant.status_code in (400, 404)


@pytest.mark.parametrize("body", [[1, 2], "oskar", 7, None, {"q": ["a"]}])
def test_the_type_ahead_answers_json_of_any_shape_without_failing(signed_in, body):
    client, _child = signed_in
    token = csrf_from(client.get("/observations/new").get_data(as_text=True))
    response = client.post("/observations/children/search", json=body, headers={"X-CSRFToken": token})
    assert response.status_code in (200, 400) and response.is_json


@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:x=1", "/observations/new%0a", "/%09x"])
def test_a_next_address_with_a_control_character_is_ignored_after_a_good_sign_in(client, target):
    from tests.factories import PASSWORD

    teacher = make_user(make_school(), "staff")
    page = client.get("/login").get_data(as_text=True)
    response = client.post(f"/login?next={target}", data={"email": teacher.email, "password": PASSWORD,
                                                          "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/" and "Set-Cookie: x" not in str(response.headers)


def test_another_schools_prompt_and_an_impossible_prompt_id_are_refused_and_audited(client):
    from sqlalchemy import select

    from chronology.extensions import db
    from chronology.models import AuditEvent

    intruder = make_user(make_school(), "dsl")
    login(client, intruder.email)
    assert client.get(f"/prompts/{2**40}").status_code == 404
    denials = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access-denied",
                                                          AuditEvent.user_id == intruder.id)).all()
    assert [d.object_type for d in denials] == ["prompt"] and str(2**40) in denials[0].detail


@pytest.mark.parametrize("huge", [2**40, 2**63 + 5])
def test_every_route_with_an_id_answers_an_id_past_any_column_without_a_server_error(app, client, huge):
    import re

    school = make_school()
    admin = make_user(school, ["dsl", "staff", "admin"])
    make_child(school)
    login(client, admin.email)
    token = csrf_from(client.get("/observations/new").get_data(as_text=True))
    tried = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        url = re.sub(r"<[a-z_:]+>", "x", re.sub(r"<int:[a-z_]+>", str(huge), rule.rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code < 500, (method, url, response.status_code)
            tried += 1
    assert tried > 30  # every route that takes an id, not a few


def _denials_by(user_id: int) -> list[str]:
    import json

    from sqlalchemy import select

    from chronology.extensions import db
    from chronology.models import AuditEvent

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access-denied")
                                .order_by(AuditEvent.id)).all()
    return [f"{json.loads(e.detail)['status']} {e.object_type}" for e in events if e.user_id == user_id]


def test_another_childs_referral_and_record_flag_are_refused_and_audited(client):
    from datetime import date

    from chronology.services import casework
    from chronology.services.casework import ReferralDraft

    school = make_school()
    dsl = make_user(school, "dsl")
    mine, theirs = make_child(school), make_child(school)
    referral = casework.record_referral(theirs, dsl, ReferralDraft(
        agency="social-care", agency_detail="", referred_on=date.today(), status="awaiting-response",
        their_reference="", outcome="", outcome_on=None, follow_up_on=None), today=date.today())
    login(client, dsl.email)
    assert client.get(f"/children/{mine.id}/referrals/{referral.id}").status_code == 404
    token = csrf_from(client.get(f"/children/{mine.id}/chronology").get_data(as_text=True))
    flagged = client.post(f"/children/{mine.id}/significant",
                          data={"csrf_token": token, "record_type": "referral", "record_id": str(referral.id)})
    assert flagged.status_code == 404
    assert _denials_by(dsl.id) == ["404 referral", "404 referral"]


def test_a_request_refused_for_coming_too_often_is_audited(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    codes = [client.post("/login", data={"email": f"nobody{n}@school.example.org", "password": "x" * 12,
                                         "csrf_token": token}).status_code for n in range(21)]
    assert codes[-1] == 429
    from sqlalchemy import select

    from chronology.extensions import db
    from chronology.models import AuditEvent

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access-denied")).all()
    assert any('"status": 429' in e.detail and "too-many-requests" in e.detail for e in events)
