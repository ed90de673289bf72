"""Two children with the same name are told apart on the lists: the DSL's queue, the prompts and
My records label a shared name with the year and date of birth, and leave other names bare."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import Prompt
from chronology.services import clock, observations as observation_service
from tests.factories import login, make_child, make_school, make_user

OLDER = "Oskar Walsh, year 3, born 26/09/2019"
YOUNGER = "Oskar Walsh, year 3, born 14/03/2020"


def _concern(school, child, author, days_ago=1):
    draft = ObservationDraft(
        occurred_on=clock.today() - timedelta(days=days_ago), occurred_time=None, occurred_approx=False,
        location="Playground", categories=("hunger",), source="staff", first_hand=True,
        description="Asked twice for toast.", child_voice="", action_taken="Gave breakfast.")
    return observation_service.record_observation(school, child, author, draft, today=clock.today())


def _school():
    school = make_school()
    teacher = make_user(school, "staff")
    dsl = make_user(school, "dsl")
    older = make_child(school, "Oskar", "Walsh", year_group="3", date_of_birth=date(2019, 9, 26))
    younger = make_child(school, "Oskar", "Walsh", year_group="3", date_of_birth=date(2020, 3, 14))
    other = make_child(school, "Amira", "Okafor", year_group="3", date_of_birth=date(2019, 10, 1))
    return school, teacher, dsl, (older, younger, other)


def test_the_queue_tells_children_of_the_same_name_apart(client):
    school, teacher, dsl, (older, younger, other) = _school()
    for child in (older, younger, other):
        _concern(school, child, teacher)
    login(client, dsl.email)
    html = client.get("/dsl/queue").get_data(as_text=True)
    assert f'<td data-label="Child">{OLDER}' in html and f'<td data-label="Child">{YOUNGER}' in html
    assert f"Review<span class=\"visually-hidden\"> the concern about {OLDER}</span>" in html
    assert '<td data-label="Child">Amira Okafor</td>' in html


def test_a_namesake_not_on_the_list_still_earns_the_label(client):
    school, teacher, dsl, (older, _younger, other) = _school()
    _concern(school, older, teacher)
    _concern(school, other, teacher)
    login(client, dsl.email)
    html = client.get("/dsl/queue").get_data(as_text=True)
    assert OLDER in html and "Amira Okafor, year" not in html


def test_a_namesake_who_has_left_the_school_does_not(client):
    school, teacher, dsl, (older, younger, _other) = _school()
    younger.left_on = clock.today() - timedelta(days=30)
    db.session.commit()
    _concern(school, older, teacher)
    login(client, dsl.email)
    html = client.get("/dsl/queue").get_data(as_text=True)
    assert '<td data-label="Child">Oskar Walsh <span class="tag tag-urgent">' not in html
    assert '<td data-label="Child">Oskar Walsh</td>' in html


def test_my_records_tell_children_of_the_same_name_apart(client):
    school, teacher, _dsl, (older, younger, other) = _school()
    for child in (older, younger, other):
        _concern(school, child, teacher)
    login(client, teacher.email)
    html = client.get("/observations/mine").get_data(as_text=True)
    assert f">{OLDER}</a>" in html and f">{YOUNGER}</a>" in html and ">Amira Okafor</a>" in html


def test_the_prompts_list_tells_children_of_the_same_name_apart(client):
    school, _teacher, dsl, children = _school()
    for child in children:
        db.session.add(Prompt(school_id=school.id, child_id=child.id, rule="E10", title="Repeated hunger",
                              explanation="Why.", status="open", firing=True, raised_on=clock.today(),
                              evaluated_on=clock.today()))
    db.session.commit()
    login(client, dsl.email)
    html = client.get("/prompts/").get_data(as_text=True)
    assert f"#prompts\">{OLDER}</a>" in html and f"#prompts\">{YOUNGER}</a>" in html
    assert "#prompts\">Amira Okafor</a>" in html


def test_names_that_differ_only_in_accents_and_capitals_count_as_the_same(client):
    school = make_school()
    teacher = make_user(school, "staff")
    zoe = make_child(school, "Zoë", "Ölçer", year_group="2", date_of_birth=date(2020, 1, 5))
    make_child(school, "Zoe", "ölçer", year_group="4", date_of_birth=date(2018, 2, 6))
    _concern(school, zoe, teacher)
    assert observation_service.namesakes(zoe) == 1
    login(client, teacher.email)
    assert ">Zoë Ölçer, year 2, born 05/01/2020</a>" in client.get("/observations/mine").get_data(as_text=True)


def test_the_queue_finds_namesakes_in_one_query_however_many_children_it_shows(client):
    school, teacher, dsl, _children = _school()
    login(client, dsl.email)

    def child_queries() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/dsl/queue").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return sum(1 for s in seen if s.lstrip().startswith("SELECT") and "FROM children" in s)

    for n in range(2):
        _concern(school, make_child(school, f"Child{n}", "Walsh"), teacher)
    few = child_queries()
    for n in range(2, 12):
        _concern(school, make_child(school, f"Child{n}", f"Surname{n}"), teacher)
    assert child_queries() == few
