"""Nothing a teacher writes is lost: to a timed-out session, a double click, a database error or a colleague."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from http.cookiejar import CookieJar
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

from sqlalchemy import create_engine, func, select, text, update
from werkzeug.serving import make_server

from chronology.extensions import db
from chronology.models import Observation, SavedDraft, UserSession
from chronology.models.types import utcnow
from tests.factories import CSRF_RE, PASSWORD, csrf_from, login, make_child, make_school, make_user

YESTERDAY = (date.today() - timedelta(days=1)).strftime("%d/%m/%Y")


def _form(child_id, token, key, description="Asked for toast twice and ate it quickly before the bell."):
    return {"csrf_token": token, "submission_key": key, "child_id": str(child_id), "occurred_on": YESTERDAY,
            "categories": ["hunger"], "source": "staff", "first_hand": "yes", "description": description,
            "child_voice": "I didn't have tea.", "action_taken": "Gave breakfast."}


def _page_and_key(client):
    html = client.get("/observations/new").get_data(as_text=True)
    key = html.split('name="submission_key" value="')[1].split('"')[0]
    return csrf_from(html), key


def test_words_typed_when_the_session_times_out_are_back_after_signing_in(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school, "Siobhán", "O'Neill")
    login(client, teacher.email)
    token, key = _page_and_key(client)
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=45)))
    db.session.commit()
    words = "Long account typed slowly on a phone, with a bruise 3cm across on her left cheek."
    response = client.post("/observations/new", data=_form(child.id, token, key, description=words))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count(Observation.id))) == 0
    stored = db.session.scalars(select(SavedDraft.content)).one()
    raw = db.session.execute(text("SELECT content FROM saved_drafts")).scalar_one()
    assert "bruise" in stored and "bruise" not in raw  # encrypted at rest
    page = client.get("/login").get_data(as_text=True)
    back = client.post("/login?next=/observations/new", data={"email": teacher.email, "password": PASSWORD,
                                                               "csrf_token": csrf_from(page)})
    form = client.get(back.headers["Location"]).get_data(as_text=True)
    assert words in form and "I didn&#39;t have tea." in form and "Siobhán O&#39;Neill" in form
    assert "Here is what you were writing" in form
    assert words in client.get("/observations/new").get_data(as_text=True)  # reading it changes nothing
    token, key = _page_and_key(client)
    assert client.post("/observations/new", data=_form(child.id, token, key, description=words)).status_code == 302
    assert words not in client.get("/observations/new").get_data(as_text=True)  # sent, so done with


def test_pressing_send_twice_records_one_observation(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school)
    login(client, teacher.email)
    token, key = _page_and_key(client)
    first = client.post("/observations/new", data=_form(child.id, token, key))
    second = client.post("/observations/new", data=_form(child.id, token, key))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count(Observation.id))) == 1


def test_a_database_error_on_send_shows_a_clear_message_and_keeps_the_form(app, client, database_url, caplog):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school)
    login(client, teacher.email)
    token, key = _page_and_key(client)
    child_id = child.id
    db.session.remove()
    outside = create_engine(database_url)
    with outside.begin() as connection:  # a real failure: the table is briefly not there
        connection.execute(text("ALTER TABLE observation_versions RENAME TO observation_versions_away"))
    try:
        response = client.post("/observations/new", data=_form(child_id, token, key,
                                                               description="Words that must survive an outage."))
    finally:
        with outside.begin() as connection:
            connection.execute(text("ALTER TABLE observation_versions_away RENAME TO observation_versions"))
        outside.dispose()
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "We could not save this just now. Nothing you typed is lost" in html
    assert "Words that must survive an outage." in html and "I didn&#39;t have tea." in html
    assert "Saving an observation failed" in caplog.text
    assert "survive an outage" not in caplog.text and "have tea" not in caplog.text  # no child data in logs
    again = client.post("/observations/new", data=_form(child_id, token, key,
                                                        description="Words that must survive an outage."))
    assert again.status_code == 302
    assert db.session.scalar(select(func.count(Observation.id))) == 1


def _browser(base):
    jar = CookieJar()
    opener = build_opener(HTTPCookieProcessor(jar))
    return opener


def _read(opener, url, data=None):
    body = urlencode(data, doseq=True).encode() if data is not None else None
    with opener.open(url, data=body, timeout=30) as response:
        return response.status, response.read().decode()


def test_two_staff_logging_about_the_same_child_at_the_same_moment_both_succeed(app):
    school = make_school()
    child = make_child(school)
    teachers = [make_user(school, "staff") for _ in range(2)]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.server_port}"
    try:
        ready = []
        for teacher in teachers:
            opener = _browser(base)
            _status, page = _read(opener, base + "/login")
            _read(opener, base + "/login", {"email": teacher.email, "password": PASSWORD,
                                            "csrf_token": CSRF_RE.search(page).group(1)})
            _status, form = _read(opener, base + "/observations/new")
            key = form.split('name="submission_key" value="')[1].split('"')[0]
            ready.append((opener, _form(child.id, CSRF_RE.search(form).group(1), key,
                                        description=f"Written by {teacher.name} at the same moment as a colleague.")))
        barrier = threading.Barrier(len(ready))
        results: list = []

        def send(opener, data):
            barrier.wait()
            results.append(_read(opener, base + "/observations/new", data)[0])

        workers = [threading.Thread(target=send, args=pair) for pair in ready]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        server.shutdown()
    assert results == [200, 200]  # both followed the redirect to their confirmation page
    db.session.remove()
    descriptions = db.session.scalars(select(Observation).where(Observation.child_id == child.id)).all()
    assert len(descriptions) == 2


def test_a_signed_out_or_revoked_cookie_cannot_plant_words_in_someones_form(client):
    from chronology.services import accounts

    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school)
    login(client, teacher.email)
    token, key = _page_and_key(client)
    stolen = client.get_cookie("session", domain="chronology.test").value
    accounts.change_password(db.session.get(type(teacher), teacher.id), "a different long passphrase", by=None)
    client.set_cookie("session", stolen, domain="chronology.test")
    response = client.post("/observations/new", data=_form(child.id, token, key, description="PLANTED BY SOMEONE"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count(SavedDraft.id))) == 0
