"""One day's records, on the chronology page and in the PDF: the concern first, then the DSL's answer."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from pypdf import PdfReader

from chronology.domain.observation_rules import ObservationDraft
from chronology.services import casework
from chronology.services import observations as observation_service
from tests.factories import login, make_child, make_school, make_user, post_form

TODAY = date.today()
DAY = TODAY - timedelta(days=3)
pytestmark = pytest.mark.filterwarnings("ignore:.*PluginImportFixer.*:ImportWarning")


def _urgent_concern_answered_the_same_day():
    school = make_school()
    teacher, dsl, child = make_user(school, "staff"), make_user(school, "dsl"), make_child(school)
    draft = ObservationDraft(
        occurred_on=DAY, occurred_time=time(8, 50), occurred_approx=False, location="Playground",
        categories=("injury", "disclosure"), source="child", first_hand=True, urgent=True,
        description="Bruise on the left cheek, about 3cm, purple. Said it hurt when touched.",
        child_voice="Dad hit me with his shoe.", action_taken="Took Jay to the DSL at once.")
    concern = observation_service.record_observation(school, child, teacher, draft, today=TODAY)
    casework.record_review(concern, dsl, "refer-social-care", "Disclosure of an injury by a parent.", DAY,
                           today=TODAY)
    casework.record_referral(child, dsl, casework.ReferralDraft(
        agency="social-care", agency_detail="", referred_on=DAY, their_reference="CSC-881", status="accepted",
        outcome="", outcome_on=None, follow_up_on=None, observation_id=concern.id), today=TODAY)
    return school, dsl, child, concern


def test_the_chronology_page_lists_the_0850_concern_before_the_decision_and_referral_that_answered_it(client):
    _school, dsl, child, concern = _urgent_concern_answered_the_same_day()
    login(client, dsl.email)
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    concern_at = html.index(f'id="observation-{concern.id}"')
    assert concern_at < html.index('id="review-') < html.index('id="referral-')


def test_the_pdf_lists_the_0850_concern_before_the_referral_that_answered_it(client):
    _school, dsl, child, _concern = _urgent_concern_answered_the_same_day()
    login(client, dsl.email)
    response = post_form(client, f"/children/{child.id}/export", {"kind": "full", "reason": "", "withheld_names": ""})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    chronology = text[text.index("records, oldest first."):]
    assert chronology.index("Concern (urgent)") < chronology.index("Their reference: CSC-881")
