"""The timeline picture in a PDF: it fits the page, and a long chronology gets one picture a school year."""

from __future__ import annotations

import io
import os
from datetime import date

import pytest
from pypdf import PdfReader

from chronology.extensions import db
from chronology.models import Observation, ObservationVersion, Referral
from tests.factories import login, make_child, make_school, make_user, post_form
from tests.pdf_geometry import Extent, drawn_points, extent_of

pytestmark = pytest.mark.filterwarnings("ignore:.*PluginImportFixer.*:ImportWarning")
YEAR = date.today().year - 1  # a whole autumn term, in the past whatever day the tests run
MM = 72 / 25.4
# The PDF stylesheet's side margins (exports/_layout.html: 14mm); the running heads and feet sit in
# the top and bottom margins, so upwards and downwards the box is the page's own.
SIDE_MARGIN = 14 * MM


def _concern(school, child, author, on: date, words: str, *, urgent: bool = False, categories: str = "hunger"):
    """Written straight to the tables, as an import would, so the dates can be any day."""
    observation = Observation(school_id=school.id, child=child, created_by=author, urgent=urgent, significant=True)
    observation.versions.append(ObservationVersion(number=1, occurred_on=on, categories_text=categories,
                                                   source="staff", description=words, recorded_by=author))
    db.session.add(observation)
    return observation


def _autumn(school, child, teacher, dsl, year: int = YEAR) -> None:
    _concern(school, child, teacher, date(year, 8, 28), "Came to holiday club hungry.")
    _concern(school, child, teacher, date(year, 9, 15), "No coat in the rain.", categories="clothing")
    _concern(school, child, teacher, date(year, 10, 20), "Fell asleep in assembly.", categories="tiredness")
    _concern(school, child, teacher, date(year, 11, 24), "Told me Dad hit her.", urgent=True,
             categories="disclosure")
    db.session.add(Referral(school_id=school.id, child_id=child.id, agency="social-care",
                            referred_on=date(year, 12, 9), created_by=dsl))
    db.session.commit()


def _page_box(page) -> Extent:
    """Between the side margins, within the page: where anything may be drawn."""
    box = page.mediabox
    return Extent(float(box.left) + SIDE_MARGIN, float(box.bottom), float(box.right) - SIDE_MARGIN, float(box.top))


def _export(client, child, kind="full"):
    response = post_form(client, f"/children/{child.id}/export",
                         {"kind": kind, "reason": "Hunger, tiredness and a disclosure.", "withheld_names": ""})
    assert response.status_code == 200, response.status_code
    if os.environ.get("KEEP_PDF"):
        with open(os.environ["KEEP_PDF"], "wb") as out:
            out.write(response.data)
    return PdfReader(io.BytesIO(response.data))


def _setup():
    school = make_school()
    teacher, dsl, child = make_user(school, "staff"), make_user(school, "dsl"), make_child(school)
    return school, teacher, dsl, child


@pytest.mark.parametrize("kind", ["full", "multi-agency"])
def test_an_august_to_december_timeline_is_drawn_inside_the_pages_box(client, kind):
    school, teacher, dsl, child = _setup()
    _autumn(school, child, teacher, dsl)
    login(client, dsl.email)
    reader = _export(client, child, kind)
    for number, page in enumerate(reader.pages, start=1):
        drawn = extent_of(drawn_points(page))
        assert drawn.inside(_page_box(page)), f"page {number} draws outside its box: {drawn} in {_page_box(page)}"
    (pictured,) = [text for text in (page.extract_text() for page in reader.pages) if "The pattern over time" in text]
    # The picture's own labels, from September to December: the whole span, not cut at October.
    assert "Sep" in pictured and "Dec" in pictured and "Referral" in pictured


def test_a_chronology_over_several_years_has_one_readable_picture_per_school_year(client):
    school, teacher, dsl, child = _setup()
    for year in (YEAR - 2, YEAR - 1, YEAR):
        _autumn(school, child, teacher, dsl, year)
    login(client, dsl.email)
    reader = _export(client, child)
    for page in reader.pages:
        assert extent_of(drawn_points(page)).inside(_page_box(page))
    text = " ".join(page.extract_text() for page in reader.pages)
    # August belongs to the school year before it: four school years, the first with only an August.
    for start in (YEAR - 3, YEAR - 2, YEAR - 1, YEAR):
        assert f"September {start} to August {start + 1}" in text
