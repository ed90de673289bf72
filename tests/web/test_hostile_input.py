"""Hostile input through every form, the CSV import and the language endpoint: a clear answer, never a 500."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db, limiter
from chronology.models import Child, ObservationVersion
from tests.factories import csrf_from, login, make_child, make_school, make_user

HOSTILE = [
    "<script>alert('x')</script>", "\"><img src=x onerror=alert(1)>", "'; DROP TABLE observations; --",
    "1 OR 1=1", "Robert'); DELETE FROM children;--", "\x00\x01\x02\x1b[31m", "\u202eevil\u202c", "مرحبا بالعالم",
    "שלום", "=HYPERLINK(\"http://x\")", "+44 20", "-1+1", "@SUM(A1)", "\ufeffBOM", "\r\n\r\n", " ", "",
    "Zoë Siobhán O'Neill Nguyễn", "\U0001F600" * 5, "a" * 5000,
]
hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300))
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
NEVER = {500, 502, 503}


@pytest.fixture
def school_setup(app, client, monkeypatch):
    # Hypothesis signs in far faster than a person; the rate limit has its own test.
    monkeypatch.setattr(limiter, "enabled", False)
    school = make_school()
    teacher = make_user(school, "staff")
    dsl = make_user(school, ["dsl", "staff"])
    admin = make_user(school, "admin")
    child = make_child(school)
    return school, teacher, dsl, admin, child


def _post(client, page_url, post_url, data):
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    payload = dict(data)
    payload["csrf_token"] = csrf_from(page.get_data(as_text=True))
    return client.post(post_url, data=payload)


def _shown_escaped(html: str, value: str) -> None:
    if "<script>" in value or "<img" in value:
        assert "<script>alert" not in html and "<img src=x" not in html


@FAST
@given(description=hostile_text, voice=hostile_text, location=hostile_text, when=hostile_text)
def test_log_a_concern_never_fails_and_shows_everything_escaped(client, school_setup, description, voice,
                                                                location, when):
    _school, teacher, _dsl, _admin, child = school_setup
    login(client, teacher.email)
    response = _post(client, "/observations/new", "/observations/new", {
        "child_id": str(child.id), "occurred_on": when, "location": location[:300], "categories": ["hunger"],
        "source": "staff", "first_hand": "yes", "description": description, "child_voice": voice})
    assert response.status_code not in NEVER
    if response.status_code == 302:
        html = client.get(response.headers["Location"].replace("/submitted", "")).get_data(as_text=True)
        stored = db.session.scalars(select(ObservationVersion).order_by(ObservationVersion.id.desc())).first()
        assert stored.description == description  # kept exactly, however odd
    else:
        html = response.get_data(as_text=True)
    _shown_escaped(html, description + voice + location)


def test_a_one_megabyte_field_gets_a_clear_answer(client, school_setup):
    _school, teacher, _dsl, _admin, child = school_setup
    login(client, teacher.email)
    response = _post(client, "/observations/new", "/observations/new", {
        "child_id": str(child.id), "occurred_on": (date.today() - timedelta(days=1)).strftime("%d/%m/%Y"),
        "categories": ["hunger"], "source": "staff", "first_hand": "yes", "description": "x" * 1_000_000})
    assert response.status_code == 400
    assert "split it into two records" in response.get_data(as_text=True)


@FAST
@given(reason=hostile_text, day=hostile_text, reference=hostile_text)
def test_dsl_forms_never_fail(client, school_setup, reason, day, reference):
    school, teacher, dsl, _admin, child = school_setup
    login(client, dsl.email)
    for url, data in (
        (f"/children/{child.id}/referrals/new", {"agency": "other", "agency_detail": reference[:300],
                                                 "referred_on": day, "their_reference": reference[:100],
                                                 "status": "awaiting-response", "outcome": reason}),
        (f"/children/{child.id}/life-events/new", {"kind": "other", "occurred_on": day, "note": reason}),
    ):
        response = _post(client, url, url, data)
        assert response.status_code not in NEVER, url
        _shown_escaped(response.get_data(as_text=True), reason + reference)


@FAST
@given(name=hostile_text, email=hostile_text, password=hostile_text)
def test_admin_and_sign_in_forms_never_fail(client, school_setup, name, email, password):
    _school, _teacher, _dsl, admin, _child = school_setup
    login(client, admin.email)
    response = _post(client, "/admin/users", "/admin/users",
                     {"name": name[:300], "email": email[:300], "roles": ["staff"], "password": password})
    assert response.status_code not in NEVER
    _shown_escaped(response.get_data(as_text=True), name)
    with client.session_transaction() as session:
        session.clear()
    assert _post(client, "/login", "/login", {"email": email, "password": password}).status_code not in NEVER


@FAST
@given(cells=st.lists(hostile_text, min_size=3, max_size=8))
def test_pupil_import_with_hostile_cells_is_refused_or_stored_never_a_500(client, school_setup, cells):
    _school, _teacher, _dsl, admin, _child = school_setup
    login(client, admin.email)
    rows = "upn,legal_forename,legal_surname,date_of_birth,gender,year_group\r\n"
    rows += ",".join('"' + c.replace('"', '""') + '"' for c in cells[:6]) + "\r\n"
    for body in (rows.encode("utf-8"), b"\xef\xbb\xbf" + rows.encode("utf-8"), b"\xff\xfe\x00bad" + rows.encode()):
        page = client.get("/pupils/import").get_data(as_text=True)
        from io import BytesIO

        response = client.post("/pupils/import", data={"csrf_token": csrf_from(page),
                                                        "file": (BytesIO(body), "pupils.csv")},
                               content_type="multipart/form-data")
        assert response.status_code not in NEVER
        _shown_escaped(response.get_data(as_text=True), " ".join(cells))


def test_formula_looking_names_are_refused_and_never_stored(client, school_setup):
    _school, _teacher, _dsl, admin, _child = school_setup
    login(client, admin.email)
    upn = synthetic_upn(777)
    body = ("upn,legal_forename,legal_surname,date_of_birth,gender,year_group\r\n"
            f"{upn},=HYPERLINK(\"x\"),@SUM(A1),01/02/2015,F,5\r\n").encode()
    page = client.get("/pupils/import").get_data(as_text=True)
    from io import BytesIO

    response = client.post("/pupils/import", data={"csrf_token": csrf_from(page), "file": (BytesIO(body), "p.csv")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "A name cannot start with &#39;=&#39;" in html and "A name cannot start with &#39;@&#39;" in html
    assert db.session.scalar(select(Child).where(Child.upn == upn)) is None


@FAST
@given(text=hostile_text)
def test_language_endpoint_never_fails(client, school_setup, text):
    _school, teacher, _dsl, _admin, _child = school_setup
    login(client, teacher.email)
    token = csrf_from(client.get("/observations/new").get_data(as_text=True))
    response = client.post("/observations/language", json={"text": text, "child_voice": text},
                           headers={"X-CSRFToken": token})
    assert response.status_code in (200, 400)
    assert response.is_json
