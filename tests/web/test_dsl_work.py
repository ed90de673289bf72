"""The DSL's work: the queue, reviews, referrals, life events and the chronology."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import AuditEvent, LifeEvent, Observation, Referral, Review
from chronology.services import observations as observation_service
from tests.factories import csrf_from, login, make_child, make_school, make_user, post_form

TODAY = date.today()


def _observe(school, child, author, *, days_ago=5, description="Came in hungry and asked for toast twice.",
             categories=("hunger",), child_voice="", urgent=False):
    draft = ObservationDraft(
        occurred_on=TODAY - timedelta(days=days_ago), occurred_time=None, occurred_approx=False,
        location="Classroom", categories=tuple(categories), source="staff", first_hand=True,
        description=description, child_voice=child_voice, action_taken="Told the DSL.", urgent=urgent,
    )
    return observation_service.record_observation(school, child, author, draft, today=TODAY)


def _setup():
    school = make_school()
    return school, make_user(school, "staff"), make_user(school, "dsl"), make_child(school)


def test_queue_lists_unreviewed_concerns_urgent_first(client):
    school, teacher, dsl, child = _setup()
    calm = _observe(school, child, teacher, description="Ordinary worry, written down in some detail.")
    urgent = _observe(school, child, teacher, description="Urgent worry, written down in some detail.", urgent=True)
    login(client, dsl.email)
    html = client.get("/dsl/queue").get_data(as_text=True)
    assert html.index(f"/dsl/observations/{urgent.id}/review") < html.index(f"/dsl/observations/{calm.id}/review")


def test_a_decision_not_to_refer_needs_its_reason_and_leaves_the_queue_when_recorded(client):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher)
    login(client, dsl.email)
    url = f"/dsl/observations/{observation.id}/review"
    refused = post_form(client, url, {"decision": "monitor", "reason": "  ", "decided_on": TODAY.strftime("%d/%m/%Y")})
    assert refused.status_code == 400
    assert "A decision not to refer needs its reason recorded too" in refused.get_data(as_text=True)
    done = post_form(client, url, {"decision": "monitor", "reason": "Known to school nurse; monitor at breakfast club.",
                                   "decided_on": TODAY.strftime("%d/%m/%Y")})
    assert done.status_code == 302
    review = db.session.scalars(select(Review)).one()
    assert review.decision == "monitor" and review.reason.startswith("Known to school nurse")
    assert f"/dsl/observations/{observation.id}/review" not in client.get("/dsl/queue").get_data(as_text=True)


def test_referral_decision_leads_to_recording_the_referral_and_its_outcome(client):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher)
    login(client, dsl.email)
    response = post_form(client, f"/dsl/observations/{observation.id}/review",
                         {"decision": "refer-social-care", "reason": "Pattern of hunger and a disclosure.",
                          "decided_on": TODAY.strftime("%d/%m/%Y")})
    assert f"/children/{child.id}/referrals/new?observation={observation.id}" in response.headers["Location"]
    day = (TODAY - timedelta(days=1)).strftime("%d/%m/%Y")
    made = post_form(client, response.headers["Location"], {
        "agency": "social-care", "referred_on": day, "their_reference": "CSC-12345", "status": "awaiting-response",
        "follow_up_on": (TODAY + timedelta(days=3)).strftime("%d/%m/%Y")})
    assert made.status_code == 302
    referral = db.session.scalars(select(Referral)).one()
    assert referral.observation_id == observation.id and referral.their_reference == "CSC-12345"
    updated = post_form(client, f"/children/{child.id}/referrals/{referral.id}", {
        "agency": "social-care", "referred_on": day, "their_reference": "CSC-12345", "status": "not-accepted",
        "outcome": "Did not meet threshold; signposted to early help.", "outcome_on": TODAY.strftime("%d/%m/%Y")})
    assert updated.status_code == 302
    db.session.refresh(referral)
    assert referral.status == "not-accepted" and referral.outcome_on == TODAY
    change = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.update")).one()
    assert json.loads(change.detail)["status"] == {"from": "awaiting-response", "to": "not-accepted"}


def test_referral_form_names_each_bad_field_and_keeps_what_was_typed(client):
    school, _teacher, dsl, child = _setup()
    login(client, dsl.email)
    response = post_form(client, f"/children/{child.id}/referrals/new", {
        "agency": "other", "agency_detail": "", "referred_on": "12/13/2026", "their_reference": "REF-Ø1",
        "status": "", "outcome": "", "outcome_on": "", "follow_up_on": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for fragment in ("Say which agency", "is not a real date", "Choose the status", 'value="REF-Ø1"'):
        assert fragment in html
    assert db.session.scalar(select(Referral)) is None


def test_chronology_is_in_order_of_when_it_happened_with_recorded_time_beside_it(client):
    school, teacher, dsl, child = _setup()
    later = _observe(school, child, teacher, days_ago=2, description="Second thing that happened, in detail.")
    earlier = _observe(school, child, teacher, days_ago=20, description="First thing that happened, in detail.")
    login(client, dsl.email)
    post_form(client, f"/children/{child.id}/life-events/new",
              {"kind": "moved-house", "occurred_on": (TODAY - timedelta(days=10)).strftime("%d/%m/%Y"),
               "note": "Moved to temporary housing.", "significant": "1"})
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    assert html.index("First thing") < html.index("Moved to temporary housing") < html.index("Second thing")
    assert f'id="observation-{earlier.id}"' in html and f'id="observation-{later.id}"' in html
    assert "recorded " in html


def test_chronology_filters_by_date_category_and_significance(client):
    school, teacher, dsl, child = _setup()
    _observe(school, child, teacher, days_ago=40, description="Hunger forty days ago, in detail.")
    injury = _observe(school, child, teacher, days_ago=3, categories=("injury",),
                      description="Bruise on the arm three days ago, in detail.")
    login(client, dsl.email)
    base = f"/children/{child.id}/chronology"
    by_date = client.get(base + "?from=" + (TODAY - timedelta(days=7)).strftime("%d/%m/%Y")).get_data(as_text=True)
    assert "Bruise on the arm" in by_date and "Hunger forty" not in by_date
    by_category = client.get(base + "?category=hunger").get_data(as_text=True)
    assert "Hunger forty" in by_category and "Bruise on the arm" not in by_category
    assert "Bruise on the arm" not in client.get(base + "?significant=1").get_data(as_text=True)
    page = client.get(base).get_data(as_text=True)
    client.post(f"/children/{child.id}/significant", data={
        "csrf_token": csrf_from(page), "record_type": "observation", "record_id": str(injury.id), "significant": "1"})
    significant = client.get(base + "?significant=1").get_data(as_text=True)
    assert "Bruise on the arm" in significant and "Hunger forty" not in significant
    bad = client.get(base + "?from=yesterday")
    assert bad.status_code == 400 and "is not a date" in bad.get_data(as_text=True)


def test_every_view_of_a_chronology_is_audited_with_who_which_child_and_address(client):
    school, _teacher, dsl, child = _setup()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    login(client, dsl.email)
    assert client.get(f"/children/{child.id}/chronology").status_code == 200
    assert client.get(f"/children/{child.id}/chronology?category=hunger").status_code == 200
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "chronology.view")).all()
    assert len(views) == 2
    assert {(v.user_id, v.child_id, v.ip_address) for v in views} == {(dsl.id, child.id, "203.0.113.7")}


def test_amendment_is_a_new_version_with_who_when_why_and_the_original_stays_readable(client):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher, description="Original words, exactly as first typed.")
    login(client, teacher.email)
    url = f"/observations/{observation.id}/amend"
    form = client.get(url).get_data(as_text=True)
    assert "Original words, exactly as first typed." in form
    refused = client.post(url, data={"csrf_token": csrf_from(form), "occurred_on": TODAY.strftime("%d/%m/%Y"),
                                     "categories": ["hunger"], "source": "staff", "first_hand": "yes",
                                     "description": "Corrected words, with the right detail.", "reason": ""})
    assert refused.status_code == 400 and "Say why you are correcting" in refused.get_data(as_text=True)
    assert "Corrected words, with the right detail." in refused.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_from(form), "occurred_on": TODAY.strftime("%d/%m/%Y"),
                                  "categories": ["hunger"], "source": "staff", "first_hand": "yes",
                                  "description": "Corrected words, with the right detail.",
                                  "reason": "I typed the wrong detail."})
    assert done.status_code == 302
    db.session.expire_all()
    versions = db.session.get(Observation, observation.id).versions
    assert [v.description for v in versions] == ["Original words, exactly as first typed.",
                                                 "Corrected words, with the right detail."]
    assert versions[1].reason == "I typed the wrong detail." and versions[1].recorded_by_id == teacher.id
    login(client, dsl.email)
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    assert "Corrected words" in html and "Original words, exactly as first typed." in html
    assert "I typed the wrong detail." in html


def test_life_event_with_other_kind_needs_a_description(client):
    school, _teacher, dsl, child = _setup()
    login(client, dsl.email)
    response = post_form(client, f"/children/{child.id}/life-events/new",
                         {"kind": "other", "occurred_on": TODAY.strftime("%d/%m/%Y"), "note": ""})
    assert response.status_code == 400 and "Describe what happened" in response.get_data(as_text=True)
    assert db.session.scalar(select(LifeEvent)) is None


def test_dsl_of_another_school_gets_not_found_never_data(client):
    school, teacher, _dsl, child = _setup()
    observation = _observe(school, child, teacher, description="Private to this school, in detail.")
    stranger = make_user(make_school("Elm Academy"), "dsl")
    login(client, stranger.email)
    for url in (f"/children/{child.id}/chronology", f"/dsl/observations/{observation.id}/review",
                f"/observations/{observation.id}", f"/children/{child.id}/referrals/new"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Private to this school" not in response.get_data(as_text=True)
    assert "Private to this school" not in client.get("/dsl/queue").get_data(as_text=True)


def test_admin_who_is_not_a_dsl_never_sees_concern_text(client):
    school, teacher, _dsl, child = _setup()
    observation = _observe(school, child, teacher, description="Concern text an admin must not read.")
    admin = make_user(school, "admin")
    login(client, admin.email)
    for url in ("/", "/admin/users", "/dsl/queue", f"/children/{child.id}/chronology",
                f"/observations/{observation.id}", f"/dsl/observations/{observation.id}/review", "/observations/mine"):
        response = client.get(url, follow_redirects=True)
        assert "Concern text an admin must not read" not in response.get_data(as_text=True), url
    assert client.get(f"/children/{child.id}/chronology").status_code == 403


def test_staff_cannot_reach_dsl_pages(client):
    school, teacher, _dsl, child = _setup()
    login(client, teacher.email)
    for url in ("/dsl/queue", f"/children/{child.id}/chronology", "/children/", "/admin/users"):
        assert client.get(url).status_code == 403, url


def test_reading_a_single_concern_is_audited_too(client):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher)
    login(client, dsl.email)
    assert client.get(f"/dsl/observations/{observation.id}/review").status_code == 200
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "observation.view")).one()
    assert (event.user_id, event.child_id, event.object_id) == (dsl.id, child.id, observation.id)


def test_a_long_queue_comes_a_page_at_a_time_oldest_first(client):
    school, teacher, dsl, child = _setup()
    made = [_observe(school, child, teacher, days_ago=1, description=f"Concern number {n:02d}, described fully.")
            for n in range(53)]
    login(client, dsl.email)
    first = client.get("/dsl/queue").get_data(as_text=True)
    assert "53 waiting" in first and "Showing 1 to 50 of 53" in first
    assert f"/dsl/observations/{made[0].id}/review" in first
    assert f"/dsl/observations/{made[52].id}/review" not in first
    second = client.get("/dsl/queue?page=2").get_data(as_text=True)
    assert f"/dsl/observations/{made[52].id}/review" in second and "Showing 51 to 53 of 53" in second
    assert client.get("/dsl/queue?page=nonsense").status_code == 200
