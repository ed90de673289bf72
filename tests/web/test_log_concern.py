"""Logging a concern about a child, as a teacher would on a phone."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from chronology.extensions import db
from chronology.models import AuditEvent, Observation
from chronology.services import clock
from tests.factories import PASSWORD, csrf_from, login, make_child, make_school, make_user, post_form


def _concern(child_id, **overrides):
    data = {
        "child_id": str(child_id), "child_query": "", "occurred_on": (date.today() - timedelta(days=1)).strftime("%d/%m/%Y"),
        "occurred_time": "08:50", "location": "Year 4 classroom", "categories": ["hunger"], "source": "staff",
        "first_hand": "yes",
        "description": "Came in at 08:50 and asked twice for toast. Ate two slices very quickly.",
        "child_voice": "I didn't have tea last night.", "action_taken": "Gave breakfast.",
    }
    data.update(overrides)
    return data


def test_teacher_logs_a_concern_and_it_is_kept_exactly_as_written(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school, "Siobhán", "O'Neill")
    login(client, teacher.email)
    words = "  Came in at 08:50 — asked twice for toast.\nAte it \"very\" quickly.  "
    response = post_form(client, "/observations/new", _concern(child.id, description=words))
    assert response.status_code == 302
    observation = db.session.scalars(select(Observation)).one()
    assert observation.child_id == child.id
    assert observation.current.description == words
    assert observation.current.child_voice == "I didn't have tea last night."
    assert observation.current.categories == ["hunger"]
    page = client.get(response.headers["Location"])
    assert "Concern recorded" in page.get_data(as_text=True)
    shown = client.get(f"/observations/{observation.id}").get_data(as_text=True)
    assert "Siobhán O&#39;Neill" in shown
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "observation.create" in actions


def test_child_is_found_by_typing_part_of_a_name_without_javascript(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school, "Zoë", "Nguyễn")
    make_child(school, "Amira", "Okafor")
    login(client, teacher.email)
    response = post_form(client, "/observations/new", _concern("", child_query="zoe ngu"))
    assert response.status_code == 302
    assert db.session.scalars(select(Observation)).one().child_id == child.id


def test_two_children_matching_are_offered_as_a_choice_and_nothing_typed_is_lost(client):
    school = make_school()
    teacher = make_user(school, "staff")
    first = make_child(school, "Jay", "Murphy")
    make_child(school, "Jayden", "Murphy")
    login(client, teacher.email)
    response = post_form(client, "/observations/new", _concern("", child_query="murphy"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "More than one child matches" in html
    assert f'value="{first.id}"' in html
    assert "asked twice for toast" in html  # the description survives
    assert db.session.scalar(select(Observation)) is None


def _namesakes(school):
    older = make_child(school, "Oskar", "Walsh", year_group="3", date_of_birth=date(2019, 9, 26))
    younger = make_child(school, "Oskar", "Walsh", year_group="3", date_of_birth=date(2020, 3, 14))
    return older, younger


def test_without_javascript_a_child_who_shares_a_name_is_chosen_from_the_list_and_the_concern_saved(client):
    school = make_school()
    teacher = make_user(school, "staff")
    _older, younger = _namesakes(school)
    login(client, teacher.email)
    offered = post_form(client, "/observations/new", _concern("", child_query="oskar walsh"))
    html = offered.get_data(as_text=True)
    assert offered.status_code == 400
    assert "born 26/09/2019" in html and "born 14/03/2020" in html
    # A browser without JavaScript sends the empty hidden child_id first, then the chosen radio.
    payload = [(k, v) for k, v in _concern("", child_query="oskar walsh").items() if k not in ("child_id", "categories")]
    payload += [("categories", "hunger"), ("child_id", ""), ("child_choice", str(younger.id)),
                ("csrf_token", csrf_from(html))]
    response = client.post("/observations/new", data=MultiDict(payload))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.scalars(select(Observation)).one().child_id == younger.id


def test_a_choice_from_the_list_is_kept_when_another_answer_needs_fixing(client):
    school = make_school()
    teacher = make_user(school, "staff")
    older, _younger = _namesakes(school)
    login(client, teacher.email)
    response = post_form(client, "/observations/new",
                         _concern("", child_query="oskar walsh", child_choice=str(older.id), description=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "More than one child matches" not in html
    assert f'name="child_id" id="child_id" value="{older.id}"' in html
    assert "Chosen: <strong>Oskar Walsh</strong>, year 3, born 26/09/2019" in html
    assert "1 other child at this school has the same name" in html
    assert db.session.scalar(select(Observation)) is None


def test_type_ahead_tells_two_children_of_the_same_name_apart(client):
    school = make_school()
    teacher = make_user(school, "staff")
    _namesakes(school)
    login(client, teacher.email)
    page = client.get("/observations/new").get_data(as_text=True)
    found = client.post("/observations/children/search", json={"q": "oskar"},
                        headers={"X-CSRFToken": csrf_from(page)}).get_json()
    assert sorted(c["born"] for c in found) == ["14/03/2020", "26/09/2019"]


def test_type_ahead_finds_children_by_post_and_ignores_accents(client):
    school = make_school()
    teacher = make_user(school, "staff")
    make_child(school, "Siobhán", "O'Neill")
    login(client, teacher.email)
    page = client.get("/observations/new").get_data(as_text=True)

    found = client.post("/observations/children/search", json={"q": "siob"},
                        headers={"X-CSRFToken": csrf_from(page)})
    assert found.status_code == 200
    assert [c["name"] for c in found.get_json()] == ["Siobhán O'Neill"]
    assert client.get("/observations/children/search?q=siob").status_code == 405


def test_future_date_is_refused_with_a_clear_message_and_everything_typed_is_kept(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school)
    login(client, teacher.email)
    tomorrow = (date.today() + timedelta(days=2)).strftime("%d/%m/%Y")
    response = post_form(client, "/observations/new",
                         _concern(child.id, occurred_on=tomorrow, categories=["hunger", "poverty"]))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert "cannot be in the future" in html
    assert 'href="#occurred_on"' in html
    assert tomorrow in html
    assert "asked twice for toast" in html
    assert "I didn&#39;t have tea last night." in html
    assert 'value="poverty" checked' in html
    assert db.session.scalar(select(Observation)) is None


def test_date_before_the_childs_birth_is_refused(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school, date_of_birth=date(2016, 9, 1))
    login(client, teacher.email)
    response = post_form(client, "/observations/new", _concern(child.id, occurred_on="31/08/2016"))
    assert response.status_code == 400
    assert "before the child&#39;s date of birth (01/09/2016)" in response.get_data(as_text=True)


def test_each_missing_answer_is_named(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school)
    login(client, teacher.email)
    response = post_form(client, "/observations/new", _concern(
        child.id, occurred_on="31/02/2026", occurred_time="25:99", categories=[], source="", first_hand="",
        description="   "))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for fragment in ("is not a real date", "is not a time", "Choose at least one category",
                     "Choose who the information came from", "Say whether you saw or heard it yourself",
                     "Describe what you saw or heard"):
        assert fragment in html


def test_urgent_concern_shows_plain_guidance_and_emails_the_dsls_a_link_only(client, mailbox):
    school = make_school()
    teacher = make_user(school, "staff")
    dsl = make_user(school, "dsl")
    deputy = make_user(school, ["dsl", "staff"])
    make_user(school, "admin")
    other_school_dsl = make_user(make_school(), "dsl")
    child = make_child(school, "Zoë", "Nguyễn")
    login(client, teacher.email)
    response = post_form(client, "/observations/new",
                         _concern(child.id, urgent="yes", description="Said her stepdad hit her with a belt."))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Speak to the DSL now, in person" in page
    assert "the designated safeguarding lead has been emailed" in page
    assert "call 999" in page
    assert "children's social care" in page
    messages = mailbox.wait(1)
    assert len(messages) == 1
    recipients = set(messages[0]["to"])
    assert recipients == {dsl.email, deputy.email}
    assert other_school_dsl.email not in recipients
    body = messages[0]["message"].get_content()
    observation = db.session.scalars(select(Observation)).one()
    assert f"/dsl/observations/{observation.id}/review" in body
    for secret in ("Zoë", "Nguyễn", "belt", "stepdad"):
        assert secret not in body
        assert secret not in messages[0]["message"]["Subject"]


def test_a_concern_is_saved_when_the_mail_server_is_down_and_the_page_says_the_email_was_not_sent(app, client):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    school = make_school()
    teacher = make_user(school, "staff")
    make_user(school, "dsl")
    child = make_child(school)
    login(client, teacher.email)
    response = post_form(client, "/observations/new", _concern(child.id, urgent="yes"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Find the DSL now: the email was not sent" in page
    assert "the email to the designated safeguarding lead was not sent" in page
    assert "has been emailed" not in page
    assert "call 999" in page
    assert db.session.scalars(select(Observation)).one().urgent
    assert "alert.failed" in db.session.scalars(select(AuditEvent.action)).all()


def test_an_urgent_concern_at_a_school_with_no_dsl_account_says_no_one_was_emailed(client, mailbox):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school)
    login(client, teacher.email)
    response = post_form(client, "/observations/new", _concern(child.id, urgent="yes"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "no designated safeguarding lead at this school has an account to email" in page
    assert "has been emailed" not in page


def test_the_dsl_home_page_shows_an_urgent_concern_whose_alert_failed_at_the_top_until_it_is_reviewed(app, client):
    school = make_school()
    teacher = make_user(school, "staff")
    dsl = make_user(school, "dsl")
    child = make_child(school, "Amara", "Osei")
    emailed = make_child(school, "Bea", "Lund")
    other_school = make_school()
    other_teacher = make_user(other_school, "staff")
    make_user(other_school, "dsl")
    stranger = make_child(other_school, "Cato", "Rees")
    login(client, teacher.email)
    post_form(client, "/observations/new", _concern(emailed.id, urgent="yes"))  # the mail server is up
    app.config["MAIL_PORT"] = 1
    post_form(client, "/observations/new", _concern(child.id, urgent="yes"))
    login(client, other_teacher.email)
    post_form(client, "/observations/new", _concern(stranger.id, urgent="yes"))
    failed = db.session.scalars(select(Observation).where(Observation.child_id == child.id)).one()

    login(client, dsl.email)
    html = client.get("/dsl/queue").get_data(as_text=True)
    assert "whose email alert was not sent" in html
    section = html[html.index('id="alerts-not-sent"'):html.index("</section>", html.index('id="alerts-not-sent"'))]
    assert html.index('id="alerts-not-sent"') < html.index("<table")
    assert "Amara Osei" in section and f"/dsl/observations/{failed.id}/review" in section
    assert "Bea Lund" not in section and "Cato Rees" not in section

    done = post_form(client, f"/dsl/observations/{failed.id}/review",
                     {"decision": "monitor", "reason": "Spoke to the teacher and the child.",
                      "decided_on": date.today().strftime("%d/%m/%Y")})
    assert done.status_code == 302
    assert "whose email alert was not sent" not in client.get("/dsl/queue").get_data(as_text=True)


def test_staff_see_only_their_own_observations(client):
    school = make_school()
    writer = make_user(school, "staff")
    colleague = make_user(school, "staff")
    child = make_child(school)
    login(client, writer.email)
    post_form(client, "/observations/new", _concern(child.id, description="Written by the first teacher, in full."))
    observation = db.session.scalars(select(Observation)).one()
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, colleague.email, PASSWORD)
    assert client.get(f"/observations/{observation.id}").status_code == 404
    assert "first teacher" not in client.get("/observations/mine").get_data(as_text=True)
    assert client.get(f"/children/{child.id}/chronology").status_code == 403


def _token(client):

    return csrf_from(client.get("/observations/new").get_data(as_text=True))


def test_post_without_csrf_token_is_refused(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school)
    login(client, teacher.email)
    response = client.post("/observations/new", data=_concern(child.id))
    assert response.status_code == 400
    assert db.session.scalar(select(Observation)) is None


def test_sending_a_concern_costs_a_few_statements_however_long_the_childs_history(client):
    """Every teacher's Send runs these, so the number is kept small and fixed: sign-in and school in
    one read, the child, two inserts, the audit chain, the rules' reads and the prompts."""
    from sqlalchemy import event

    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school, "Amara", "Okafor")
    login(client, teacher.email)

    def statements_for_one_concern() -> list[str]:
    
        token = csrf_from(client.get("/observations/new").get_data(as_text=True))
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            seen.append(" ".join(statement.split()))

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.post("/observations/new", data={**_concern(child.id), "csrf_token": token})
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 302 and "submitted" in response.headers["Location"]
        return seen

    first = statements_for_one_concern()
    for _ in range(8):
        statements_for_one_concern()
    later = statements_for_one_concern()
    assert len(first) <= 13 and len(later) <= 13, later
    # No draft was given back, so none is ended: no statement on saved drafts.
    assert not [s for s in later if "saved_drafts" in s]
    # The concern is not read back after saving just to redirect to it.
    assert not [s for s in later if s.startswith("SELECT observations.")]


def test_the_date_it_happened_starts_as_today(client):
    teacher = make_user(make_school(), "staff")
    login(client, teacher.email)
    html = client.get("/observations/new").get_data(as_text=True)
    assert f'name="occurred_on" type="text" inputmode="numeric" value="{clock.today():%d/%m/%Y}"' in html


def test_times_and_dates_written_the_usual_ways_are_accepted_and_kept_in_one_form(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school, "Amira", "Okafor")
    login(client, teacher.email)
    yesterday = date.today() - timedelta(days=1)
    written = [(f"{yesterday.day}/{yesterday.month}/{yesterday:%y}", "8.50", time(8, 50)),
               (f"{yesterday.day} {yesterday:%b %Y}", "8:50am", time(8, 50)),
               (f"{yesterday.day}-{yesterday.month}-{yesterday.year}", "2.15 pm", time(14, 15)),
               (f"{yesterday:%d/%m/%Y}", "0850", time(8, 50))]
    for occurred_on, occurred_time, _ in written:
        response = post_form(client, "/observations/new", _concern(child.id, occurred_on=occurred_on,
                                                                   occurred_time=occurred_time))
        assert response.status_code == 302, (occurred_on, occurred_time)
    kept = [(o.current.occurred_on, o.current.occurred_time)
            for o in db.session.scalars(select(Observation).order_by(Observation.id))]
    assert kept == [(yesterday, t) for _, _, t in written]


def test_an_ambiguous_time_is_refused_and_the_readable_date_is_shown_as_it_was_read(client):
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school, "Amira", "Okafor")
    login(client, teacher.email)
    yesterday = date.today() - timedelta(days=1)
    response = post_form(client, "/observations/new", _concern(
        child.id, occurred_on=f"{yesterday.day}/{yesterday.month}/{yesterday:%y}", occurred_time="2.15"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "could be in the morning or the afternoon: write 2:15am or 14:15 for 2:15pm" in html
    assert f'value="{yesterday:%d/%m/%Y}"' in html
    assert db.session.scalars(select(Observation)).all() == []
