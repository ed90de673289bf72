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
                                           "email": "S.ONeill@school.example.org", "roles": ["staff"],
                                           "password": "a long enough password"})
    assert ok.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "s.oneill@school.example.org")).one()
    assert user.roles_at(school.id) == {"staff"}
    assert user.must_change_password  # the administrator knows this one, so it is only for the first sign-in


def test_an_admin_cannot_make_anyone_a_dsl_nor_change_their_own_roles(client):
    school = make_school()
    admin = make_user(school, "admin")
    teacher = make_user(school, "staff")
    elsewhere = make_user(make_school(), "staff")
    login(client, admin.email)
    page = client.get("/admin/users").get_data(as_text=True)
    for email, roles, message in ((admin.email, ["dsl"], "Only a DSL can give someone the DSL role"),
                                  (admin.email, ["staff"], "You cannot change your own roles"),
                                  (teacher.email, ["dsl"], "Only a DSL can give someone the DSL role"),
                                  (elsewhere.email, ["staff"], "That email address cannot be used here.")):
        response = client.post("/admin/users", data={"csrf_token": csrf_from(page), "name": "Someone",
                                                      "email": email, "roles": roles, "password": ""})
        assert response.status_code == 400 and message in response.get_data(as_text=True), (email, roles)
        # Nothing says that the address has an account at another school.
        for telling in ("not at this school", "already used", "another school"):
            assert telling not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).roles_at(school.id) == {"admin"}
    assert db.session.get(User, teacher.id).roles_at(school.id) == {"staff"}
    assert client.get("/dsl/queue").status_code == 403


def test_someone_given_a_first_password_must_choose_their_own_before_anything_else(client):
    from chronology.services import accounts

    school = make_school()
    admin = make_user(school, "admin")
    accounts.create_user(school, "new.teacher@school.example.org", "New Teacher", ["staff"],
                         "first password from the office", by=admin)
    login(client, "new.teacher@school.example.org", "first password from the office")
    assert client.get("/observations/new").headers["Location"].endswith("/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    same = client.post("/account/password", data={"csrf_token": csrf_from(page), "current": "first password from the office",
                                                   "password": "first password from the office",
                                                   "confirm": "first password from the office"})
    assert same.status_code == 400 and "different from the one you have now" in same.get_data(as_text=True)
    wrong = client.post("/account/password", data={"csrf_token": csrf_from(page), "current": "not it at all",
                                                    "password": "my very own passphrase", "confirm": "my very own passphrase"})
    assert wrong.status_code == 400 and "present password is not right" in wrong.get_data(as_text=True)
    done = client.post("/account/password", data={"csrf_token": csrf_from(page), "current": "first password from the office",
                                                   "password": "my very own passphrase", "confirm": "my very own passphrase"})
    assert done.headers["Location"].endswith("/login")
    assert login(client, "new.teacher@school.example.org", "my very own passphrase").status_code == 302
    assert client.get("/observations/new").status_code == 200


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
