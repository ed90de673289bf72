"""DSLs and administrators sign in with a second factor; codes are single-use."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from chronology.extensions import db
from chronology.models import AuditEvent, RecoveryCode, User
from tests.factories import PASSWORD, csrf_from, give_second_factor, login, make_school, make_user


def _shown_secret(page: str) -> str:
    return re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)


def _password_step(client, email, password=PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_from(page)})


def test_first_sign_in_of_a_dsl_enrols_an_authenticator_and_shows_ten_recovery_codes(client):
    dsl = make_user(make_school(), "dsl", enrolled=False)
    response = _password_step(client, dsl.email)
    assert response.headers["Location"].endswith("/login/enrol")
    assert client.get("/dsl/queue").status_code == 302  # the password alone opens nothing
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page and "QR code" in page
    secret = _shown_secret(page)
    assert db.session.get(User, dsl.id).totp_secret is None  # stored only once a code proves it
    wrong = client.post("/login/enrol", data={"code": "000000", "csrf_token": csrf_from(page)})
    assert wrong.status_code == 400 and "That code is not right" in wrong.get_data(as_text=True)
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)})
    codes = re.findall(r"<li><code>([^<]+)</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == dsl.id)).all()
    assert len(stored) == 10 and not any(code in h for code in codes for h in stored)
    assert client.get("/dsl/queue").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "second-factor.enrolled" in actions and "login" in actions


def test_the_secret_is_encrypted_at_rest(app):
    dsl = make_user(make_school(), "dsl")
    raw = db.session.execute(db.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": dsl.id}).scalar_one()
    assert raw != db.session.get(User, dsl.id).totp_secret and raw.startswith("gAAAA")


def test_enrolled_admin_needs_the_code_and_staff_do_not(client):
    school = make_school()
    admin = make_user(school, "admin")
    response = _password_step(client, admin.email)
    assert response.headers["Location"].endswith("/login/two-factor")
    assert client.get("/admin/users").status_code == 302
    assert give_second_factor(client, admin.email).status_code == 302
    assert client.get("/admin/users").status_code == 200
    teacher = make_user(school, "staff")
    with client.session_transaction() as session:
        session.clear()
    assert _password_step(client, teacher.email).headers["Location"].endswith("/")


def test_a_code_cannot_be_used_twice(client):
    dsl = make_user(make_school(), "dsl")
    secret = db.session.get(User, dsl.id).totp_secret
    code = pyotp.TOTP(secret).now()
    _password_step(client, dsl.email)
    page = client.get("/login/two-factor").get_data(as_text=True)
    assert client.post("/login/two-factor", data={"code": code, "csrf_token": csrf_from(page)}).status_code == 302
    with client.session_transaction() as session:
        session.clear()
    _password_step(client, dsl.email)
    page = client.get("/login/two-factor").get_data(as_text=True)
    replay = client.post("/login/two-factor", data={"code": code, "csrf_token": csrf_from(page)})
    assert replay.status_code == 400
    assert client.get("/dsl/queue").status_code == 302


def test_a_recovery_code_works_once(client):
    dsl = make_user(make_school(), "dsl", enrolled=False)
    _password_step(client, dsl.email)
    page = client.get("/login/enrol").get_data(as_text=True)
    secret = _shown_secret(page)
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)})
    recovery = done.get_data(as_text=True).split("<li><code>")[1].split("</code>")[0]
    for expected in (302, 400):
        with client.session_transaction() as session:
            session.clear()
        _password_step(client, dsl.email)
        page = client.get("/login/two-factor").get_data(as_text=True)
        response = client.post("/login/two-factor", data={"code": recovery, "csrf_token": csrf_from(page)})
        assert response.status_code == expected


def test_the_password_step_expires_after_five_minutes(client):
    dsl = make_user(make_school(), "dsl")
    _password_step(client, dsl.email)
    with client.session_transaction() as session:
        session["pending_at"] = time.time() - 301
    assert client.get("/login/two-factor").headers["Location"].endswith("/login")


def test_step_up_confirms_the_second_factor_again(client):
    dsl = make_user(make_school(), "dsl")
    login(client, dsl.email)
    with client.session_transaction() as session:
        session["second_factor_at"] = time.time() - 3600
    response = give_second_factor(client, dsl.email, url="/login/confirm?next=/dsl/queue")
    assert response.headers["Location"].endswith("/dsl/queue")
    with client.session_transaction() as session:
        assert time.time() - session["second_factor_at"] < 5


def test_an_export_asks_for_the_second_factor_again_after_ten_minutes(client):
    from tests.factories import make_child

    school = make_school()
    dsl = make_user(school, "dsl")
    child = make_child(school)
    login(client, dsl.email)
    assert client.get(f"/children/{child.id}/export").status_code == 200  # just signed in: fresh
    with client.session_transaction() as session:
        session["second_factor_at"] = time.time() - 601
    stale = client.get(f"/children/{child.id}/export")
    assert stale.status_code == 302 and "/login/confirm" in stale.headers["Location"]
    page = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    posted = client.post(f"/children/{child.id}/export", data={"csrf_token": csrf_from(page), "kind": "full"})
    assert posted.status_code == 302 and "/login/confirm" in posted.headers["Location"]
    confirmed = give_second_factor(client, dsl.email, url=stale.headers["Location"])
    assert confirmed.headers["Location"].endswith(f"/children/{child.id}/export")
    assert client.get(f"/children/{child.id}/export").status_code == 200


def test_an_unfinished_enrolment_leaves_nothing_for_whoever_saw_it(client, app):
    dsl = make_user(make_school(), "dsl", enrolled=False)
    _password_step(client, dsl.email)
    onlooker_secret = _shown_secret(client.get("/login/enrol").get_data(as_text=True))
    other = app.test_client()
    _password_step(other, dsl.email)
    page = other.get("/login/enrol").get_data(as_text=True)
    real_secret = _shown_secret(page)
    assert real_secret != onlooker_secret
    other.post("/login/enrol", data={"code": pyotp.TOTP(real_secret).now(), "csrf_token": csrf_from(page)})
    assert db.session.get(User, dsl.id).totp_secret == real_secret


def test_wrong_codes_lock_the_account_like_wrong_passwords(client, app, monkeypatch):
    from chronology.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)
    dsl = make_user(make_school(), "dsl")
    _password_step(client, dsl.email)
    page = client.get("/login/two-factor").get_data(as_text=True)
    for _ in range(5):
        client.post("/login/two-factor", data={"code": "000000", "csrf_token": csrf_from(page)})
    right = client.post("/login/two-factor", data={"code": pyotp.TOTP(db.session.get(User, dsl.id).totp_secret).now(),
                                                   "csrf_token": csrf_from(page)})
    assert right.status_code == 400 and "Too many wrong codes" in right.get_data(as_text=True)
    assert client.get("/dsl/queue").status_code == 302


def test_a_role_that_needs_a_second_factor_never_rides_on_a_password_only_session(client):
    from chronology.services import accounts

    school = make_school()
    teacher = make_user(school, "staff")
    login(client, teacher.email)
    assert client.get("/observations/new").status_code == 200
    accounts.create_user(school, teacher.email, teacher.name, ["dsl"], "")
    assert client.get("/dsl/queue").status_code == 302  # signed out: must sign in with a second factor


def test_a_new_password_never_skips_the_second_factor(client):
    from chronology.services import accounts

    dsl = make_user(make_school(), "dsl")
    accounts.change_password(db.session.get(User, dsl.id), "a freshly chosen passphrase", by=None)
    response = _password_step(client, dsl.email, "a freshly chosen passphrase")
    assert response.headers["Location"].endswith("/login/two-factor")
    assert client.get("/dsl/queue").status_code == 302


def _sign_out_form(page: str) -> str:
    form = re.search(r'<form method="post" action="/logout" class="inline">(.*?)</form>', page, re.S)
    assert form, "the page has no sign-out form"
    assert 'name="csrf_token"' in form.group(1) and "Sign out</button>" in form.group(1)
    return form.group(1)


def test_someone_asked_to_set_up_an_authenticator_can_sign_out_instead(client):
    dsl = make_user(make_school(), "dsl", enrolled=False)
    _password_step(client, dsl.email)
    page = client.get("/login/enrol").get_data(as_text=True)
    _sign_out_form(page)
    response = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert response.headers["Location"].endswith("/login")
    assert client.get("/login/enrol").headers["Location"].endswith("/login")  # nothing is left pending


def test_someone_asked_for_their_code_can_sign_out_instead(client):
    admin = make_user(make_school(), "admin")
    _password_step(client, admin.email)
    page = client.get("/login/two-factor").get_data(as_text=True)
    _sign_out_form(page)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert client.get("/login/two-factor").headers["Location"].endswith("/login")


def test_giving_the_password_again_between_wrong_codes_never_resets_the_count_of_wrong_codes(client, app, monkeypatch):
    """Password, four wrong codes, password, four wrong codes... must lock, not go on for ever."""
    from chronology.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)
    dsl = make_user(make_school(), "dsl")
    for _ in range(3):
        _password_step(client, dsl.email)
        page = client.get("/login/two-factor").get_data(as_text=True)
        for _ in range(4):
            client.post("/login/two-factor", data={"code": "000000", "csrf_token": csrf_from(page)})
    db.session.expire_all()
    assert db.session.get(User, dsl.id).locked_until is not None
    _password_step(client, dsl.email)
    page = client.get("/login/two-factor").get_data(as_text=True)
    right = client.post("/login/two-factor", data={"code": pyotp.TOTP(db.session.get(User, dsl.id).totp_secret).now(),
                                                   "csrf_token": csrf_from(page)})
    assert right.status_code in (302, 400)
    assert client.get("/dsl/queue").status_code == 302  # not signed in
    assert "login" not in db.session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == dsl.id)).all()
