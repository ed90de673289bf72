"""The DSL's queue reads the "reviewed" mark on each concern: set once, by the first review, and kept."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DatabaseError

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import Observation, ObservationVersion, RecordIsImmutable, Review
from chronology.models.types import UTCDateTime
from chronology.services import casework, observations as observation_service
from tests.factories import login, make_child, make_school, make_user, post_form

TODAY = date.today()


def _observe(school, child, author, description, *, urgent=False):
    draft = ObservationDraft(
        occurred_on=TODAY - timedelta(days=2), occurred_time=None, occurred_approx=False, location="Classroom",
        categories=("hunger",), source="staff", first_hand=True, description=description, child_voice="",
        action_taken="Told the DSL.", urgent=urgent,
    )
    return observation_service.record_observation(school, child, author, draft, today=TODAY)


def _imported(school, child, author, description):
    """History moved from paper: written straight in, as the CSV import does, with no review."""
    observation = Observation(school_id=school.id, child=child, created_by=author, origin="imported")
    observation.versions.append(ObservationVersion(
        number=1, occurred_on=TODAY - timedelta(days=400), location="", categories_text="hunger", source="staff",
        description=description, recorded_by=author))
    db.session.add(observation)
    db.session.commit()
    return observation


def _review(observation, dsl, reason="Seen; keep an eye at breakfast club."):
    return casework.record_review(observation, dsl, "monitor", reason, TODAY, today=TODAY)


def _setup():
    school = make_school()
    return school, make_user(school, "staff"), make_user(school, "dsl"), make_child(school)


def test_the_queue_is_exactly_the_unreviewed_logged_concerns_urgent_first(client):
    school, teacher, dsl, child = _setup()
    older = _observe(school, child, teacher, "The oldest ordinary worry, in some detail.")
    reviewed = _observe(school, child, teacher, "A worry the DSL has already reviewed.")
    newer = _observe(school, child, teacher, "A newer ordinary worry, in some detail.")
    urgent = _observe(school, child, teacher, "An urgent worry, written last of all.", urgent=True)
    _review(reviewed, dsl)
    _imported(school, child, teacher, "History from the old paper file.")
    elsewhere = make_school("Elm Tree Primary")
    _observe(elsewhere, make_child(elsewhere), make_user(elsewhere, "staff"), "A worry at another school.")

    page = observation_service.unreviewed(school)
    assert [o.id for o in page.items] == [urgent.id, older.id, newer.id]
    assert page.total == 3

    login(client, dsl.email)
    html = client.get("/dsl/queue").get_data(as_text=True)
    assert "3 waiting" in html
    links = [html.index(f"/dsl/observations/{o.id}/review") for o in (urgent, older, newer)]
    assert links == sorted(links)
    assert f"/dsl/observations/{reviewed.id}/review" not in html


def test_recording_a_review_takes_the_concern_off_the_queue_and_marks_when(client):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher, "Came in hungry and asked for toast twice.")
    assert db.session.get(Observation, observation.id).reviewed_at is None
    login(client, dsl.email)
    done = post_form(client, f"/dsl/observations/{observation.id}/review",
                     {"decision": "monitor", "reason": "Monitor at breakfast club.",
                      "decided_on": TODAY.strftime("%d/%m/%Y")})
    assert done.status_code == 302
    review = db.session.scalars(select(Review)).one()
    db.session.expire_all()
    assert db.session.get(Observation, observation.id).reviewed_at == review.created_at
    assert f"/dsl/observations/{observation.id}/review" not in client.get("/dsl/queue").get_data(as_text=True)
    assert observation_service.unreviewed(school).total == 0


def test_a_second_review_keeps_the_time_of_the_first(app):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher, "Came in hungry and asked for toast twice.")
    first = _review(observation, dsl)
    marked = db.session.get(Observation, observation.id).reviewed_at
    assert marked == first.created_at
    second = _review(observation, make_user(school, "dsl"), reason="Spoke to mum; monitor for two more weeks.")
    assert second.created_at > first.created_at
    db.session.expire_all()
    assert db.session.get(Observation, observation.id).reviewed_at == marked
    assert len(db.session.scalars(select(Review).where(Review.observation_id == observation.id)).all()) == 2


def _set_reviewed_at(observation_id, value):
    statement = text("UPDATE observations SET reviewed_at = :value WHERE id = :id").bindparams(
        bindparam("value", type_=UTCDateTime()))
    db.session.execute(statement, {"value": value, "id": observation_id})
    db.session.commit()


@pytest.mark.parametrize("change", ["clear", "later", "earlier"])
def test_the_database_refuses_to_clear_or_change_the_review_time(app, change):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher, "Came in hungry and asked for toast twice.")
    _review(observation, dsl)
    marked = db.session.get(Observation, observation.id).reviewed_at
    value = {"clear": None, "later": marked + timedelta(days=1), "earlier": marked - timedelta(days=1)}[change]
    with pytest.raises(DatabaseError):
        _set_reviewed_at(observation.id, value)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Observation, observation.id).reviewed_at == marked
    assert observation_service.unreviewed(school).total == 0


def test_the_database_refuses_to_mark_a_concern_reviewed_without_a_review(app):
    school, teacher, _dsl, child = _setup()
    observation = _observe(school, child, teacher, "Came in hungry and asked for toast twice.")
    with pytest.raises(DatabaseError):
        _set_reviewed_at(observation.id, datetime.now(timezone.utc))
    db.session.rollback()
    db.session.expire_all()
    assert [o.id for o in observation_service.unreviewed(school).items] == [observation.id]


def test_the_database_lets_the_first_review_set_the_mark_once(app):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher, "Came in hungry and asked for toast twice.")
    db.session.add(Review(school_id=school.id, child_id=child.id, observation_id=observation.id,
                          decision="monitor", reason="Seen.", decided_on=TODAY, created_by=dsl))
    db.session.commit()
    when = datetime(2026, 3, 4, 10, 30, tzinfo=timezone.utc)
    _set_reviewed_at(observation.id, when)
    db.session.expire_all()
    assert db.session.get(Observation, observation.id).reviewed_at == when


@pytest.mark.parametrize("change", ["clear", "change"])
def test_the_orm_refuses_to_clear_or_change_the_review_time(app, change):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher, "Came in hungry and asked for toast twice.")
    _review(observation, dsl)
    observation = db.session.get(Observation, observation.id)
    marked = observation.reviewed_at
    db.session.expire_all()  # the old value is loaded before the new one is set, even when expired
    observation.reviewed_at = None if change == "clear" else marked + timedelta(hours=1)
    with pytest.raises(RecordIsImmutable):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Observation, observation.id).reviewed_at == marked


def test_the_orm_refuses_to_change_the_head_but_allows_the_significant_mark(app):
    school, teacher, _dsl, child = _setup()
    observation = _observe(school, child, teacher, "Came in hungry and asked for toast twice.")
    observation.urgent = True
    with pytest.raises(RecordIsImmutable):
        db.session.commit()
    db.session.rollback()
    observation.significant = True
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Observation, observation.id)
    assert stored.significant and not stored.urgent and stored.reviewed_at is None


def test_recording_a_decision_says_so_on_the_page_that_follows(client):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher, "Came in hungry and asked for toast twice.")
    login(client, dsl.email)
    done = post_form(client, f"/dsl/observations/{observation.id}/review",
                     {"decision": "monitor", "reason": "Monitor at breakfast club.",
                      "decided_on": TODAY.strftime("%d/%m/%Y")})
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    start = html.index('<div class="notification-banner notification-banner-success" role="alert"')
    banner = html[start:html.index("</p>", start)]
    assert ">Success</h2>" in banner
    assert f"Decision recorded for {child.display_name}: Monitor." in banner
    # Shown once: the next page is quiet.
    assert "Decision recorded" not in client.get("/dsl/queue").get_data(as_text=True)


def test_a_decision_to_refer_to_social_care_opens_the_referral_form_with_that_agency_chosen(client):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher, "Said her stepdad hit her with a belt.")
    login(client, dsl.email)
    done = post_form(client, f"/dsl/observations/{observation.id}/review",
                     {"decision": "refer-social-care", "reason": "Disclosure of physical harm.",
                      "decided_on": TODAY.strftime("%d/%m/%Y")})
    assert f"/children/{child.id}/referrals/new" in done.headers["Location"]
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Referral to children&#39;s social care. Now record the referral itself." in html
    assert '<option value="social-care" selected' in html
    # An agency the school does not have is ignored, not an error.
    page = client.get(f"/children/{child.id}/referrals/new?agency=<script>").get_data(as_text=True)
    assert "<script>" not in page and '" selected' not in page.split('name="agency"')[1].split("</select>")[0]
