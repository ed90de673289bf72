"""The multi-agency PDF's layout: acronyms spelled out once and never in a cell, headings kept with their text."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from chronology.extensions import db
from chronology.models import Referral
from chronology.services import exports as export_service
from tests.factories import login, make_child, make_school, make_user, post_form
from tests.web.test_exports import observe

pytestmark = pytest.mark.filterwarnings("ignore:.*PluginImportFixer.*:ImportWarning")
TODAY = date.today()
OUTCOME = "MASH passed it to CAMHS; NFA from social care. MASH to review in 6 weeks."


def _referred_to_the_mash():
    school = make_school()
    teacher, dsl, child = make_user(school, "staff"), make_user(school, "dsl"), make_child(school)
    observe(school, child, teacher, significant=True, description="Said the CAMHS nurse had not rung back.")
    db.session.add(Referral(school_id=school.id, child_id=child.id, agency="other", agency_detail="MASH",
                            referred_on=TODAY - timedelta(days=2), status="not-accepted", outcome=OUTCOME,
                            outcome_on=TODAY, created_by=dsl))
    db.session.commit()
    return school, dsl, child


def _html(child, dsl, kind="multi-agency", reason="Worried since the MASH said NFA.") -> str:
    content = export_service.load_content(child, dsl, export_service.ExportOptions(kind=kind, reason=reason),
                                          export_id="e" * 32, produced_at=datetime.now(timezone.utc))
    return export_service.render_html(content)


def test_an_acronym_is_spelled_out_once_never_inside_a_table_cell_and_never_nested(app):
    _school, dsl, child = _referred_to_the_mash()
    for kind in ("multi-agency", "full", "referral"):
        html = _html(child, dsl, kind)
        cells = re.findall(r"<td\b.*?</td>", html, re.S)
        assert cells and not [cell for cell in cells if "spelled-out" in cell], kind
        notes = re.findall(r'<span class="spelled-out">(.*?)</span>', html)
        terms = [note.split(":")[0].strip("(") for note in notes]
        assert len(terms) == len(set(terms)), kind  # once each
        assert all(note.count("(") == 1 and note.count(")") == 1 for note in notes), notes  # never nested
        glossary = html[html.rindex("<h2>Glossary</h2>"):]
        for term in ("MASH", "NFA", "CAMHS"):
            assert f"<td>{term}</td>" in glossary, (kind, term)
    # In running text (the reason), the first use is spelled out beside the words, briefly.
    assert "(MASH: multi-agency safeguarding hub)" in _html(child, dsl)


def test_the_outcome_cell_of_a_multi_agency_pdf_stays_short(client):
    _school, dsl, child = _referred_to_the_mash()
    login(client, dsl.email)
    response = post_form(client, f"/children/{child.id}/export",
                         {"kind": "multi-agency", "reason": "Worried about Zoë.", "withheld_names": ""})
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "multi-agency safeguarding hub (where referrals" in text  # the glossary has the whole meaning
    assert "(MASH:" not in text and "(MASH) (MASH" not in text


def test_headings_are_kept_with_what_follows_them_in_every_pdf(app):
    _school, dsl, child = _referred_to_the_mash()
    for kind in ("multi-agency", "full", "referral"):
        style = _html(child, dsl, kind).split("<style>", 1)[1].split("</style>", 1)[0]
        rules = {selector.strip(): body for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", style)}
        heading_rules = " ".join(body for selector, body in rules.items()
                                 if {"h2", "h3"} & {s.strip() for s in selector.split(",")})
        assert "break-after: avoid" in heading_rules and "page-break-after: avoid" in heading_rules, kind


def _text_lines(page) -> list[tuple[float, str]]:
    """The page's own lines of text (not the picture's, drawn in form XObjects), lowest first, heads and feet left out."""
    found: list[tuple[float, str]] = []

    def visit(text, cm, tm, _font, _size):  # noqa: ANN001
        if text.strip():
            found.append((tm[5] * cm[3] + cm[5], text.strip()))

    page.extract_text(visitor_text=visit)
    return sorted(line for line in found if 62 < line[0] < 773)


def test_the_chronology_heading_is_never_left_at_the_foot_of_a_page_without_its_first_record(app):
    from flask import current_app

    school, dsl, child = _referred_to_the_mash()
    for i in range(6):
        observe(school, child, dsl, days_ago=10 + i, significant=True, child_voice="I was sad. " * (i * 5),
                description="Long description of what was seen. " * (i * 8 + 1))
    # Reasons of different lengths move the heading down the page until, for one of them, only the
    # heading and the table's caption fitted at the foot of a page and every record went over.
    for n in range(24, 31):
        options = export_service.ExportOptions(kind="multi-agency",
                                               reason="Worried about hunger and tiredness at home. " * (n * 2))
        content = export_service.load_content(child, dsl, options, export_id="e" * 32,
                                              produced_at=datetime.now(timezone.utc))
        pdf = export_service.render_pdf(export_service.render_html(content), current_app.static_folder)
        for page in PdfReader(io.BytesIO(pdf)).pages:
            lines = _text_lines(page)
            heading = [y for y, words in lines if words == "Chronology"]
            if heading:
                below = [words for y, words in lines if y < heading[0] and "oldest first" not in words]
                assert any(re.fullmatch(r"\d\d/\d\d/\d{4}", w) for w in below), (n, below[:5])
