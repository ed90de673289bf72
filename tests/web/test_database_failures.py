"""A database failure while a DSL or teacher saves a form: a clear message, the form given back as
typed, nothing half-saved, and sending again works. Never a 500 that loses the words."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from chronology.extensions import db
from chronology.models import LifeEvent, ObservationVersion, Referral, Review
from tests.factories import csrf_from, login, make_child, make_school, make_user, record_concern

TODAY = date.today()
DAY = TODAY.strftime("%d/%m/%Y")
WORDS = "Grandmother rang: no heating at home since Friday, and the baby was crying throughout."


@contextmanager
def table_missing(database_url: str, table: str):
    """A real failure: a table is briefly not there."""
    db.session.remove()
    outside = create_engine(database_url)
    with outside.begin() as connection:
        connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_away"))
    try:
        yield
    finally:
        with outside.begin() as connection:
            connection.execute(text(f"ALTER TABLE {table}_away RENAME TO {table}"))
        outside.dispose()


def audit_log_unavailable(database_url: str):
    """Every write fails at its audit event (each write records one), while the pages themselves
    can still be read."""
    return table_missing(database_url, "audit_events")


def _forms(school, teacher, dsl, child):
    concern = record_concern(school, child, teacher, occurred_on=TODAY - timedelta(days=2),
                             today=TODAY)
    return {
        "review": (dsl, f"/dsl/observations/{concern.id}/review", f"/dsl/observations/{concern.id}/review",
                   {"decision": "monitor", "reason": WORDS, "decided_on": DAY}, Review, "a review"),
        "referral": (dsl, f"/children/{child.id}/referrals/new", f"/children/{child.id}/referrals/new",
                     {"agency": "social-care", "agency_detail": "", "referred_on": DAY,
                      "their_reference": "", "status": "awaiting-response", "outcome": WORDS, "outcome_on": "",
                      "follow_up_on": ""}, Referral, "a referral"),
        "life event": (dsl, f"/children/{child.id}/life-events/new", f"/children/{child.id}/life-events/new",
                       {"kind": "other", "occurred_on": DAY, "note": WORDS, "significant": "1"}, LifeEvent,
                       "a life event"),
        "correction": (teacher, f"/observations/{concern.id}/amend", f"/observations/{concern.id}/amend",
                       {"occurred_on": DAY, "categories": ["hunger"], "source": "staff", "first_hand": "yes",
                        "description": "Came in hungry; corrected detail of what was eaten.", "reason": WORDS},
                       ObservationVersion, "a correction"),
    }


@pytest.mark.parametrize("form", ["review", "referral", "life event", "correction"])
def test_a_database_failure_on_save_gives_the_form_back_and_sending_again_works(app, client, database_url,
                                                                                caplog, form):
    school = make_school()
    teacher, dsl, child = make_user(school, "staff"), make_user(school, "dsl"), make_child(school)
    who, page_url, post_url, data, model, what = _forms(school, teacher, dsl, child)[form]
    login(client, who.email)
    page = client.get(page_url)
    assert page.status_code == 200
    data = {**data, "csrf_token": csrf_from(page.get_data(as_text=True))}
    before = db.session.scalar(select(func.count()).select_from(model))
    with audit_log_unavailable(database_url):
        response = client.post(post_url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "We could not save this just now. Nothing you typed is lost" in html
    assert "no heating at home since Friday" in html  # the words are given back as typed
    assert f"Saving {what} failed" in caplog.text
    assert "heating" not in caplog.text  # the log names the form, never what was written
    assert db.session.scalar(select(func.count()).select_from(model)) == before  # nothing half-saved
    again = client.post(post_url, data=data)
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(model)) == before + 1


def test_when_even_the_form_cannot_be_drawn_again_the_words_are_shown_to_copy(app, client, database_url, caplog):
    """The concern's own versions cannot be read (an outage mid-request): the review form cannot be
    drawn, so the error page gives back what was typed, read-only, to copy. Never the CSRF token."""
    school = make_school()
    teacher, dsl, child = make_user(school, "staff"), make_user(school, "dsl"), make_child(school)
    concern = record_concern(school, child, teacher, occurred_on=TODAY - timedelta(days=2), today=TODAY)
    login(client, dsl.email)
    url = f"/dsl/observations/{concern.id}/review"
    token = csrf_from(client.get(url).get_data(as_text=True))
    with table_missing(database_url, "observation_versions"):
        response = client.post(url, data={"decision": "monitor", "reason": WORDS, "decided_on": DAY,
                                          "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Copy it somewhere safe" in html and "no heating at home since Friday" in html
    assert "readonly" in html and "Csrf token" not in html  # (the page's own sign-out form has one)
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_when_no_page_can_be_drawn_the_words_still_come_back(app, client, database_url):
    """Signing in itself fails (the accounts cannot be read): a page that needs nothing from the
    database gives back the concern as typed. Never the password or the token."""
    school = make_school()
    teacher, child = make_user(school, "staff"), make_child(school)
    login(client, teacher.email)
    token = csrf_from(client.get("/observations/new").get_data(as_text=True))
    child_id = child.id
    with table_missing(database_url, "users"):
        response = client.post("/observations/new", data={
            "child_id": str(child_id), "occurred_on": DAY, "categories": ["hunger"], "source": "staff",
            "first_hand": "yes", "description": WORDS, "child_voice": "Nanna's house is cold.",
            "action_taken": "", "csrf_token": token, "submission_key": "a" * 32})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "no heating at home since Friday" in html and "Nanna&#39;s house is cold." in html
    assert token not in html and "a" * 32 not in html and "Submission key" not in html
