"""The rungs between figure 1's bare baseline and the app (bench/baseline_app.py) must do what they
claim, or the bench would blame the app for costs a rung skipped: the signed-in rung stores a
concern only for a live session with its CSRF token, and the audited rung also extends the audit
chain from its newest event."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bench import baseline_app
from chronology.extensions import db
from chronology.models import AuditEvent, Observation, School, User
from chronology.services import audit, sessions
from tests.factories import csrf_from, login, make_child, make_school, make_user

COOKIE_DOMAIN = "chronology.test"


@pytest.fixture
def signed_in(app, client):
    """A teacher signed in to the real app: their session cookie and the form's CSRF token."""
    school = make_school()
    teacher = make_user(school, "staff", email="teacher@rungs.example.org")
    child = make_child(school)
    login(client, teacher.email)
    token = csrf_from(client.get("/observations/new").get_data(as_text=True))
    cookie = client.get_cookie("session", domain=COOKIE_DOMAIN).value
    ids = {"school_id": school.id, "child_id": child.id, "teacher_id": teacher.id}
    db.session.remove()
    return cookie, token, ids


@pytest.fixture
def rung(database_url, monkeypatch):
    made = []

    def make(layers: str):
        monkeypatch.setenv("BENCH_DATABASE_URL", database_url)
        monkeypatch.setenv("SECRET_KEY", "test-secret-key")  # the real app's, as in the bench
        rung_app = baseline_app.create_app(layers)
        made.append(rung_app)
        return rung_app.test_client()

    yield make
    for rung_app in made:
        rung_app.extensions["bench_engine"].dispose()


def _form(ids: dict, token: str | None, key: str) -> dict:
    form = {"occurred_on": date(2026, 3, 2).strftime("%d/%m/%Y"), "categories": "hunger", "source": "staff",
            "first_hand": "yes", "location": "Dining hall", "description": "Asked for toast twice.",
            "child_voice": "", "action_taken": "Told the DSL.", "school_id": str(ids["school_id"]),
            "child_id": str(ids["child_id"]), "submission_key": key}
    if token is not None:
        form["csrf_token"] = token
    return form


def _count(model) -> int:
    db.session.rollback()  # see what the rung's own connection committed
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_signed_in_rung_stores_only_for_a_live_session_with_its_token(signed_in, rung):
    cookie, token, ids = signed_in
    client = rung("signed-in")
    client.set_cookie("session", cookie, domain="localhost")
    before = _count(Observation)

    assert client.post("/observations/new", data=_form(ids, None, "no-token")).status_code == 400
    assert client.post("/observations/new", data=_form(ids, "forged" + token, "bad-token")).status_code == 400
    assert _count(Observation) == before

    stored = client.post("/observations/new", data=_form(ids, token, "good"))
    assert stored.status_code == 302 and stored.headers["Location"].endswith("/submitted")
    assert _count(Observation) == before + 1
    written = db.session.scalars(select(Observation).where(Observation.submission_key == "good")).one()
    assert written.created_by_id == ids["teacher_id"]

    # A session ended on the server (signed out elsewhere, revoked) no longer signs anything in.
    sessions.end_all_for(db.session.get(User, ids["teacher_id"]), "revoked")
    db.session.commit()
    assert client.post("/observations/new", data=_form(ids, token, "after-revoke")).status_code == 401
    assert _count(Observation) == before + 1

    stranger = rung("signed-in").post("/observations/new", data=_form(ids, token, "no-cookie"))
    assert stranger.status_code == 400  # no session, so no CSRF token to match
    assert _count(Observation) == before + 1


def test_the_audited_rung_extends_the_chain_from_its_newest_event(signed_in, rung):
    cookie, token, ids = signed_in
    client = rung("audited")
    client.set_cookie("session", cookie, domain="localhost")
    head = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    head_id, head_hash = head.id, head.hash

    assert client.post("/observations/new", data=_form(ids, token, "audited")).status_code == 302

    db.session.rollback()
    new = db.session.scalars(select(AuditEvent).where(AuditEvent.id > head_id)).all()
    assert len(new) == 1
    event = new[0]
    assert event.id == head_id + 1 and event.prev_hash == head_hash and event.hash != head_hash
    assert event.action == "observation.create" and event.user_id == ids["teacher_id"]
    written = db.session.scalars(select(Observation).where(Observation.submission_key == "audited")).one()
    assert event.object_id == written.id and event.child_id == ids["child_id"]
    assert event.object_type == "observation" and event.detail == '{"urgent": false}'  # the app's own event
    # Hashed as the app hashes its events: the app's own check finds the chain whole.
    assert event.hash == event.computed_hash()
    assert audit.verify_chain().intact


def test_the_bare_baseline_writes_no_audit_event_and_unknown_rungs_are_refused(signed_in, rung):
    _, _, ids = signed_in
    events, concerns = _count(AuditEvent), _count(Observation)
    reply = rung("bare").post("/observations/new", data={**_form(ids, None, "bare"), "author_id": str(ids["teacher_id"])})
    assert reply.status_code == 302
    assert _count(AuditEvent) == events and _count(Observation) == concerns + 1
    with pytest.raises(ValueError, match="layers must be one of"):
        baseline_app.create_app("everything")


def test_after_the_audited_rung_the_app_still_appends_to_the_chain(app, signed_in, rung):
    """The rung takes its event's id as the app does (PostgreSQL: the table's sequence), so the app's
    next event follows it instead of colliding with it."""
    cookie, token, ids = signed_in
    client = rung("audited")
    client.set_cookie("session", cookie, domain="localhost")
    assert client.post("/observations/new", data=_form(ids, token, "rung-first")).status_code == 302
    db.session.rollback()
    rung_event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    audit.record("chronology.view", user_id=ids["teacher_id"], school_id=ids["school_id"],
                 object_type="child", object_id=ids["child_id"], child_id=ids["child_id"])
    db.session.commit()
    after = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert after.id > rung_event.id and after.prev_hash == rung_event.hash
    assert audit.verify_chain().intact


def test_the_signed_in_rung_asks_what_the_app_asks_of_a_session(signed_in, rung):
    """Not only a session row: its own user, active, not idle too long, not too old, with a role
    that may log a concern at this school."""
    from datetime import timedelta

    from chronology.models import Membership, UserSession
    from chronology.models.types import utcnow

    cookie, token, ids = signed_in
    client = rung("signed-in")
    client.set_cookie("session", cookie, domain="localhost")
    before = _count(Observation)
    live = db.session.scalars(select(UserSession).where(UserSession.user_id == ids["teacher_id"])).one()

    def refused(key: str) -> None:
        assert client.post("/observations/new", data=_form(ids, token, key)).status_code == 401, key
        assert _count(Observation) == before, key

    live.last_seen_at = utcnow() - timedelta(hours=1)  # idle for longer than the app allows
    db.session.commit()
    refused("idle")
    live.last_seen_at, live.created_at = utcnow(), utcnow() - timedelta(days=1)  # older than a school day
    db.session.commit()
    refused("too-old")
    live.created_at = utcnow()
    db.session.get(User, ids["teacher_id"]).active = False
    db.session.commit()
    refused("inactive")
    db.session.get(User, ids["teacher_id"]).active = True
    membership = db.session.scalars(select(Membership).where(Membership.user_id == ids["teacher_id"])).one()
    membership.role = "admin"  # runs the school's accounts; may not log concerns
    db.session.commit()
    refused("no-role")
    membership.role = "staff"
    db.session.commit()
    assert client.post("/observations/new", data=_form(ids, token, "allowed-again")).status_code == 302
    assert _count(Observation) == before + 1


def test_a_session_cookie_naming_another_user_signs_nobody_in(signed_in, rung, app):
    """The cookie's user must be the session's own, as the app checks."""
    cookie, token, ids = signed_in
    other = make_user(db.session.get(School, ids["school_id"]), "staff", email="other@rungs.example.org")
    db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    forged = serializer.dumps({**serializer.loads(cookie), "_user_id": str(other.id)})
    client = rung("signed-in")
    client.set_cookie("session", forged, domain="localhost")
    before = _count(Observation)
    assert client.post("/observations/new", data=_form(ids, token, "other-user")).status_code == 401
    assert _count(Observation) == before
