"""A form sent twice writes once: a DSL's double click, or a resend after a slow answer, records one decision."""

from __future__ import annotations

import threading
from datetime import date
from http.cookiejar import CookieJar
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from chronology.extensions import db
from chronology.models import AttendancePeriod, FamilyMember, InformationShared, LifeEvent, Professional, Referral, Review
from tests.factories import (
    CSRF_RE, PASSWORD, csrf_from, login, make_child, make_school, make_user, record_concern, totp_code,
)

TODAY = date.today().strftime("%d/%m/%Y")


def _key(html: str) -> str:
    return html.split('name="submission_key" value="')[1].split('"')[0]


def _review_form(client, observation_id: int) -> dict:
    html = client.get(f"/dsl/observations/{observation_id}/review").get_data(as_text=True)
    return {"csrf_token": csrf_from(html), "submission_key": _key(html), "decision": "monitor",
            "reason": "Seen; keep an eye at breakfast club.", "decided_on": TODAY}


def _reviews() -> int:
    return db.session.scalar(select(func.count(Review.id)))


def _concern():
    school = make_school()
    dsl = make_user(school, "dsl")
    return school, dsl, record_concern(school, make_child(school), make_user(school, "staff"),
                                       occurred_on=date.today(), today=date.today())


def test_pressing_record_decision_twice_records_one_review_and_redirects_as_the_first_did(client):
    school, dsl, concern = _concern()
    login(client, dsl.email)
    form = _review_form(client, concern.id)
    url = f"/dsl/observations/{concern.id}/review"
    first = client.post(url, data=form)
    second = client.post(url, data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _reviews() == 1


def test_a_referral_decision_sent_twice_leads_both_times_to_the_referral_form(client):
    school, dsl, concern = _concern()
    login(client, dsl.email)
    form = {**_review_form(client, concern.id), "decision": "refer-social-care", "reason": "Disclosure of harm."}
    url = f"/dsl/observations/{concern.id}/review"
    first, second = client.post(url, data=form), client.post(url, data=form)
    assert "/referrals/new" in first.headers["Location"]
    assert first.headers["Location"] == second.headers["Location"]
    assert _reviews() == 1


def test_the_key_is_kept_when_the_form_comes_back_with_an_error(client):
    school, dsl, concern = _concern()
    login(client, dsl.email)
    form = _review_form(client, concern.id)
    url = f"/dsl/observations/{concern.id}/review"
    refused = client.post(url, data={**form, "reason": ""})
    assert refused.status_code == 400 and _key(refused.get_data(as_text=True)) == form["submission_key"]
    assert client.post(url, data=form).status_code == 302
    assert client.post(url, data=form).status_code == 302
    assert _reviews() == 1


def test_a_new_form_is_a_new_decision(client):
    school, dsl, concern = _concern()
    login(client, dsl.email)
    url = f"/dsl/observations/{concern.id}/review"
    assert client.post(url, data=_review_form(client, concern.id)).status_code == 302
    later = {**_review_form(client, concern.id), "decision": "speak-to-parent", "reason": "Explained at home."}
    assert client.post(url, data=later).status_code == 302
    assert _reviews() == 2


def test_another_users_key_is_not_taken_as_theirs(client):
    school, dsl, concern = _concern()
    colleague = make_user(school, "dsl")
    login(client, dsl.email)
    url = f"/dsl/observations/{concern.id}/review"
    form = _review_form(client, concern.id)
    assert client.post(url, data=form).status_code == 302
    login(client, colleague.email)
    theirs = {**_review_form(client, concern.id), "submission_key": form["submission_key"],
              "reason": "A second DSL's own decision."}
    assert client.post(url, data=theirs).status_code == 302
    authors = db.session.scalars(select(Review.created_by_id).order_by(Review.id)).all()
    assert authors == [dsl.id, colleague.id]


def _read(opener, url, data=None):
    body = urlencode(data, doseq=True).encode() if data is not None else None
    with opener.open(url, data=body, timeout=30) as response:
        return response.status, response.geturl(), response.read().decode()


def _sent_at_once(app, dsl, url: str, fields: dict) -> list:
    """The form fetched once by a signed-in DSL, then sent twice at the same moment by a real server
    answering each request on its own thread and its own database connection."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.server_port}"
    try:
        opener = build_opener(HTTPCookieProcessor(CookieJar()))
        _status, _url, page = _read(opener, base + "/login")
        _status, _url, page = _read(opener, base + "/login", {"email": dsl.email, "password": PASSWORD,
                                                              "csrf_token": CSRF_RE.search(page).group(1)})
        _read(opener, base + "/login/two-factor", {"code": totp_code(dsl.email),
                                                   "csrf_token": CSRF_RE.search(page).group(1)})
        _status, _url, html = _read(opener, base + url)
        assert 'name="submission_key"' in html, "the DSL is not signed in"
        form = {**fields, "csrf_token": CSRF_RE.search(html).group(1), "submission_key": _key(html)}
        db.session.remove()
        barrier = threading.Barrier(2)
        results: list = []

        def send() -> None:
            barrier.wait()
            status, landed, _body = _read(opener, base + url, form)
            results.append((status, landed))

        senders = [threading.Thread(target=send) for _ in range(2)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=60)
    finally:
        server.shutdown()
    return results


def test_the_same_review_sent_twice_at_the_same_moment_records_one(app):
    school, dsl, concern = _concern()
    results = _sent_at_once(app, dsl, f"/dsl/observations/{concern.id}/review",
                            {"decision": "monitor", "reason": "Seen; keep an eye at breakfast club.",
                             "decided_on": TODAY})
    assert len(results) == 2 and results[0] == results[1] and results[0][0] == 200
    assert results[0][1].endswith("/dsl/queue")
    assert _reviews() == 1


# --- the DSL's other forms about a child: each sent twice writes once, a new form writes again ---------------

CHILD_FORMS = {
    "referral": ("referrals/new", {"agency": "social-care", "kind": "", "referred_on": TODAY,
                                   "status": "awaiting-response"}, Referral),
    "life event": ("life-events/new", {"kind": "cp-plan-started", "occurred_on": TODAY, "note": "",
                                       "significant": "1"}, LifeEvent),
    "information shared": ("information-shared/new", {"shared_on": TODAY, "with_name": "A. Health Visitor",
                                                      "with_agency": "Health visiting", "method": "email",
                                                      "what": "Attendance and the hunger concerns.",
                                                      "significant": "1"}, InformationShared),
    "family member": ("family/members/new", {"name": "Sam Roe", "relationship": "mother"}, FamilyMember),
    "professional": ("family/professionals/new", {"name": "Dr A. Patel", "role": "gp"}, Professional),
    # Each new form is a different period: typing a period already held is a correction, which needs a reason.
    "attendance": ("attendance/new", {"period_start": "01/09/2025", "period_end": "31/10/2025",
                                      "possible_sessions": "80", "attended_sessions": "70"}, AttendancePeriod),
}

# What a second, genuinely new form changes where the same answers would be a correction, not a new record.
ANOTHER = {"attendance": {"period_start": "01/11/2025", "period_end": "19/12/2025"}}


def _child_form(client, url: str, fields: dict) -> dict:
    html = client.get(url).get_data(as_text=True)
    return {**fields, "csrf_token": csrf_from(html), "submission_key": _key(html)}


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("form_name", list(CHILD_FORMS))
def test_a_childs_record_sent_twice_is_written_once_and_a_new_form_writes_again(client, form_name):
    path, fields, model = CHILD_FORMS[form_name]
    school = make_school()
    dsl = make_user(school, "dsl")
    child = make_child(school)
    login(client, dsl.email)
    url = f"/children/{child.id}/{path}"
    form = _child_form(client, url, fields)
    first, second = client.post(url, data=form), client.post(url, data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(model) == 1
    again = {**fields, **ANOTHER.get(form_name, {})}
    assert client.post(url, data=_child_form(client, url, again)).status_code == 302
    assert _count(model) == 2


@pytest.mark.parametrize("form_name", list(CHILD_FORMS))
def test_a_childs_record_keeps_its_key_through_an_error(client, form_name):
    path, fields, model = CHILD_FORMS[form_name]
    school = make_school()
    dsl = make_user(school, "dsl")
    child = make_child(school)
    login(client, dsl.email)
    url = f"/children/{child.id}/{path}"
    form = _child_form(client, url, fields)
    refused = client.post(url, data={**form, next(iter(fields)): ""})
    assert refused.status_code == 400 and _key(refused.get_data(as_text=True)) == form["submission_key"]
    assert client.post(url, data=form).status_code == client.post(url, data=form).status_code == 302
    assert _count(model) == 1


@pytest.mark.parametrize("form_name", list(CHILD_FORMS))
def test_another_users_key_on_a_childs_record_is_not_taken_as_theirs(client, form_name):
    path, fields, model = CHILD_FORMS[form_name]
    school = make_school()
    dsl, colleague = make_user(school, "dsl"), make_user(school, "dsl")
    child = make_child(school)
    login(client, dsl.email)
    url = f"/children/{child.id}/{path}"
    form = _child_form(client, url, fields)
    assert client.post(url, data=form).status_code == 302
    login(client, colleague.email)
    again = {**fields, **ANOTHER.get(form_name, {})}
    assert client.post(url, data={**_child_form(client, url, again),
                                  "submission_key": form["submission_key"]}).status_code == 302
    author = model.recorded_by_id if hasattr(model, "recorded_by_id") else model.created_by_id
    assert db.session.scalars(select(author).order_by(model.id)).all() == [dsl.id, colleague.id]


@pytest.mark.parametrize("form_name", list(CHILD_FORMS))
def test_a_childs_record_sent_twice_at_the_same_moment_is_written_once(app, form_name):
    path, fields, model = CHILD_FORMS[form_name]
    school = make_school()
    dsl = make_user(school, "dsl")
    child = make_child(school)
    child_id = child.id
    results = _sent_at_once(app, dsl, f"/children/{child_id}/{path}", fields)
    assert len(results) == 2 and results[0] == results[1] and results[0][0] == 200
    assert results[0][1].split("#")[0].endswith(f"/children/{child_id}/chronology")
    assert _count(model) == 1
