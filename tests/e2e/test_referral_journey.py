"""A DSL on a phone makes a child referral-ready: the family, a professional, a referral with its
consent answers, and the referral PDF. Every page is checked by axe-core (see conftest.py)."""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import FamilyMember, Professional, Referral
from chronology.services import accounts, casework, clock, observations
from tests.factories import make_child, make_school, make_user

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("the Python package playwright is not installed (pip install -e '.[dev]')", allow_module_level=True)

from tests.e2e.test_journeys import sign_in  # noqa: E402  (after the skip, which needs playwright)

TODAY = date.today().strftime("%d/%m/%Y")


def test_a_dsl_on_a_phone_adds_the_family_refers_with_consent_and_exports_the_referral(journey):
    school = make_school("Oakfield Primary")
    teacher = make_user(school, "staff", name="Priya Shah")
    dsl = make_user(school, "dsl", name="Dana Lewis")
    accounts.set_profile(dsl, job_title="Designated safeguarding lead", phone="0113 496 0001",
                         secure_email="dsl@oakfield.sch.example")
    child = make_child(school, "Amara", "Okafor", year_group="5")
    for days_ago in (9, 2):
        draft = ObservationDraft(
            occurred_on=clock.today() - timedelta(days=days_ago), occurred_time=None, occurred_approx=False,
            location="Year 5 classroom", categories=("hunger",), source="staff", first_hand=True,
            description="Asked for toast twice before the bell and ate it very quickly.",
            child_voice="There was no tea again.", action_taken="Gave breakfast and told the DSL.")
        concern = observations.record_observation(school, child, teacher, draft, today=clock.today())
        casework.mark_significant(child, dsl, "observation", concern.id, True)
    tab = journey(phone=True)
    page = tab.page
    sign_in(tab, dsl.email, second_factor=True)
    tab.check("queue")
    tab.goto(f"/children/{child.id}/chronology")
    expect(page.get_by_role("heading", name="Family and professionals")).to_be_visible()
    tab.check("chronology-family-empty")

    # A household member, first forgetting the relationship: the error keeps what was typed.
    page.get_by_role("link", name="Add a family or household member").click()
    tab.check("member-form")
    page.get_by_label("Name", exact=True).fill("Grace Okafor")
    page.get_by_label("Date of birth (if known)").fill("04/05/1990")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary")).to_contain_text("Say who they are to the child")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Grace Okafor")
    tab.check("member-form-error")
    page.get_by_label("Relationship to the child").fill("Mother")
    page.locator("#lives_with_child").get_by_label("Yes").check()
    page.locator("#parental_responsibility").get_by_label("Yes").check()
    page.get_by_label("Phone (optional)").fill("0113 496 0123")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#household")).to_contain_text("Grace Okafor")
    tab.check("chronology-with-mother")

    page.get_by_role("link", name="Add a professional").click()
    tab.check("professional-form")
    page.get_by_label("Name", exact=True).fill("Dr Ada Field")
    page.get_by_label("Role", exact=True).select_option("gp")
    page.get_by_label("Agency or practice (optional)").fill("Elm Street Surgery")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#professionals")).to_contain_text("Dr Ada Field")
    tab.check("chronology-with-gp")

    # A referral made by phone, with its consent answers.
    page.get_by_role("link", name="Record a referral").first.click()
    tab.check("referral-form")
    page.get_by_label("Referred to").select_option("social-care")
    page.get_by_label("Date of referral").fill(TODAY)
    page.get_by_label("Made by phone").check()
    page.get_by_label("Status").select_option("awaiting-response")
    page.locator("#parents_told").get_by_label("Yes").check()
    page.get_by_label("Consent to share was given").check()
    page.get_by_label("If consent was given: who gave it").fill("Grace Okafor, the mother")
    page.get_by_label("The child's views on the concerns and on the referral (optional)").fill(
        "Amara said she wants there to be food at home and is happy for school to ask for help.")
    page.get_by_label(re.compile("^Level of need")).select_option("Level 3")
    page.get_by_role("button", name="Save referral").click()
    expect(page.get_by_text("Referral recorded.")).to_be_visible()
    tab.check("chronology-after-referral")
    referral = db.session.scalars(select(Referral).where(Referral.child_id == child.id)).one()
    assert referral.by_phone and referral.consent == "given" and referral.level_of_need == "Level 3"

    # The home page says the phone referral must be confirmed in writing.
    tab.goto("/")
    deadlines = page.locator("#confirm-in-writing")
    expect(deadlines).to_contain_text("Amara Okafor")
    expect(deadlines).to_contain_text("Confirm in writing by")
    tab.check("home-with-deadline")
    deadlines.get_by_role("link", name="Export the written referral for Amara Okafor").click()
    tab.check("export-page")
    page.get_by_label(re.compile("^Referral:")).check()
    page.get_by_label("Why are you worried about this child?").fill(
        "Amara has come to school hungry on several mornings and says there is no food at home.")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PDF").click()
    pdf = download_info.value.path().read_bytes()
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    for words in ("Grace Okafor", "Dr Ada Field", "Grace Okafor, the mother", "Level 3", "0113 496 0001"):
        assert words in text, words
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).confirmed_in_writing_at is not None
    tab.goto("/")
    expect(page.locator("#confirm-in-writing")).to_have_count(0)
    tab.check("home-after-export")
    assert db.session.scalars(select(FamilyMember).where(FamilyMember.child_id == child.id)).one().source == ""
    assert db.session.scalars(select(Professional).where(Professional.child_id == child.id)).one().name == "Dr Ada Field"
