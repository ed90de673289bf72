"""The referral-ready PDF from the web: what it holds, what it hides, and who may export it."""

from __future__ import annotations

import io
import json
import re
import socket
import unicodedata
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from chronology import PROJECT_ROOT
from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import (
    AuditEvent, LifeEvent, Observation, ObservationVersion, Referral, Review,
)
from chronology.services import exports as export_service
from chronology.services import observations as observation_service
from tests.factories import csrf_from, login, make_child, make_school, make_user, post_form

TODAY = date.today()
STATIC = PROJECT_ROOT / "static"
# pygal (the timeline on the chronology page) leaves an old-style import hook on sys.meta_path that
# warns on every later import, such as WeasyPrint's lazy one; harmless, but the suite makes warnings errors.
pytestmark = pytest.mark.filterwarnings("ignore:.*PluginImportFixer.*:ImportWarning")
CAMHS_WORDS = "Jay was crying in the toilets. Mum said the CAMHS appointment was cancelled again."


def observe(school, child, author, *, days_ago=5, description=CAMHS_WORDS, categories=("emotional-wellbeing",),
            child_voice="", action_taken="Sat with Jay and told the DSL.", significant=False) -> Observation:
    draft = ObservationDraft(
        occurred_on=TODAY - timedelta(days=days_ago), occurred_time=None, occurred_approx=False,
        location="Year 5 classroom", categories=tuple(categories), source="staff", first_hand=True,
        description=description, child_voice=child_voice, action_taken=action_taken,
    )
    observation = observation_service.record_observation(school, child, author, draft, today=TODAY)
    if significant:
        observation.significant = True
        db.session.commit()
    return observation


def add_many(school, child, author, count: int, *, description=lambda i: f"Entry number {i}: came in hungry.") -> None:
    """Written straight to the tables, as an import would, so a long chronology is quick to build."""
    for i in range(count):
        observation = Observation(school_id=school.id, child=child, created_by=author)
        observation.versions.append(ObservationVersion(
            number=1, occurred_on=TODAY - timedelta(days=count - i), categories_text="hunger", source="staff",
            description=description(i), child_voice="", recorded_by=author))
        db.session.add(observation)
    db.session.commit()


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Extracted text with line breaks and runs of spaces made single spaces, in NFC."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


TABLE_HEAD = "Date What happened What the child said Recorded by Action taken Outcome "


def body_text(pages: list[str], running_head: str) -> str:
    """The document's flowing text: running heads and feet, and repeated table heads, taken out."""
    feet = re.compile(rf" {re.escape(running_head)} OFFICIAL-SENSITIVE Export id [0-9a-f]{{32}} "
                      r"OFFICIAL-SENSITIVE Page \d+ of \d+$")
    return " ".join(feet.sub("", flat(page)).removeprefix(TABLE_HEAD) for page in pages)


def export(client, child, **form):
    data = {"kind": "full", "reason": "", "withheld_names": "", **form}
    return post_form(client, f"/children/{child.id}/export", data)


def setup_school():
    school = make_school()
    teacher = make_user(school, "staff", name="Bartholomew Quince")
    dsl = make_user(school, "dsl", name="Henrietta Marlow")
    child = make_child(school)  # Zoë Nguyễn
    return school, teacher, dsl, child


def test_full_export_holds_every_element_with_the_words_verbatim(client):
    school, teacher, dsl, child = setup_school()
    worry = observe(school, child, teacher, child_voice="I don't want to go home tonight.")
    observe(school, child, teacher, days_ago=3, categories=("strength",),
            description="Zoë read her poem to the class and smiled when they clapped.", action_taken="")
    db.session.add(Review(school_id=school.id, child_id=child.id, observation_id=worry.id, decision="monitor",
                          reason="Check in with Zoë each morning this week.", decided_on=TODAY, created_by=dsl))
    db.session.add(Referral(school_id=school.id, child_id=child.id, agency="camhs", referred_on=TODAY - timedelta(days=2),
                            their_reference="MH-4471", status="accepted", outcome="Offered an assessment.",
                            outcome_on=TODAY, created_by=dsl))
    db.session.add(LifeEvent(school_id=school.id, child_id=child.id, kind="moved-house",
                             occurred_on=TODAY - timedelta(days=20), note="Moved to Nan's flat.", created_by=dsl))
    db.session.commit()
    login(client, dsl.email)

    assert "Export PDF" in client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    response = export(client, child, reason="Zoë has been upset most mornings and her CAMHS help keeps being cancelled.")

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Nguy" not in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    export_id = response.headers["X-Export-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", export_id)

    pages = pdf_pages(response.data)
    text = flat("\n".join(pages))
    for n, page in enumerate(pages, start=1):
        page = flat(page)
        assert "OFFICIAL-SENSITIVE" in page
        assert f"Page {n} of {len(pages)}" in page
        assert "Zoë Nguyễn" in page and "04/05/2015" in page
        assert export_id in page
    assert CAMHS_WORDS in text  # verbatim, not rewritten
    assert "(CAMHS: " in text and text.count("(CAMHS: ") == 1  # spelled out once, beside the words
    assert "I don't want to go home tonight." in text
    assert "Zoë read her poem to the class and smiled when they clapped." in text
    assert "Check in with Zoë each morning this week." in text
    assert "MH-4471" in text and "Offered an assessment." in text
    assert "Moved to Nan's flat." in text
    for heading in ("The child", "Why the school is worried", "Summary of concerns by category", "Chronology",
                    "What Zoë Nguyễn has said", "Referrals and their outcomes", "Strengths and what is going well",
                    "Patterns the system noticed, and what was done", "Glossary"):
        assert heading in text, heading
    assert "Zoë has been upset most mornings" in text
    assert "Produced by Henrietta Marlow" in text
    glossary = text[text.rindex("Glossary"):]
    assert "CAMHS" in glossary and "DSL" in glossary

    reader = PdfReader(io.BytesIO(response.data))
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged (PDF/UA-1)

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.pdf")).one()
    detail = json.loads(event.detail)
    assert event.user_id == dsl.id and event.child_id == child.id
    assert detail["export_id"] == export_id and detail["kind"] == "full"
    assert detail["options"] == {"hide_staff_names": False, "withheld_names": 0, "reason_given": True}


def test_multi_agency_export_needs_a_reason_and_holds_only_significant_events(client):
    school, teacher, dsl, child = setup_school()
    observe(school, child, teacher, description="Bruise on the left forearm, about the size of a thumb.",
            categories=("injury",), significant=True)
    observe(school, child, teacher, days_ago=4, description="Forgot her PE kit and borrowed one from the office.",
            categories=("clothing",))
    login(client, dsl.email)

    refused = export(client, child, kind="multi-agency", reason="  ")
    assert refused.status_code == 400
    assert "needs the reason for concern" in refused.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.pdf")) is None

    response = export(client, child, kind="multi-agency", reason="Repeated marks that Zoë cannot explain.")
    assert response.status_code == 200
    text = flat("\n".join(pdf_pages(response.data)))
    assert "Multi-agency chronology (significant events)" in text
    assert "Bruise on the left forearm, about the size of a thumb." in text
    assert "Forgot her PE kit" not in text
    assert "Repeated marks that Zoë cannot explain." in text
    detail = json.loads(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.pdf")).one().detail)
    assert detail["kind"] == "multi-agency"


def test_hidden_staff_names_are_really_absent(client):
    school, teacher, dsl, child = setup_school()
    worry = observe(school, child, teacher, action_taken="Told Henrietta Marlow at break.")
    db.session.add(Review(school_id=school.id, child_id=child.id, observation_id=worry.id, decision="monitor",
                          reason="Bartholomew Quince to keep an eye at lunch.", decided_on=TODAY, created_by=dsl))
    db.session.commit()
    login(client, dsl.email)

    shown = flat("\n".join(pdf_pages(export(client, child).data)))
    assert "Bartholomew Quince" in shown and "Henrietta Marlow" in shown

    response = export(client, child, hide_staff_names="1")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = flat("\n".join(page.extract_text() for page in reader.pages))
    metadata = " ".join(str(v) for v in (reader.metadata or {}).values())
    for name in ("Bartholomew", "Quince", "Henrietta", "Marlow"):
        assert name not in text and name not in metadata, name
    assert "Staff names are not shown in this copy." in text
    assert "Member of staff" in text and "[staff name withheld]" in text
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.pdf")
                                .order_by(AuditEvent.id)).all()
    assert [json.loads(e.detail)["options"]["hide_staff_names"] for e in events] == [False, True]


def test_withheld_names_are_absent_from_the_copy_and_the_record_is_unchanged(client):
    school, teacher, dsl, child = setup_school()
    # One written with a decomposed accent and a curly apostrophe, as some phones type it.
    decomposed = unicodedata.normalize("NFD", "Siobhán O\u2019Neill")
    words = f"Siobhán O'Neill from next door said she heard shouting. Later {decomposed} came to the gate."
    observation = observe(school, child, teacher, description=words, child_voice="Siobhán is nice to me.")
    login(client, dsl.email)

    response = export(client, child, withheld_names="Siobhán O'Neill\nsiobhán\n")
    assert response.status_code == 200
    text = flat("\n".join(pdf_pages(response.data)))
    assert "Siobh" not in text and "Neill" not in text
    assert "[name withheld] from next door said she heard shouting." in text
    assert "[name withheld] is nice to me." in text
    assert "Some names are withheld in this copy." in text
    db.session.expire_all()
    assert db.session.get(Observation, observation.id).current.description == words
    detail = json.loads(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.pdf")).one().detail)
    assert detail["options"]["withheld_names"] == 2 and "Siobh" not in json.dumps(detail)


def test_unicode_names_and_a_2000_character_entry_come_out_whole(client):
    school, teacher, dsl, _ = setup_school()
    child = make_child(school, "Siobhán", "O'Neill")
    sentence = "Ní raibh bricfeasta aici; she said Zoë Nguyễn shared toast with her at the gate before school. "
    long_words = (sentence * 30)[:2000].strip()
    assert len(long_words) >= 1990
    observe(school, child, teacher, description=long_words, categories=("hunger",))
    login(client, dsl.email)

    response = export(client, child)
    assert response.status_code == 200
    pages = pdf_pages(response.data)
    assert flat(long_words) in body_text(pages, "Siobhán O'Neill · born 04/05/2015")
    assert all("Siobhán O'Neill" in flat(page) for page in pages)


def test_a_300_entry_chronology_exports(client):
    school, teacher, dsl, child = setup_school()
    add_many(school, child, teacher, 300)
    login(client, dsl.email)

    response = export(client, child)
    assert response.status_code == 200
    pages = pdf_pages(response.data)
    text = flat("\n".join(pages))
    assert len(pages) > 5
    assert "Entry number 0: came in hungry." in text and "Entry number 299: came in hungry." in text
    assert f"Page {len(pages)} of {len(pages)}" in flat(pages[-1])
    assert "300 records, oldest first." in text


def test_only_a_dsl_of_the_childs_school_can_export(client):
    school, teacher, dsl, child = setup_school()
    admin = make_user(school, "admin")
    other = make_school("Elm Street Academy")
    other_dsl = make_user(other, "dsl")
    url = f"/children/{child.id}/export"

    for person, status in ((teacher, 403), (admin, 403), (other_dsl, 404)):
        login(client, person.email)
        assert client.get(url).status_code == status, person.email
        token = csrf_from(client.get("/", follow_redirects=True).get_data(as_text=True))  # the sign-out form's
        assert client.post(url, data={"kind": "full", "csrf_token": token}).status_code == status, person.email
    login(client, dsl.email)
    page = client.get(url)
    assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.pdf")) is None


def test_the_service_refuses_and_audits_anyone_who_is_not_a_dsl_there(app):
    school, teacher, _, child = setup_school()
    with pytest.raises(export_service.NotPermitted):
        export_service.export_pdf(child, teacher, export_service.ExportOptions("full"))
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.refused")).one()
    assert refused.user_id == teacher.id and refused.child_id == child.id


# --- The renderer's URL fetcher: no app or database needed ------------------------------------


def test_url_fetcher_serves_only_the_apps_static_files():
    fetcher = export_service.static_url_fetcher(STATIC)
    css = fetcher((STATIC / "app.css").resolve().as_uri())
    assert css.read() == (STATIC / "app.css").read_bytes()
    refused = [
        "https://example.org/logo.png",
        "http://127.0.0.1:5000/static/app.css",
        "ftp://example.org/x",
        "data:text/plain,hello",
        Path("/etc/passwd").as_uri(),
        (STATIC / ".." / "config.py").as_uri(),
        "file://attacker.example.org/share/x.css",
        (STATIC / "no-such-file.css").as_uri(),
    ]
    for url in refused:
        with pytest.raises(ValueError, match="refused"):
            fetcher(url)


def test_rendering_never_touches_the_network(monkeypatch):
    attempts = []

    def no_network(self, address):  # noqa: ANN001
        attempts.append(address)
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    html = ('<html lang="en"><head><title>t</title><link rel="stylesheet" href="https://example.org/x.css">'
            '</head><body><p>Hello</p><img src="http://example.org/pixel.png" alt=""></body></html>')
    pdf = export_service.render_pdf(html, STATIC)
    assert pdf.startswith(b"%PDF") and attempts == []


def test_recorded_words_are_escaped_spelled_out_once_and_never_rewritten():
    words = export_service.Wording(export_service.NameScreen({"Siobhán O'Neill": export_service.WITHHELD}))
    first = words.text('<img src="https://example.org/x.png"> CAMHS said Siobhán O\u2019Neill called.')
    assert str(first).startswith("&lt;img src=&#34;https://example.org/x.png&#34;&gt; CAMHS said [name withheld] called.")
    assert "(CAMHS: child and adolescent mental health services)" in str(first)
    again = words.text("CAMHS again; child and adolescent mental health services (DSL) already named.")
    assert "(CAMHS:" not in str(again) and "(DSL: designated safeguarding lead)" in str(again)
    # In a table cell the words stand alone: the acronym goes to the glossary, spelled out there only.
    assert str(words.cell("MASH said NFA.")) == "MASH said NFA."
    assert "(MASH:" not in str(words.text("The MASH again."))
    assert [term for term, _ in words.glossary()] == ["CAMHS", "DSL", "MASH", "NFA"]


def test_the_timeline_picture_is_in_the_export(client):
    school, teacher, dsl, child = setup_school()
    observe(school, child, teacher, days_ago=9, categories=("hunger",), description="Asked for food at 08:50.")
    observe(school, child, teacher, days_ago=4, categories=("hunger", "clothing"),
            description="No coat in the rain and asked for food again.")
    content = export_service.load_content(child, dsl, export_service.ExportOptions(kind="full"),
                                          export_id="abc123", produced_at=datetime.now(timezone.utc))
    html = export_service.render_html(content)
    assert "The pattern over time" in html
    svg = html[html.index("<svg"): html.index("</svg>")]
    assert svg.count('class="mark ') == 3  # one mark per category of each observation
    assert 'data-row="hunger"' in svg and 'data-row="clothing"' in svg
    login(client, dsl.email)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(export(client, child).data)).pages)
    assert "The pattern over time" in text
    assert "Concern" in text.split("The pattern over time")[1]  # the picture's legend is drawn in the PDF


def test_a_multi_agency_export_carries_only_prompts_a_dsl_looked_at(client):
    from chronology.models import Prompt

    school, teacher, dsl, child = setup_school()
    for days_ago in (20, 12, 3):
        observe(school, child, teacher, days_ago=days_ago, categories=("hunger",), significant=True,
                description="Asked for toast twice before the bell and ate it very quickly.")
    stored = db.session.scalars(select(Prompt).where(Prompt.child_id == child.id).order_by(Prompt.id)).all()
    assert len(stored) >= 2
    # One prompt seen by the DSL, the rest not (acknowledging through the page would take its group too).
    from chronology.models.types import utcnow
    stored[-1].status, stored[-1].acknowledged_by, stored[-1].acknowledged_at = "acknowledged", dsl, utcnow()
    db.session.commit()
    shared = {p.rule for p in db.session.scalars(select(Prompt).where(Prompt.child_id == child.id))
              if p.status in ("acknowledged", "actioned")}
    unseen = {p.rule for p in db.session.scalars(select(Prompt).where(Prompt.child_id == child.id))} - shared
    assert shared and unseen, "the test needs one prompt looked at and one not"
    login(client, dsl.email)
    for kind, expect_unseen in (("multi-agency", False), ("full", True)):
        response = export(client, child, kind=kind, reason="Repeated hunger, now shared with the team.")
        assert response.status_code == 200, kind
        text = flat(" ".join(pdf_pages(response.data)))
        for rule in shared:
            assert f"rule {rule}." in text, (kind, rule)
        for rule in unseen:
            assert (f"rule {rule}." in text) is expect_unseen, (kind, rule)
