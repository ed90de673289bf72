"""The export-pdf command: only a DSL of the school may export, and every export or refusal is audited."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from chronology.extensions import db
from chronology.models import AuditEvent, Observation, ObservationVersion
from chronology.services import clock
from tests.factories import make_child, make_school, make_user

# pygal (the timeline) leaves an old-style import hook that warns on WeasyPrint's lazy import.
pytestmark = pytest.mark.filterwarnings("ignore:.*PluginImportFixer.*:ImportWarning")
TODAY = clock.today()
WORDS = "Came in without a coat in the rain. Said the EHA worker visited on Monday."


def add_observation(school, child, author, words: str = WORDS, *, significant: bool = False) -> Observation:
    observation = Observation(school_id=school.id, child=child, created_by=author, significant=significant)
    observation.versions.append(ObservationVersion(
        number=1, occurred_on=TODAY - timedelta(days=2), categories_text="clothing", source="staff",
        description=words, child_voice="My coat is at Dad's.", action_taken="Lent a coat from lost property.",
        recorded_by=author))
    db.session.add(observation)
    db.session.commit()
    return observation


def flat_text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def setup_school():
    school = make_school()
    teacher = make_user(school, "staff", name="Ophelia Thistlewood")
    dsl = make_user(school, "dsl", name="Cornelius Brackenbury")
    child = make_child(school)
    add_observation(school, child, teacher)
    return school, teacher, dsl, child


def run(runner, school, child, email, out, *extra):
    return runner.invoke(args=["export-pdf", "--school", school.urn, "--upn", child.upn, "--kind", "full",
                               "--as", email, "--out", str(out), *extra])


def test_a_dsl_exports_a_pdf_to_a_file_and_the_export_is_audited(runner, tmp_path):
    school, teacher, dsl, child = setup_school()
    out = tmp_path / "chronology.pdf"

    result = run(runner, school, child, dsl.email, out)

    assert result.exit_code == 0, result.output
    export_id = re.search(r"export id ([0-9a-f]{32})", result.output).group(1)
    text = flat_text(out.read_bytes())
    assert WORDS in text and "EHA" in text[text.rindex("Glossary"):]  # a cell's acronym is in the glossary
    assert "OFFICIAL-SENSITIVE" in text and "Page 1 of" in text and export_id in text
    assert "Zoë Nguyễn" in text and "Ophelia Thistlewood" in text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.pdf")).one()
    detail = json.loads(event.detail)
    assert event.user_id == dsl.id and event.child_id == child.id and event.ip_address == "cli"
    assert detail["export_id"] == export_id and detail["kind"] == "full"


def test_hide_staff_names_leaves_no_staff_name_in_the_pdf(runner, tmp_path):
    school, teacher, dsl, child = setup_school()
    out = tmp_path / "hidden.pdf"

    result = run(runner, school, child, dsl.email, out, "--hide-staff-names", "--withhold", "Dad")

    assert result.exit_code == 0, result.output
    text = flat_text(out.read_bytes())
    for name in ("Ophelia", "Thistlewood", "Cornelius", "Brackenbury"):
        assert name not in text
    assert "My coat is at [name withheld]'s." in text
    detail = json.loads(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.pdf")).one().detail)
    assert detail["options"] == {"hide_staff_names": True, "withheld_names": 1, "reason_given": False}


def test_multi_agency_needs_a_reason_and_takes_it_from_the_command_line(runner, tmp_path):
    school, teacher, dsl, child = setup_school()
    add_observation(school, child, teacher, "Arrived with a split lip and would not say how.", significant=True)
    out = tmp_path / "ma.pdf"
    args = ["export-pdf", "--school", school.urn, "--upn", child.upn, "--kind", "multi-agency",
            "--as", dsl.email, "--out", str(out)]

    missing = runner.invoke(args=args)
    assert missing.exit_code != 0 and "reason for concern" in missing.output and not out.exists()

    result = runner.invoke(args=[*args, "--reason", "Injuries she will not explain, and no coat in winter."])
    assert result.exit_code == 0, result.output
    text = flat_text(out.read_bytes())
    assert "Arrived with a split lip and would not say how." in text and WORDS not in text
    assert "Injuries she will not explain, and no coat in winter." in text


@pytest.mark.parametrize("who", ["staff", "admin", "other-school-dsl", "unknown"])
def test_anyone_but_a_dsl_of_the_school_is_refused_and_the_refusal_audited(runner, tmp_path, who):
    school, teacher, dsl, child = setup_school()
    email = {
        "staff": lambda: teacher.email,
        "admin": lambda: make_user(school, "admin").email,
        "other-school-dsl": lambda: make_user(make_school("Elm Street Academy"), "dsl").email,
        "unknown": lambda: "nobody@school.example.org",
    }[who]()
    out = tmp_path / "refused.pdf"

    result = run(runner, school, child, email, out)

    assert result.exit_code != 0
    assert "is not a designated safeguarding lead" in result.output and "audit log" in result.output
    assert not out.exists()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.pdf")) is None
    refusal = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.refused")).one()
    assert refusal.school_id == school.id and json.loads(refusal.detail)["as"] == email


def test_an_unknown_child_is_a_clear_error(runner, tmp_path):
    school, teacher, dsl, child = setup_school()
    result = runner.invoke(args=["export-pdf", "--school", school.urn, "--upn", "A000000000000", "--kind", "full",
                                 "--as", dsl.email, "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "no child at" in result.output
