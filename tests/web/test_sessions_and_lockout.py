"""Sessions end when they should, guessing passwords gets slower, and weak settings refuse to start."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from chronology import create_app
from chronology.extensions import db
from chronology.models import User, UserSession
from chronology.models.types import utcnow
from chronology.services import accounts
from config import UnsafeConfiguration
from tests.factories import PASSWORD, csrf_from, login, make_school, make_user


def _cookie(client):
    return client.get_cookie("session", domain="chronology.test").value


def _replay(client, cookie):
    client.set_cookie("session", cookie, domain="chronology.test")
    return client.get("/observations/new")


def test_each_sign_in_gets_a_fresh_server_side_session(client):
    teacher = make_user(make_school(), "staff")
    login(client, teacher.email)
    login(client, teacher.email)
    tokens = db.session.scalars(select(UserSession.token_hash).where(UserSession.user_id == teacher.id)).all()
    assert len(set(tokens)) == 2


def test_sign_out_ends_the_session_on_the_server_so_a_copied_cookie_is_useless(client):
    teacher = make_user(make_school(), "staff")
    login(client, teacher.email)
    stolen = _cookie(client)
    page = client.get("/observations/new").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert _replay(client, stolen).status_code == 302


def test_an_idle_session_ends_after_twenty_minutes(client):
    teacher = make_user(make_school(), "staff")
    login(client, teacher.email)
    assert client.get("/observations/new").status_code == 200
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=21)))
    db.session.commit()
    response = client.get("/observations/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalars(select(UserSession.ended_why)).one() == "idle"


def test_a_busy_session_still_ends_at_its_absolute_lifetime(client):
    teacher = make_user(make_school(), "staff")
    login(client, teacher.email)
    db.session.execute(update(UserSession).values(created_at=utcnow() - timedelta(hours=11)))
    db.session.commit()
    assert client.get("/observations/new").status_code == 302


def test_deactivating_or_changing_a_password_ends_every_session(client):
    school = make_school()
    teacher = make_user(school, "staff")
    login(client, teacher.email)
    cookie = _cookie(client)
    accounts.change_password(db.session.get(User, teacher.id), "a brand new long passphrase", by=None)
    assert _replay(client, cookie).status_code == 302
    login(client, teacher.email, "a brand new long passphrase")
    cookie = _cookie(client)
    admin = make_user(school, "admin")
    accounts.set_active(db.session.get(User, teacher.id), False, by=admin, school=school)
    assert _replay(client, cookie).status_code == 302
    assert set(db.session.scalars(select(UserSession.ended_why))) == {"password-changed", "deactivated"}


def test_repeated_failures_lock_the_account_with_a_growing_wait_and_the_same_message(client):
    teacher = make_user(make_school(), "staff")
    for _ in range(5):
        assert login(client, teacher.email, "wrong password entirely").status_code == 400
    user = db.session.get(User, teacher.id)
    db.session.refresh(user)
    first_wait = user.locked_until - utcnow()
    assert timedelta(seconds=50) < first_wait <= timedelta(minutes=1)
    refused = login(client, teacher.email, PASSWORD)  # even the right password waits
    assert refused.status_code == 400
    assert "The email address or password is not right." in refused.get_data(as_text=True)
    db.session.execute(update(User).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    login(client, teacher.email, "wrong again, sixth time")
    db.session.refresh(user)
    assert user.locked_until - utcnow() > timedelta(minutes=1)  # the wait doubled
    db.session.execute(update(User).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert login(client, teacher.email, PASSWORD).status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0


def test_each_address_is_rate_limited_at_sign_in(client):
    page = client.get("/login").get_data(as_text=True)
    token = csrf_from(page)
    codes = [client.post("/login", data={"email": f"nobody{n}@school.example.org", "password": "x" * 12,
                                         "csrf_token": token}).status_code for n in range(21)]
    assert codes[:20] == [400] * 20
    assert codes[20] == 429
    assert "Too many attempts" in client.post("/login", data={"csrf_token": token}).get_data(as_text=True)


def test_common_passwords_are_refused(app):
    school = make_school()
    with pytest.raises(accounts.ServiceError, match="too common"):
        accounts.create_user(school, "new@school.example.org", "New Person", ["staff"], "password1234")


def test_production_refuses_to_start_without_a_strong_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("CHRONOLOGY_INSTANCE", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(UnsafeConfiguration, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production"})
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(UnsafeConfiguration):
        create_app({"ENV_NAME": "production"})
    monkeypatch.setenv("SECRET_KEY", "4f1c9a7e2b8d6035c1e4a9f7b2d8c6e0a3f5b7d9e1c3a5f7")
    app = create_app({"ENV_NAME": "production"})
    assert app.config["SESSION_COOKIE_SECURE"] and not app.debug


def test_unknown_email_costs_the_same_password_check_as_a_wrong_password(client, monkeypatch):
    """Equal work, so equal time: an attacker cannot tell which email addresses have accounts."""
    from chronology.services import passwords

    teacher = make_user(make_school(), "staff")
    calls: list[str] = []
    real = passwords._hasher

    class CountingHasher:
        def verify(self, hash_, password):
            calls.append(hash_[:9])
            return real.verify(hash_, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    login(client, "nobody-here@school.example.org", "some long password")
    unknown = list(calls)
    calls.clear()
    login(client, teacher.email, "some long password")
    assert len(unknown) == len(calls) == 1
    assert unknown[0] == calls[0] == "$argon2id"


def test_behind_a_trusted_proxy_the_real_address_is_audited_and_limited(database_url, mailbox):
    from chronology.models import AuditEvent

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "t" * 40,
                      "TRUSTED_PROXIES": 1, "SERVER_NAME": "chronology.test"})
    with app.app_context():
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"email": "nobody@school.example.org", "password": "x" * 12,
                                    "csrf_token": csrf_from(page)},
                    headers={"X-Forwarded-For": "198.51.100.23"})
        failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login-failed")).one()
        assert failed.ip_address == "198.51.100.23"
        db.session.remove()
        db.engine.dispose()
