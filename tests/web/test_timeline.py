"""The timeline picture on the chronology page, and the DSL's school trends with their CSV."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta
from xml.etree import ElementTree

from sqlalchemy import select

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import Observation, ObservationVersion, Prompt, Review
from chronology.domain.trends import last_months
from chronology.services import casework, clock, observations as observation_service
from tests.factories import login, make_child, make_school, make_user

TODAY = date.today()
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"


def _observe(school, child, author, *, days_ago=5, categories=("hunger",), urgent=False):
    draft = ObservationDraft(
        occurred_on=TODAY - timedelta(days=days_ago), occurred_time=None, occurred_approx=False,
        location="Classroom", categories=tuple(categories), source="staff", first_hand=True,
        description="Came in hungry and asked for toast twice before the register.", child_voice="",
        action_taken="Told the DSL.", urgent=urgent,
    )
    return observation_service.record_observation(school, child, author, draft, today=TODAY)


def _correct_categories(observation, author, categories_text):
    """A new version with other categories, as a correction would add (a school's own slug, say)."""
    current = observation.current
    db.session.add(ObservationVersion(
        observation_id=observation.id, number=current.number + 1, occurred_on=current.occurred_on,
        categories_text=categories_text, source=current.source, description=current.description,
        recorded_by_id=author.id, reason="Category corrected."))
    db.session.commit()
    db.session.expire(observation)


def _setup():
    school = make_school()
    return school, make_user(school, "staff"), make_user(school, "dsl"), make_child(school)


def _svg(html: str) -> ElementTree.Element:
    match = re.search(r'<svg[^>]*id="timeline".*?</svg>', html, re.S)
    assert match, "the chronology page has no timeline picture"
    return ElementTree.fromstring(match.group(0))


def _marks(svg) -> list[ElementTree.Element]:
    return [a for a in svg.iter(f"{SVG}a") if "mark" in a.get("class", "").split()]


def _row_labels(svg) -> list[str]:
    axis = next(g for g in svg.iter(f"{SVG}g") if {"axis", "y"} <= set(g.get("class", "").split()))
    return [t.text for t in axis.iter(f"{SVG}text")]


def _rich_chronology():
    school, teacher, dsl, child = _setup()
    hungry = [_observe(school, child, teacher, days_ago=d) for d in (30, 25, 21)]  # a cluster
    both = _observe(school, child, teacher, days_ago=10, categories=("hygiene", "clothing"), urgent=True)
    strength = _observe(school, child, teacher, days_ago=8, categories=("strength",))
    review = casework.record_review(both, dsl, "monitor", "Watch at breakfast club.", TODAY - timedelta(days=7),
                                    today=TODAY)
    referral = casework.record_referral(child, dsl, casework.ReferralDraft(
        "early-help", "", TODAY - timedelta(days=6), "", "awaiting-response", "", None, None), today=TODAY)
    event = casework.record_life_event(child, dsl, "moved-house", TODAY - timedelta(days=40), "", True, today=TODAY)
    return school, teacher, dsl, child, {"hungry": hungry, "both": both, "strength": strength, "review": review,
                                         "referral": referral, "event": event}


def test_timeline_has_a_mark_per_record_on_each_of_its_rows_linking_to_its_anchor(client):
    school, teacher, dsl, child, made = _rich_chronology()
    login(client, dsl.email)
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    svg = _svg(html)
    marks = _marks(svg)
    expected = ({f"observation-{o.id}" for o in made["hungry"]}
                | {f"observation-{made['both'].id}", f"observation-{made['strength'].id}",
                   f"review-{made['review'].id}", f"referral-{made['referral'].id}", f"life-event-{made['event'].id}"})
    assert {a.get("data-ref") for a in marks} == expected
    # One mark per record on each row it belongs to: the two-category concern appears twice.
    per_row = Counter(a.get("data-row") for a in marks)
    assert per_row == {"hunger": 3, "hygiene": 1, "clothing": 1, "strength": 1, "events": 3}
    assert len(marks) == 9
    for a in marks:
        assert a.get("href") == a.get(XLINK) == f"#{a.get('data-ref')}"
        assert f'id="{a.get("data-ref")}"' in html, "each mark links to an anchor on the page"
        assert a.find(f"{SVG}circle") is not None and a.find(f"{SVG}title").text
    assert _row_labels(svg) == ["Hunger", "Hygiene", "Clothing", "Strength or protective factor",
                                "Referrals, reviews, life events"]
    colours = {a.get("data-ref"): a.get("class") for a in marks}
    assert colours[f"observation-{made['both'].id}"] == "mark mark-urgent"
    assert colours[f"observation-{made['strength'].id}"] == "mark mark-strength"
    assert colours[f"referral-{made['referral'].id}"] == "mark mark-referral"
    clusters = [g for g in svg.iter(f"{SVG}g") if "clusters" in g.get("class", "").split()]
    assert sum(len(g.findall(f".//{SVG}path")) for g in clusters) == 1  # one band, for the hunger run


def test_timeline_has_a_text_alternative_title_and_a_data_table(client):
    school, teacher, dsl, child, made = _rich_chronology()
    login(client, dsl.email)
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    svg = _svg(html)
    first = (TODAY - timedelta(days=30))
    summary = svg.find(f"{SVG}desc").text
    assert summary.startswith(f"5 observations in 4 categories between {first.day} {first:%B}")
    assert "most frequent: hunger (3); 1 marked urgent; 1 strength recorded." in summary
    assert "1 referral, 1 review, 1 life event." in summary and "1 cluster of concerns close together" in summary
    assert svg.find(f"{SVG}title").text == "Timeline of the chronology"
    assert f'<p class="timeline-summary">{summary.replace(chr(39), "&#39;")}</p>' in html
    table = html[html.index('<details class="timeline-data">'):html.index("</details>")]
    for a in _marks(svg):
        assert f'href="#{a.get("data-ref")}"' in table


def test_timeline_is_self_contained_and_safe_under_the_content_security_policy(client):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher)
    _correct_categories(observation, teacher, '<script>alert(1)</script>;x" onload="y')
    login(client, dsl.email)
    response = client.get(f"/children/{child.id}/chronology")
    html = response.get_data(as_text=True)
    raw = re.search(r'<svg[^>]*id="timeline".*?</svg>', html, re.S).group(0)
    for banned in ("<script", "<style", "style=", "<image", "<use", "http://pygal", "https://", "<b>"):
        assert banned not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    svg = _svg(html)
    assert all(not (el.get(XLINK) or el.get("href") or "#").lstrip().startswith(("http", "//", "javascript"))
               for el in svg.iter())
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]


def test_timeline_follows_the_pages_date_filter(client):
    school, teacher, dsl, child = _setup()
    old = _observe(school, child, teacher, days_ago=60)
    recent = _observe(school, child, teacher, days_ago=3, categories=("injury",))
    login(client, dsl.email)
    start = TODAY - timedelta(days=10)
    html = client.get(f"/children/{child.id}/chronology?from={start:%d/%m/%Y}").get_data(as_text=True)
    svg = _svg(html)
    assert [a.get("data-ref") for a in _marks(svg)] == [f"observation-{recent.id}"]
    assert _row_labels(svg) == ["Injury"]
    assert f"observation-{old.id}" not in raw_svg(html)
    assert svg.find(f"{SVG}desc").text.startswith("1 observation in 1 category on ")


def raw_svg(html: str) -> str:
    return re.search(r'<svg[^>]*id="timeline".*?</svg>', html, re.S).group(0)


def test_chronology_without_records_shows_no_picture(client):
    school, teacher, dsl, child = _setup()
    login(client, dsl.email)
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    assert 'id="timeline"' not in html


def _long_chronology(school, child, author, dsl, count):
    """Written straight to the tables, as an import would, so a long chronology is quick to build:
    `count` concerns over a year, every third about two things, each with a DSL decision."""
    observations = []
    for i in range(count):
        observation = Observation(school_id=school.id, child=child, created_by=author)
        observation.versions.append(ObservationVersion(
            number=1, occurred_on=TODAY - timedelta(days=365 - (i * 365) // count),
            categories_text="hygiene;clothing" if i % 3 == 0 else "hunger", source="staff",
            description=f"Entry number {i}: came in hungry.", child_voice="", recorded_by=author))
        observations.append(observation)
    db.session.add_all(observations)
    db.session.flush()
    db.session.add_all(Review(school_id=school.id, child_id=child.id, observation_id=o.id, decision="monitor",
                              reason="Keep watching.", decided_on=o.versions[0].occurred_on, created_by_id=dsl.id)
                       for o in observations)
    db.session.commit()
    return observations


def test_a_long_chronology_draws_every_record_as_a_mark_linked_to_its_entry(client):
    school, teacher, dsl, child = _setup()
    observations = _long_chronology(school, child, teacher, dsl, 300)
    login(client, dsl.email)
    html = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    svg = _svg(html)
    marks = _marks(svg)
    per_row = Counter(a.get("data-row") for a in marks)
    assert per_row == {"hunger": 200, "hygiene": 100, "clothing": 100, "events": 300}
    reviews = {f"review-{r}" for r in db.session.scalars(select(Review.id).where(Review.child_id == child.id))}
    assert {a.get("data-ref") for a in marks} == {f"observation-{o.id}" for o in observations} | reviews
    for a in marks:
        assert a.get("href") == a.get(XLINK) == f"#{a.get('data-ref')}"
        assert f'id="{a.get("data-ref")}"' in html, "each mark links to an entry on the page"
        circle = a.find(f"{SVG}circle")
        assert a.find(f"{SVG}title").text and float(circle.get("cx")) >= 0 and float(circle.get("cy")) >= 0
    # Three concerns a fortnight make a band on every concern row; each band sits behind its row's marks.
    bands = [g for g in svg.iter(f"{SVG}g") if "clusters" in g.get("class", "").split()]
    assert len(bands) == 1 and len(bands[0].findall(f"{SVG}path")) >= 3
    row_y = {a.get("data-row"): a.find(f"{SVG}circle").get("cy") for a in marks}
    assert {p.get("d").split()[1] for p in bands[0].findall(f"{SVG}path")} <= {row_y["hunger"], row_y["hygiene"],
                                                                                row_y["clothing"]}
    raw = raw_svg(html)
    for banned in ("<script", "<style", "style="):
        assert banned not in raw
    assert html.count('<li class="entry ') == 600 and "(600 of 600 entries)" in html


def test_the_picture_follows_each_record_added_corrected_or_reviewed(client):
    school, teacher, dsl, child = _setup()
    first = _observe(school, child, teacher, days_ago=20)
    login(client, dsl.email)
    url = f"/children/{child.id}/chronology"
    assert {a.get("data-row") for a in _marks(_svg(client.get(url).get_data(as_text=True)))} == {"hunger"}
    second = _observe(school, child, teacher, days_ago=3, categories=("injury",))
    marks = _marks(_svg(client.get(url).get_data(as_text=True)))
    assert {a.get("data-ref") for a in marks} == {f"observation-{first.id}", f"observation-{second.id}"}
    _correct_categories(second, teacher, "bullying")
    assert {a.get("data-row") for a in _marks(_svg(client.get(url).get_data(as_text=True)))} == {"hunger", "bullying"}
    review = casework.record_review(first, dsl, "monitor", "Watch at lunch.", TODAY - timedelta(days=2), today=TODAY)
    marks = _marks(_svg(client.get(url).get_data(as_text=True)))
    assert f"review-{review.id}" in {a.get("data-ref") for a in marks}


# --- school trends -----------------------------------------------------------------------------


def _prompt(school, child, rule, *, status="open", firing=True):
    prompt = Prompt(school_id=school.id, child_id=child.id, rule=rule, title=f"{rule} title", explanation="Why.",
                    status=status, firing=firing, raised_on=TODAY, evaluated_on=TODAY)
    db.session.add(prompt)
    db.session.commit()
    return prompt


def test_trends_count_observations_by_month_prompts_and_referrals_without_names(client):
    school, teacher, dsl, child = _setup()
    other_child = make_child(school, forename="Ada", surname="Quill")
    _observe(school, child, teacher, days_ago=0, categories=("hunger", "hygiene"))
    _observe(school, other_child, teacher, days_ago=0, categories=("hunger",))
    _observe(school, child, teacher, days_ago=400, categories=("hunger",))  # older than 12 months
    elsewhere = make_school("Elm Academy")
    _observe(elsewhere, make_child(elsewhere, forename="Bea", surname="Otherschool"), make_user(elsewhere, "staff"),
             days_ago=0, categories=("hunger",))
    for status in ("accepted", "accepted", "not-accepted"):
        casework.record_referral(child, dsl, casework.ReferralDraft(
            "social-care", "", TODAY, "", status, "", None, None), today=TODAY)
    db.session.execute(Prompt.__table__.delete())  # only the prompts made below
    db.session.commit()
    _prompt(school, child, "E4")
    _prompt(school, other_child, "E4", status="acknowledged")
    _prompt(school, child, "E9", status="dismissed")
    _prompt(school, other_child, "E9", firing=False)
    login(client, dsl.email)
    response = client.get("/trends/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    month_cells = lambda slug: re.search(rf'<tr data-category="{slug}">(.*?)</tr>', html, re.S).group(1)  # noqa: E731
    hunger = re.findall(r"<td>(\d+)</td>", month_cells("hunger"))
    assert hunger == ["2", "2"]  # this month, the only one with observations, and the total
    assert re.findall(r"<td>(\d+)</td>", month_cells("hygiene"))[-1] == "1"
    assert re.search(r'<tr data-rule="E4"><th scope="row">E4: [^<]*</th><td>2</td>', html)
    assert 'data-rule="E9"' not in html
    referrals = re.search(r'<tr data-agency="social-care">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", referrals) == ["2", "1"]  # accepted, not accepted
    for name in ("Zoë", "Nguyễn", "Ada", "Quill", "Bea", "Otherschool", child.upn):
        assert name not in html
    assert '<a href="/trends/">Trends</a>' in html


def test_trends_say_the_period_they_count_and_the_table_opens_on_the_months_with_observations(client):
    school, teacher, dsl, child = _setup()
    _observe(school, child, teacher, days_ago=0, categories=("hunger",))
    _observe(school, child, teacher, days_ago=40, categories=("hunger",))
    login(client, dsl.email)
    html = client.get("/trends/").get_data(as_text=True)
    window = last_months(clock.today())
    assert (f"from {window[0]:%d/%m/%Y} to today, {clock.today():%d/%m/%Y}: {clock.today():%B} so far "
            "and the 11 months before it") in html
    assert "last 12 months" not in html
    heads = re.findall(r'<th scope="col">(\w{3} \d{4})</th>', html)
    first = date(*((clock.today() - timedelta(days=40)).timetuple()[:2]), 1)
    assert heads == [f"{m:%b %Y}" for m in window if m >= first]
    if first != window[0]:
        assert f"until {first:%B %Y}, so the table starts there" in html


def test_trends_csv_has_the_same_figures_and_is_guarded_against_formulas(client):
    school, teacher, dsl, child = _setup()
    observation = _observe(school, child, teacher, days_ago=0)
    _correct_categories(observation, teacher, "=HYPERLINK(\"http://x\");+1;-2;@SUM(A1);\tTAB;hunger")
    login(client, dsl.email)
    response = client.get("/trends/trends.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["figure", "group", "detail", "count"]
    month = f"{TODAY:%Y-%m}"
    groups = {row[1] for row in rows if row[0] == "observations by category" and row[2] == month and row[3] == "1"}
    assert groups == {"'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "'\tTAB", "Hunger"}
    assert ["observations", "all categories", month, "1"] in rows
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    assert "Zoë" not in response.get_data(as_text=True)


def test_staff_cannot_see_trends_or_their_csv(client):
    school, teacher, dsl, child = _setup()
    login(client, teacher.email)
    assert client.get("/trends/").status_code == 403
    assert client.get("/trends/trends.csv").status_code == 403
    assert "/trends/" not in client.get("/observations/mine").get_data(as_text=True)
    admin = make_user(school, "admin")
    login(client, admin.email)
    assert client.get("/trends/").status_code == 403
