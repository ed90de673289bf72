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
