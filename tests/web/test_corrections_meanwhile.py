"""A correction saved from a page opened before someone else's correction is refused, with both texts
shown and nothing lost, instead of silently replacing theirs."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlalchemy import select

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import Observation, ObservationVersion
from chronology.services import observations as observation_service
from tests.factories import csrf_from, login, make_child, make_school, make_user

TODAY = date.today()


def _draft(description: str) -> ObservationDraft:
    return ObservationDraft(
        occurred_on=TODAY - timedelta(days=3), occurred_time=None, occurred_approx=False, location="Classroom",
        categories=("hunger",), source="staff", first_hand=True, description=description, child_voice="",
        action_taken="Told the DSL.")


def _correction(form_html: str, description: str, reason: str) -> dict:
    return {"csrf_token": csrf_from(form_html), "based_on": form_html.split('name="based_on" value="')[1].split('"')[0],
            "occurred_on": (TODAY - timedelta(days=3)).strftime("%d/%m/%Y"), "categories": ["hunger"],
            "source": "staff", "first_hand": "yes", "description": description, "reason": reason}


def _descriptions(observation_id: int) -> list[str]:
    db.session.expire_all()
    return [v.description for v in db.session.scalars(
        select(ObservationVersion).where(ObservationVersion.observation_id == observation_id)
        .order_by(ObservationVersion.number))]


def test_a_correction_from_an_out_of_date_page_is_refused_with_both_versions_shown(app, client):
    school = make_school()
    teacher = make_user(school, "staff")
    first_dsl = make_user(school, "dsl", name="Dana Lewis")
    second_dsl = make_user(school, "dsl", name="Sam Okoro")
    child = make_child(school)
    observation = observation_service.record_observation(school, child, teacher, _draft("Came in hungry."),
                                                         today=TODAY)
    url = f"/observations/{observation.id}/amend"
    other = app.test_client()
    login(client, first_dsl.email)
    login(other, second_dsl.email)
    page_a = client.get(url).get_data(as_text=True)
    page_b = other.get(url).get_data(as_text=True)  # opened before A saves

    saved = client.post(url, data=_correction(page_a, "Came in hungry and asked for toast twice.", "Added detail."))
    assert saved.status_code == 302
    refused = other.post(url, data=_correction(page_b, "Came in hungry at 08:50.", "Added the time."))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Dana Lewis corrected this record at" in html and "Here is their version and yours" in html
    theirs = html[html.index('id="their-correction"'):html.index("</section>", html.index('id="their-correction"'))]
    assert "Came in hungry and asked for toast twice." in theirs and "Added detail." in theirs
    assert "Came in hungry at 08:50.</textarea>" in html  # theirs beside, yours kept as typed
    assert _descriptions(observation.id) == ["Came in hungry.", "Came in hungry and asked for toast twice."]

    # Saving again, now with theirs in view, is a deliberate choice and is kept as the next version.
    again = other.post(url, data=_correction(html, "Came in hungry at 08:50 and asked for toast twice.",
                                             "Added the time to Dana's correction."))
    assert again.status_code == 302
    assert _descriptions(observation.id)[-1] == "Came in hungry at 08:50 and asked for toast twice."


def test_two_corrections_saved_at_the_same_moment_keep_one_and_refuse_the_other(app):
    school = make_school()
    teacher = make_user(school, "staff")
    dsls = [make_user(school, "dsl"), make_user(school, "dsl")]
    child = make_child(school)
    observation_id = observation_service.record_observation(school, child, teacher, _draft("Came in hungry."),
                                                            today=TODAY).id
    user_ids = [u.id for u in dsls]
    db.session.remove()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def correct(n: int) -> None:
        with app.app_context():
            from chronology.models import User

            observation = db.session.get(Observation, observation_id)
            by = db.session.get(User, user_ids[n])
            start.wait()
            try:
                observation_service.amend_observation(observation, by, _draft(f"Correction {n}."), "Detail.",
                                                      today=TODAY, based_on=1)
                outcomes.append("saved")
            except observation_service.CorrectedMeanwhile:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=correct, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["refused", "saved"]
    assert len(_descriptions(observation_id)) == 2
