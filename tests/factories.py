"""Small factories for synthetic test data. Every name here is made up."""

from __future__ import annotations

import re
from datetime import date
from itertools import count

import pyotp
from sqlalchemy import select

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import Child, School, User
from chronology.models.types import utcnow
from chronology.services import accounts

PASSWORD = "correct horse battery staple"
_serial = count(1)


def make_school(name: str = "Oakfield Primary", urn: str | None = None) -> School:
    n = next(_serial)
    return accounts.create_school(name, urn or f"{100000 + n}")


def make_user(school: School, role: str | list[str] = "staff", email: str | None = None,
              name: str | None = None, password: str = PASSWORD, enrolled: bool = True) -> User:
    roles = [role] if isinstance(role, str) else role
    n = next(_serial)
    user = accounts.create_user(school, email or f"{'-'.join(roles)}{n}@school.example.org",
                                name or f"Test {' '.join(roles).title()} {n}", roles, password)
    if enrolled and user.needs_second_factor and user.totp_enrolled_at is None:
        # As if they had already set up an authenticator app on their first sign-in.
        user.totp_secret = pyotp.random_base32()
        user.totp_enrolled_at = utcnow()
        db.session.commit()
    return user


def make_child(school: School, forename: str = "Zoë", surname: str = "Nguyễn", **extra) -> Child:
    n = next(_serial)
    child = Child(
        school_id=school.id, upn=extra.pop("upn", synthetic_upn(n)), legal_forename=forename,
        legal_surname=surname, date_of_birth=extra.pop("date_of_birth", date(2015, 5, 4)),
        gender=extra.pop("gender", "female"), year_group=extra.pop("year_group", "5"), **extra,
    )
    child.refresh_search_key()
    db.session.add(child)
    db.session.commit()
    return child


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    """Sign in as a person would, through the form; whoever was signed in before is signed out."""
    page = client.get("/login")
    if page.status_code == 302:
        with client.session_transaction() as session:
            session.clear()
        page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    if response.status_code == 302 and response.headers["Location"].endswith("/login/two-factor"):
        response = give_second_factor(client, email)
    return response


def totp_code(email: str) -> str:
    """The code the person's authenticator app would show now. Tests sign in many times a minute,
    so the record of the last code used is cleared first; the product itself refuses a reused code."""
    user = db.session.scalars(select(User).where(User.email == email.lower())).one()
    user.totp_last_step = None
    db.session.commit()
    return pyotp.TOTP(user.totp_secret).now()


def give_second_factor(client, email: str, url: str = "/login/two-factor"):
    page = client.get(url)
    return client.post(url, data={"code": totp_code(email), "csrf_token": csrf_from(page.get_data(as_text=True))})


def post_form(client, url: str, data: dict, *, form_url: str | None = None):
    """Fetch the form page for its CSRF token, then post to it, as a browser would."""
    page = client.get(form_url or url)
    assert page.status_code == 200, f"{form_url or url} gave {page.status_code}"
    payload = dict(data)
    payload["csrf_token"] = csrf_from(page.get_data(as_text=True))
    return client.post(url, data=payload)


def record_concern(school: School, child: Child, author: User, *, occurred_on: date = date(2026, 3, 2),
                   today: date = date(2026, 3, 3)):
    """A plain concern about hunger, written through the service as a teacher would."""
    from chronology.domain.observation_rules import ObservationDraft
    from chronology.services import observations

    draft = ObservationDraft(occurred_on=occurred_on, occurred_time=None, occurred_approx=False,
                             location="Classroom", categories=("hunger",), source="staff", first_hand=True,
                             description="Came in hungry and asked for toast twice.", child_voice="",
                             action_taken="Told the DSL.")
    return observations.record_observation(school, child, author, draft, today=today)

