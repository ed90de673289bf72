"""Every route, every method, six kinds of user: who gets in, who is refused, and how.

The EXPECTED table says, for each endpoint, what each user must get. A route that is not in the
table fails the test: access is denied by default, and a new route must be thought about here.

URL parameters are ids of real records of the first school, so the DSL of another school must
get 404 (never the record), and a distinctive concern text is seeded so we can check that an
administrator who is not a DSL never receives it, in any response.

Outcomes:
  ok     allowed: 200, a redirect that is not to the sign-in page, 400 (an empty form refused
         on its merits) or 409 (a prompt already acknowledged)
  open   a public page: allowed for anyone, whatever it redirects to
  login  sent to the sign-in page (anonymous, or a deactivated account's old session)
  403    refused: signed in without the role (and the refusal is audited)
  404    refused without saying the record exists (another school's record, or not theirs)
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from chronology.domain.family import AttendanceDraft, DetailsDraft, MemberDraft, ProfessionalDraft
from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import AuditEvent, Prompt, Referral, User
from chronology.services import accounts, audit, family, observations as observation_service
from tests.factories import csrf_from, login, make_child, make_school, make_user

USERS = ("anonymous", "staff", "dsl", "admin", "other_dsl", "deactivated")

CONCERN_TEXT = "Said the marmalade-7Q9 bruise came from the airing cupboard door."
CHILD_SURNAME = "Quillfeather"


def _who(*, staff: str, dsl: str, admin: str, other_dsl: str, anonymous: str = "login",
         deactivated: str = "login") -> dict[str, str]:
    return {"anonymous": anonymous, "staff": staff, "dsl": dsl, "admin": admin, "other_dsl": other_dsl,
            "deactivated": deactivated}


PUBLIC = _who(anonymous="open", staff="open", dsl="open", admin="open", other_dsl="open", deactivated="open")
SIGNED_IN = _who(staff="ok", dsl="ok", admin="ok", other_dsl="ok")
# Staff and DSLs log concerns; pages with no record in the URL work for any school's DSL.
LOGGERS = _who(staff="ok", dsl="ok", admin="403", other_dsl="ok")
# A concern the staff member wrote: theirs and their DSL's; another school's DSL gets 404.
LOGGERS_RECORD = _who(staff="ok", dsl="ok", admin="403", other_dsl="404")
DSL = _who(staff="403", dsl="ok", admin="403", other_dsl="ok")
DSL_RECORD = _who(staff="403", dsl="ok", admin="403", other_dsl="404")
ADMIN = _who(staff="403", dsl="403", admin="ok", other_dsl="403")
# A school setting both its administrator and its DSL may change (each for their own school).
ADMIN_OR_DSL = _who(staff="403", dsl="ok", admin="ok", other_dsl="ok")

EXPECTED: dict[str, dict[str, str]] = {
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    # The second-factor steps belong to someone half way through signing in; anyone else is
    # sent back to the sign-in page (or, signed in, it does nothing).
    "auth.enrol": PUBLIC,
    "auth.two_factor": PUBLIC,
    "auth.confirm": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "home.index": SIGNED_IN,
    "home.favicon": PUBLIC,
    "observations.new": LOGGERS,
    "observations.create": LOGGERS,
    "observations.search_children": LOGGERS,
    "observations.check_language": LOGGERS,
    "observations.mine": LOGGERS,
    "observations.show": LOGGERS_RECORD,
    "observations.submitted": LOGGERS_RECORD,
    "observations.amend": LOGGERS_RECORD,
    "dsl.queue": DSL,
    "dsl.review": DSL_RECORD,
    "dsl.record_review": DSL_RECORD,
    "children.index": DSL,
    "children.chronology": DSL_RECORD,
    "children.new_referral": DSL_RECORD,
    "children.edit_referral": DSL_RECORD,
    "children.new_life_event": DSL_RECORD,
    "children.new_information_shared": DSL_RECORD,
    "children.mark_significant": DSL_RECORD,
    "exports.pdf": DSL_RECORD,
    "family.new_member": DSL_RECORD,
    "family.edit_member": DSL_RECORD,
    "family.new_professional": DSL_RECORD,
    "family.edit_professional": DSL_RECORD,
    "family.edit_details": DSL_RECORD,
    "family.details_history": DSL_RECORD,
    "family.new_attendance": DSL_RECORD,
    "family.edit_attendance": DSL_RECORD,
    "family.remove": DSL_RECORD,
    "family.history": DSL_RECORD,
    "family.withhold": DSL_RECORD,
    "profile.edit": DSL,
    "school.need_levels": ADMIN_OR_DSL,
    "trends.index": DSL,
    "trends.download": DSL,
    "prompts.dashboard": DSL,
    "prompts.show": DSL_RECORD,
    "prompts.acknowledge": DSL_RECORD,
    "prompts.action": DSL_RECORD,
    "prompts.dismiss": DSL_RECORD,
    "prompts.settings": ADMIN,
    "prompts.save_settings": ADMIN,
    "admin.users": ADMIN,
    "admin.health_page": ADMIN,
    "admin.create_user": ADMIN,
    "admin.set_active": ADMIN,
    "pupils.import_form": ADMIN,
    "pupils.import_upload": ADMIN,
}

# A minimal body for the POSTs that need one to reach their access check with a valid request
# (the test is about access, not about the form succeeding).
BODIES = {
    "children.mark_significant": lambda w: {"record_type": "observation", "record_id": str(w.observation_id),
                                            "significant": "1"},
}

# Signing out ends the session, so it is run last for each user.
LAST = ("auth.logout",)


# --- signing in, with the second factor where the account needs one ------------------------------


def sign_in(client, user: User) -> None:
    """Sign in through the forms, completing a second factor (TOTP) when the account has one."""
    response = login(client, user.email)
    step = urlsplit(response.headers.get("Location", "")).path if response.status_code == 302 else ""
    if step in ("/login/enrol", "/login/two-factor"):
        import pyotp

        page = client.get(step)
        assert page.status_code == 200, f"{step} gave {page.status_code}"
        db.session.expire_all()
        fresh = db.session.get(User, user.id)
        totp = pyotp.TOTP(fresh.totp_secret)
        now = int(time.time()) // 30
        wanted = now if fresh.totp_last_step is None or fresh.totp_last_step < now else fresh.totp_last_step + 1
        response = client.post(step, data={"code": totp.at(wanted * 30),
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
        assert response.status_code in (200, 302), f"second factor for {user.email}: {response.status_code}"
    elif response.status_code != 302:
        raise AssertionError(f"{user.email} could not sign in: {response.status_code}")
    home = client.get("/")
    assert not _to_login(home), f"{user.email} is not signed in"


def _to_login(response) -> bool:
    return response.status_code in (301, 302, 303) and urlsplit(response.headers.get("Location", "")).path == "/login"


def csrf_token(client) -> str:
    """A valid CSRF token for this client's session, from a page the user can see."""
    for page in ("/login", "/observations/mine", "/dsl/queue", "/admin/users", "/"):
        response = client.get(page)
        if response.status_code == 200 and 'name="csrf_token"' in response.get_data(as_text=True):
            return csrf_from(response.get_data(as_text=True))
    raise AssertionError("no page with a CSRF token for this user")


# --- the world the routes are walked in ----------------------------------------------------------


class World:
    pass


def build_world(app, client_factory) -> World:
    w = World()
    today = date.today()
    school = make_school("Oakfield Primary")
    elsewhere = make_school("Elm Street Primary")
    users = {
        "staff": make_user(school, "staff"),
        "dsl": make_user(school, "dsl"),
        "admin": make_user(school, "admin"),
        "other_dsl": make_user(elsewhere, "dsl"),
        "deactivated": make_user(school, ["dsl", "staff"]),
    }
    w.target_user_id = make_user(school, "staff").id  # for admin.set_active: nobody the test signs in as
    child = make_child(school, forename="Ottilie", surname=CHILD_SURNAME)
    make_child(elsewhere, forename="Other", surname="Pupil")
    draft = ObservationDraft(
        occurred_on=today - timedelta(days=2), occurred_time=None, occurred_approx=False, location="Playground",
        categories=("hunger",), source="staff", first_hand=True, description=CONCERN_TEXT,
        child_voice="It was the door.", action_taken="Told the DSL at once.", urgent=False,
    )
    observation = observation_service.record_observation(school, child, users["staff"], draft, today=today)
    referral = Referral(school_id=school.id, child_id=child.id, observation_id=observation.id, agency="social-care",
                        referred_on=today - timedelta(days=1), created_by_id=users["dsl"].id)
    db.session.add(referral)
    db.session.commit()
    prompt = db.session.scalar(select(Prompt).where(Prompt.child_id == child.id))
    if prompt is None:
        prompt = Prompt(school_id=school.id, child_id=child.id, rule="E1", title="A pattern to look at",
                        explanation="Seeded for the authorization test.", evidence=f"observation:{observation.id}",
                        raised_on=today, evaluated_on=today)
        db.session.add(prompt)
        db.session.commit()
    member = family.save_member(child, users["dsl"], MemberDraft(name="Dana Quillfeather", relationship="mother"),
                                today=today)
    professional = family.save_professional(child, users["dsl"], ProfessionalDraft(name="Dr Ada Field", role="gp"))
    family.save_details(child, users["dsl"], DetailsDraft(first_language="Welsh"))
    period = family.record_attendance(child, users["dsl"], AttendanceDraft(date(2025, 9, 1), date(2025, 12, 19),
                                                                           140, 130))
    w.params = {"child_id": child.id, "observation_id": observation.id, "referral_id": referral.id,
                "prompt_id": prompt.id, "user_id": w.target_user_id, "member_id": member.id,
                "professional_id": professional.id, "period_id": period.id,
                # family.remove and family.history name a kind; family.withhold a record type
                "kind": "members", "record_id": member.id, "record_type": "family-member"}
    w.observation_id = observation.id

    w.clients = {name: client_factory() for name in USERS}
    for name, user in users.items():
        sign_in(w.clients[name], user)
    # A deactivated account keeps the browser's old session, which must now open nothing.
    accounts.set_active(users["deactivated"], False, by=users["admin"], school=school)
    w.users = users
    return w


def route_cases(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in LAST, r.rule)):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def outcome_of(response) -> str:
    status = response.status_code
    if _to_login(response):
        return "login"
    if status in (403, 404):
        return str(status)
    if status in (200, 302, 303, 400, 409):
        return "ok"
    return f"unexpected {status}"


@pytest.fixture
def no_rate_limit(app, monkeypatch):
    """The walk signs in and posts far more often than a person could; the limits are tested elsewhere."""
    from chronology import extensions

    limiter = getattr(extensions, "limiter", None)
    if limiter is not None:
        monkeypatch.setattr(limiter, "enabled", False)


def test_every_route_has_an_entry_in_the_matrix(app):
    missing = sorted({rule.endpoint for rule, _m in route_cases(app)} - set(EXPECTED))
    assert not missing, f"routes with no entry in EXPECTED (deny by default: add them): {missing}"
    stale = sorted(set(EXPECTED) - {rule.endpoint for rule in app.url_map.iter_rules()})
    assert not stale, f"EXPECTED names routes that no longer exist: {stale}"


def test_authorization_matrix(app, no_rate_limit):
    world = build_world(app, app.test_client)
    missing = sorted({rule.endpoint for rule, _m in route_cases(app)} - set(EXPECTED))
    assert not missing, f"routes with no entry in EXPECTED (deny by default: add them): {missing}"

    failures: list[str] = []
    seen_by: set[str] = set()
    tokens = {name: csrf_token(client) for name, client in world.clients.items()}
    for name in USERS:
        client = world.clients[name]
        user = world.users.get(name)
        for rule, method in route_cases(app):
            expected = EXPECTED[rule.endpoint][name]
            unknown = set(rule.arguments) - set(world.params)
            assert not unknown, f"{rule.rule}: no test record for {sorted(unknown)}; add one to build_world"
            _domain, path = rule.build({k: world.params[k] for k in rule.arguments}, append_unknown=False)
            denied_before = _denials()
            if method == "POST":
                body = {**BODIES.get(rule.endpoint, lambda w: {})(world), "csrf_token": tokens[name]}
                response = client.post(path, data=body, headers={"X-CSRFToken": tokens[name]})
            else:
                response = client.open(path, method=method)
            got = outcome_of(response)
            where = f"{method} {path} as {name}"
            if got != expected and not (expected == "open" and got in ("ok", "login")):
                failures.append(f"{where}: expected {expected}, got {got} ({response.status_code})")
            body_text = response.get_data(as_text=True)
            response.close()  # a file sent from disk (the icon) keeps it open until then
            if CONCERN_TEXT in body_text:
                seen_by.add(name)
            if name != "staff" and name != "dsl" and CONCERN_TEXT in body_text:
                failures.append(f"{where}: the concern text was in the response")
            if name in ("other_dsl", "anonymous", "deactivated") and CHILD_SURNAME in body_text:
                failures.append(f"{where}: the other school's child was named in the response")
            if got == "403" and user is not None and _denials() != denied_before + 1:
                failures.append(f"{where}: the 403 was not audited as access-denied")
    assert not failures, "\n".join(failures)
    # The checks above mean something only if the text does reach those allowed to read it.
    assert {"staff", "dsl"} <= seen_by
    # Everything the walk did, allowed or refused, is on one unbroken audit chain.
    assert audit.verify_chain().intact


def _denials() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "access-denied"))


def test_an_admin_following_every_redirect_never_receives_concern_text(app, no_rate_limit):
    """Even where a page sends the administrator on elsewhere, no concern text arrives."""
    world = build_world(app, app.test_client)
    school_admin = world.users["admin"]
    client = world.clients["admin"]
    for path in ("/admin/users", "/pupils/import", "/prompts/settings", "/", f"/observations/{world.observation_id}",
                 f"/children/{world.params['child_id']}/chronology"):
        response = client.get(path, follow_redirects=True)
        assert CONCERN_TEXT not in response.get_data(as_text=True), path
    assert "dsl" not in school_admin.roles_at(school_admin.school_ids()[0])
