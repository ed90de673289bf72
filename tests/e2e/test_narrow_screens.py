"""The list pages on the narrowest phones, with JavaScript on and off: nothing wider than the
screen, every link to act on a row reachable without scrolling sideways, and two children of the
same name told apart.

Each page is also checked by axe-core and photographed (see conftest.py)."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import Prompt
from chronology.services import clock, observations as observation_service
from tests.e2e.test_journeys import sign_in
from tests.factories import make_child, make_school, make_user

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("the Python package playwright is not installed (pip install -e '.[dev]')", allow_module_level=True)

# How wide the page is, and where every link in its table lies, as the browser laid them out.
LAYOUT = """(selector) => ({
  page: document.documentElement.scrollWidth,
  links: Array.from(document.querySelectorAll(selector)).map(a => {
    const box = a.getBoundingClientRect();
    return {text: a.textContent.trim(), left: box.left, right: box.right};
  })
})"""


def _concern(school, child, author, *, days_ago: int, urgent: bool = False):
    draft = ObservationDraft(
        occurred_on=clock.today() - timedelta(days=days_ago), occurred_time=None, occurred_approx=False,
        location="Year 3 classroom", categories=("hunger", "health-neglect", "emotional-wellbeing"),
        source="staff", first_hand=True, description="Asked twice for toast and ate it very quickly.",
        child_voice="", action_taken="Gave breakfast.", urgent=urgent,
    )
    return observation_service.record_observation(school, child, author, draft, today=clock.today())


def _school_with_records():
    school = make_school("St Bartholomew's Church of England Primary")
    teacher = make_user(school, "staff", name="Priya Shah-Fitzgerald")
    dsl = make_user(school, "dsl", name="Dana Lewis")
    children = [make_child(school, "Oskar", "Walsh", year_group="3", date_of_birth=date(2019, 9, 26)),
                make_child(school, "Oskar", "Walsh", year_group="5", date_of_birth=date(2017, 11, 2)),
                make_child(school, "Siobhán", "O'Neill-Nakamura", year_group="4")]
    for n, child in enumerate(children):
        _concern(school, child, teacher, days_ago=n + 1, urgent=n == 0)
    db.session.execute(Prompt.__table__.delete())  # only the prompts made below
    for child in children:
        db.session.add(Prompt(school_id=school.id, child_id=child.id, rule="E10",
                              title="Repeated concerns about hunger and the state of home over three weeks",
                              explanation="Why.", status="open", firing=True, raised_on=clock.today(),
                              evaluated_on=clock.today()))
    db.session.commit()
    return teacher, dsl


def _assert_fits(tab, width: int, links: str, expected_links: int) -> None:
    layout = tab.page.evaluate(LAYOUT, links)
    assert layout["page"] <= width, f"{tab.page.url} is {layout['page']} px wide on a {width} px screen"
    assert len(layout["links"]) == expected_links
    for link in layout["links"]:
        assert link["left"] >= 0 and link["right"] <= width, f"{link['text']!r} is off-screen: {link}"
        assert link["right"] - link["left"] > 20, f"{link['text']!r} is squeezed: {link}"


@pytest.mark.parametrize("width", [320, 390])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_list_pages_fit_a_narrow_phone_and_every_action_is_on_screen(journey, width, javascript):
    teacher, dsl = _school_with_records()
    label = f"{width}-{'js' if javascript else 'no-js'}"

    staff = journey(phone=True, width=width, javascript=javascript, label=f"teacher-{label}")
    sign_in(staff, teacher.email)
    expect(staff.page.get_by_label("Date", exact=True)).to_have_value(f"{clock.today():%d/%m/%Y}")
    staff.check("log-a-concern")
    _assert_fits(staff, width, "main a", 0)
    staff.goto("/observations/mine")
    expect(staff.page.get_by_role("heading", level=1)).to_have_text("Concerns I have logged")
    staff.check("my-records")
    _assert_fits(staff, width, "main table a", 3)
    expect(staff.page.get_by_role("link", name="Oskar Walsh, year 3, born 26/09/2019")).to_have_count(1)

    lead = journey(phone=True, width=width, javascript=javascript, label=f"dsl-{label}")
    sign_in(lead, dsl.email, second_factor=True)  # a DSL starts on the queue
    expect(lead.page.get_by_role("heading", level=1)).to_have_text("Concerns to review")
    lead.check("queue")
    _assert_fits(lead, width, "main table a", 3)
    assert lead.page.get_by_role("link", name="Review the concern about Siobhán O'Neill-Nakamura").is_visible()
    # The two Oskar Walshes are told apart, wherever their names are listed.
    for told_apart in ("Oskar Walsh, year 3, born 26/09/2019", "Oskar Walsh, year 5, born 02/11/2017"):
        expect(lead.page.get_by_role("link", name=f"Review the concern about {told_apart}")).to_have_count(1)

    lead.goto("/prompts/")
    expect(lead.page.get_by_role("heading", level=1)).to_have_text("Pattern prompts")
    lead.check("prompts")
    _assert_fits(lead, width, "main table a", 6)  # each prompt, and each child's chronology
    expect(lead.page.get_by_role("link", name="Oskar Walsh, year 5, born 02/11/2017")).to_have_count(1)
