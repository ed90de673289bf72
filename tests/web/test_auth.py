"""Signing in and out, and what each role may reach."""

from __future__ import annotations

from sqlalchemy import select

from chronology.extensions import db
from chronology.models import AuditEvent, User
from tests.factories import PASSWORD, csrf_from, login, make_school, make_user


def test_sign_in_lands_each_role_where_their_work_is(client):
    school = make_school()
    for role, landing in (("staff", "/observations/new"), ("dsl", "/dsl/queue"), ("admin", "/admin/users")):
        user = make_user(school, role)
        response = login(client, user.email)
        assert response.status_code == 302
        assert client.get("/").headers["Location"].endswith(landing)


def test_unknown_email_and_wrong_password_get_the_same_answer_and_are_audited(client):
    school = make_school()
    user = make_user(school, "staff")
    wrong = login(client, user.email, "not the password at all")
    unknown = login(client, "nobody@school.example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    message = "The email address or password is not right."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert user.email in wrong.get_data(as_text=True)  # what was typed is kept
    failures = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login-failed")).all()
    assert len(failures) == 2


def test_password_is_stored_as_argon2id(app):
    user = make_user(make_school(), "staff")
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_deactivated_user_cannot_sign_in_and_loses_access(client):
    school = make_school()
    admin = make_user(school, "admin")
    teacher = make_user(school, "staff")
    login(client, teacher.email)
    assert client.get("/observations/new").status_code == 200
    teacher_session = client.get_cookie("session", domain="chronology.test")
    login(client, admin.email)
    page = client.get("/admin/users").get_data(as_text=True)
    client.post(f"/admin/users/{teacher.id}/active", data={"csrf_token": csrf_from(page), "active": "0"})
    db.session.expire_all()
    assert not db.session.get(User, teacher.id).active
    client.set_cookie("session", teacher_session.value, domain="chronology.test")
    assert client.get("/observations/new").status_code == 302  # back to sign-in
    assert login(client, teacher.email).status_code == 400


def test_sign_out_needs_a_post_with_a_token_and_ends_the_session(client):
    school = make_school()
    teacher = make_user(school, "staff")
    login(client, teacher.email)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    page = client.get("/observations/new").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert client.get("/observations/new").status_code == 302


def test_next_redirect_stays_on_this_site(client):
    school = make_school()
    teacher = make_user(school, "staff")
    for target, expected in (("/observations/mine", "/observations/mine"), ("https://evil.example/x", "/"),
                             ("//evil.example/x", "/"), ("/\\evil.example", "/")):
        with client.session_transaction() as session:
            session.clear()
        page = client.get("/login").get_data(as_text=True)
        response = client.post("/login?next=" + target,
                               data={"email": teacher.email, "password": PASSWORD, "csrf_token": csrf_from(page)})
        assert response.headers["Location"] == expected, target


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in ("/", "/observations/new", "/dsl/queue", "/children/1/chronology", "/admin/users"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_admin_creates_an_account_and_a_short_password_is_refused_keeping_the_typing(client):
    school = make_school()
    admin = make_user(school, "admin")
    login(client, admin.email)
    page = client.get("/admin/users").get_data(as_text=True)
    short = client.post("/admin/users", data={"csrf_token": csrf_from(page), "name": "Siobhán O'Neill",
                                              "email": "s.oneill@school.example.org", "roles": ["staff"],
                                              "password": "short"})
    html = short.get_data(as_text=True)
    assert short.status_code == 400 and "at least 12 characters" in html
    assert "Siobhán O&#39;Neill" in html and "s.oneill@school.example.org" in html
    ok = client.post("/admin/users", data={"csrf_token": csrf_from(page), "name": "Siobhán O'Neill",
                                           "email": "S.ONeill@school.example.org", "roles": ["staff", "dsl"],
                                           "password": "a long enough password"})
    assert ok.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "s.oneill@school.example.org")).one()
    assert user.roles_at(school.id) == {"staff", "dsl"}


def test_unknown_pages_and_bad_methods_get_a_friendly_page_not_a_stack_trace(client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    assert "Traceback" not in missing.get_data(as_text=True)


def test_pages_with_child_data_are_never_cached_and_cannot_be_framed(client):
    school = make_school()
    teacher = make_user(school, "staff")
    login(client, teacher.email)
    response = client.get("/observations/new")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
