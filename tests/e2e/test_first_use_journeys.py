"""What a first-time user tripped over, walked through in a real browser with JavaScript on and off:
two children of one name, and what a DSL is told after recording a decision.

Each page is checked by axe-core and photographed (see conftest.py)."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import Observation, Review
from chronology.services import clock, observations as observation_service
from tests.e2e.test_journeys import sign_in
from tests.factories import make_child, make_school, make_user

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("the Python package playwright is not installed (pip install -e '.[dev]')", allow_module_level=True)

YESTERDAY = (date.today() - timedelta(days=1)).strftime("%d/%m/%Y")
SCRIPTS = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])


def _fill_the_rest(page) -> None:
    page.get_by_label("Date", exact=True).fill(YESTERDAY)
    page.get_by_label("Where did it happen?").fill("Year 3 classroom")
    page.locator("summary", has_text="About the child").click()
    page.get_by_label(re.compile("^Hunger")).check()
    page.get_by_label("Seen or heard by me or another member of staff").check()
    page.get_by_label("Yes, I saw or heard it myself").check()
    page.get_by_label("What did you see or hear?").fill("Asked for toast twice before the bell and ate it quickly.")
    page.get_by_label("What did you do?").fill("Gave him breakfast and told the DSL.")


@SCRIPTS
def test_a_teacher_tells_two_children_of_the_same_name_apart_and_logs_the_concern_against_the_right_one(
        journey, javascript):
    school = make_school("Oakfield Primary")
    teacher = make_user(school, "staff", name="Priya Shah")
    make_child(school, "Oskar", "Walsh", year_group="3", date_of_birth=date(2019, 9, 26))
    younger = make_child(school, "Oskar", "Walsh", year_group="3", date_of_birth=date(2020, 3, 14))
    tab = journey(phone=True, javascript=javascript)
    page = tab.page
    sign_in(tab, teacher.email)
    tab.check("log-a-concern")

    if javascript:
        page.get_by_label("Which child?").press_sequentially("oskar", delay=30)
        results = page.locator("#child-results")
        expect(results.get_by_role("button")).to_have_count(2)
        expect(results).to_contain_text("Oskar Walsh, year 3, born 26/09/2019")
        tab.check("two-oskars-offered")
        results.get_by_role("button", name="Oskar Walsh, year 3, born 14/03/2020").click()
        expect(page.locator("#chosen-by-search")).to_have_text("Chosen: Oskar Walsh, year 3, born 14/03/2020")
        _fill_the_rest(page)
    else:
        page.get_by_label("Which child?").fill("Oskar Walsh")
        _fill_the_rest(page)
        page.get_by_role("button", name="Send to the DSL").click()
        expect(page.locator(".error-summary")).to_contain_text("More than one child matches that name")
        tab.check("two-oskars-to-choose")
        page.get_by_label("Oskar Walsh, year 3, born 14/03/2020").check()
        # What was typed the first time is all still there.
        expect(page.get_by_label("What did you see or hear?")).to_have_value(
            "Asked for toast twice before the bell and ate it quickly.")
    page.get_by_role("button", name="Send to the DSL").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Concern recorded")
    tab.check("concern-recorded")
    saved = db.session.scalars(select(Observation)).one()
    assert saved.child_id == younger.id


def _concern(school, child, author, description: str) -> Observation:
    draft = ObservationDraft(
        occurred_on=clock.today() - timedelta(days=1), occurred_time=None, occurred_approx=False,
        location="Playground", categories=("injury",), source="staff", first_hand=True,
        description=description, child_voice="", action_taken="Told the DSL.",
    )
    return observation_service.record_observation(school, child, author, draft, today=clock.today())


@SCRIPTS
def test_after_a_decision_the_dsl_is_told_it_was_recorded_and_a_referral_starts_with_its_agency(journey, javascript):
    school = make_school("Oakfield Primary")
    teacher = make_user(school, "staff", name="Priya Shah")
    dsl = make_user(school, "dsl", name="Dana Lewis")
    child = make_child(school, "Amara", "Okafor", year_group="5")
    _concern(school, child, teacher, "A bruise on her upper arm, about 4cm, the shape of fingers.")
    _concern(school, child, teacher, "Came in late and tired; said she stayed up with her little brother.")
    tab = journey(javascript=javascript)
    page = tab.page
    sign_in(tab, dsl.email, second_factor=True)
    tab.check("review-queue")

    page.locator("tr", has_text="Amara Okafor").first.get_by_role("link", name=re.compile("^Review")).click()
    tab.check("review-first")
    page.get_by_label("Monitor").check()
    page.get_by_label("Reason for this decision").fill("Tired, not a worry on its own; class teacher to watch.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Concerns to review")
    banner = page.get_by_role("alert").filter(has_text="Success")
    expect(banner).to_contain_text("Decision recorded for Amara Okafor:")
    tab.check("decision-recorded")

    page.get_by_role("link", name=re.compile("^Review")).first.click()
    tab.check("review-second")
    page.get_by_label("Referral to children's social care").check()
    page.get_by_label("Reason for this decision").fill("Finger-shaped bruising is a sign of physical harm.")
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Record a referral for Amara Okafor")
    expect(page.get_by_role("alert").filter(has_text="Success")).to_contain_text(
        "Decision recorded for Amara Okafor: Referral to children's social care. Now record the referral itself.")
    expect(page.get_by_label("Referred to")).to_have_value("social-care")
    tab.check("referral-with-agency")
    decisions = {r.decision for r in db.session.scalars(select(Review).where(Review.child_id == child.id))}
    assert decisions == {"monitor", "refer-social-care"}
