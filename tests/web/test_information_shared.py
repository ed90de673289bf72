"""Information shared with another agency, and decisions in the multi-agency chronology."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from chronology.extensions import db
from chronology.models import AuditEvent, InformationShared, RecordIsImmutable, Review
from chronology.services import casework
from tests.factories import login, make_child, make_school, make_user, post_form
from tests.web.test_exports import observe

pytestmark = pytest.mark.filterwarnings("ignore:.*PluginImportFixer.*:ImportWarning")
TODAY = date.today()
DAY = (TODAY - timedelta(days=2)).strftime("%d/%m/%Y")
WHAT = "Told the health visitor about the bruise on 30/11 and that Dad has moved back in."


def _setup():
    school = make_school()
    return school, make_user(school, "staff"), make_user(school, "dsl"), make_child(school)


def _share(client, child, **overrides):
    form = {"shared_on": DAY, "with_agency": "Health visiting team", "with_name": "Priya Shah, health visitor",
            "method": "secure-email", "what": WHAT, "significant": "1", **overrides}
    return post_form(client, f"/children/{child.id}/information-shared/new", form)


def _pdf_text(client, child, kind):
    response = post_form(client, f"/children/{child.id}/export",
                         {"kind": kind, "reason": "Worried about a bruise and who is at home.", "withheld_names": ""})
    assert response.status_code == 200
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.data)).pages)


def test_a_dsl_records_information_shared_and_it_is_in_the_chronology_and_both_pdfs(client):
    _school, _teacher, dsl, child = _setup()
    login(client, dsl.email)
    form = client.get(f"/children/{child.id}/information-shared/new").get_data(as_text=True)
    assert "Secure email" in form and "Meeting" in form and "Letter" in form
    response = _share(client, child)
    assert response.status_code == 302
    shared = db.session.scalars(select(InformationShared)).one()
    assert (shared.with_agency, shared.method, shared.what, shared.created_by_id) == (
        "Health visiting team", "secure-email", WHAT, dsl.id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "information-shared.create")).one()
    assert event.user_id == dsl.id and event.object_id == shared.id and json.loads(event.detail) == {"method": "secure-email"}
    page = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    assert f'id="information-shared-{shared.id}"' in page and WHAT in page and "Priya Shah, health visitor" in page
    for kind in ("full", "multi-agency", "referral"):  # the referral's significant chronology too
        pdf = _pdf_text(client, child, kind)
        assert "Information shared" in pdf and "Health visiting team" in pdf, kind
        assert "Dad has moved back in." in pdf, kind


def test_the_form_names_each_wrong_field_and_keeps_what_was_typed(client):
    _school, _teacher, dsl, child = _setup()
    login(client, dsl.email)
    response = _share(client, child, shared_on="31/02/2026", with_agency="  ", method="fax", what="",
                      with_name="Priya Shah <b>HV</b>")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for field in ("shared_on", "with_agency", "method", "what"):
        assert f'id="{field}-error"' in html, field
    assert "Say which agency or organisation" in html and "Choose how the information was shared." in html
    assert 'value="31/02/2026"' in html and 'value="Priya Shah &lt;b&gt;HV&lt;/b&gt;"' in html
    future = _share(client, child, shared_on=(TODAY + timedelta(days=3)).strftime("%d/%m/%Y"))
    assert future.status_code == 400 and "cannot be in the future" in future.get_data(as_text=True)
    assert WHAT in future.get_data(as_text=True)
    assert db.session.scalar(select(InformationShared).limit(1)) is None


def test_only_a_dsl_of_the_childs_school_can_add_it(client):
    _school, teacher, _dsl, child = _setup()
    other_school = make_school("Elmwood Academy")
    other_dsl = make_user(other_school, "dsl")
    url = f"/children/{child.id}/information-shared/new"
    login(client, teacher.email)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"what": WHAT}).status_code in (400, 403)
    login(client, other_dsl.email)
    assert client.get(url).status_code == 404
    assert client.get(f"/children/{child.id}/chronology").status_code == 404
    assert db.session.scalar(select(InformationShared).limit(1)) is None


def test_information_shared_and_decisions_are_never_changed_or_deleted_only_their_significance(app):
    school, teacher, dsl, child = _setup()
    concern = observe(school, child, teacher)
    review = casework.record_review(concern, dsl, "monitor", "Check in each morning.", TODAY, today=TODAY)
    review.reason = "Softened words"
    with pytest.raises(RecordIsImmutable):
        db.session.commit()
    db.session.rollback()
    shared = casework.record_information_shared(child, dsl, casework.SharingDraft(
        TODAY, "", "Police", "phone", WHAT), today=TODAY)
    shared.what = "Softened words"
    with pytest.raises(RecordIsImmutable):
        db.session.commit()
    db.session.rollback()
    for statement in ("UPDATE information_shared SET what = 'softened'", "DELETE FROM information_shared",
                      "UPDATE reviews SET reason = 'softened'"):
        with pytest.raises(DatabaseError):
            db.session.execute(text(statement))
            db.session.commit()
        db.session.rollback()
    db.session.execute(text("UPDATE information_shared SET significant = :no"), {"no": False})
    db.session.execute(text("UPDATE reviews SET significant = :yes"), {"yes": True})
    db.session.commit()
    assert db.session.scalars(select(InformationShared.what)).one() == WHAT
    assert db.session.scalars(select(Review.reason)).one() == "Check in each morning."


def test_a_decision_not_to_refer_is_in_the_multi_agency_pdf_though_its_concern_is_not_significant(client):
    school, teacher, dsl, child = _setup()
    quiet = observe(school, child, teacher, description="Came in hungry again and asked for toast.")
    observe(school, child, teacher, significant=True, description="Said Mum's partner shouted at her all night.")
    login(client, dsl.email)
    post_form(client, f"/dsl/observations/{quiet.id}/review",
              {"decision": "monitor", "reason": "Breakfast club offered; below the threshold for a referral.",
               "decided_on": TODAY.strftime("%d/%m/%Y")})
    pdf = _pdf_text(client, child, "multi-agency")
    assert "Breakfast club offered; below the threshold for a referral." in pdf
    assert "decision not to refer" in pdf
    assert "Came in hungry again" not in pdf.split("Chronology", 2)[-1].split("What Zo")[0]


def test_a_decision_can_itself_be_marked_significant_on_the_review_form(client):
    school, teacher, dsl, child = _setup()
    concern = observe(school, child, teacher, description="Jay said he sleeps on the sofa at his uncle's.")
    login(client, dsl.email)
    form = client.get(f"/dsl/observations/{concern.id}/review").get_data(as_text=True)
    assert 'name="significant"' in form
    refused = post_form(client, f"/dsl/observations/{concern.id}/review",
                        {"decision": "refer-social-care", "reason": "", "decided_on": "", "significant": "1"})
    assert refused.status_code == 400 and 'name="significant" value="1" checked' in refused.get_data(as_text=True)
    done = post_form(client, f"/dsl/observations/{concern.id}/review",
                     {"decision": "refer-social-care", "reason": "Private fostering may apply: social care to assess.",
                      "decided_on": TODAY.strftime("%d/%m/%Y"), "significant": "1"})
    assert done.status_code == 302
    review = db.session.scalars(select(Review)).one()
    assert review.significant
    pdf = _pdf_text(client, child, "multi-agency")
    assert "Private fostering may apply: social care to assess." in pdf
    page = client.get(f"/children/{child.id}/chronology?significant=1").get_data(as_text=True)
    assert f'id="review-{review.id}"' in page


def test_a_decision_and_information_shared_can_be_marked_and_unmarked_significant_from_the_chronology(client):
    school, teacher, dsl, child = _setup()
    concern = observe(school, child, teacher)
    review = casework.record_review(concern, dsl, "monitor", "Check in each morning.", TODAY, today=TODAY)
    shared = casework.record_information_shared(child, dsl, casework.SharingDraft(
        TODAY, "", "Police", "phone", WHAT), today=TODAY)
    login(client, dsl.email)
    chronology = f"/children/{child.id}/chronology"
    for record_type, record, now in (("review", review, True), ("information-shared", shared, False)):
        response = post_form(client, f"/children/{child.id}/significant",
                             {"record_type": record_type, "record_id": str(record.id), "significant": "1" if now else "0"},
                             form_url=chronology)
        assert response.status_code == 302 and response.headers["Location"].endswith(f"#{record_type}-{record.id}")
        db.session.expire_all()
        assert db.session.get(type(record), record.id).significant is now
    marks = db.session.scalars(select(AuditEvent.object_type).where(AuditEvent.action.like("significant.%"))).all()
    assert sorted(marks) == ["information-shared", "review"]


def test_information_shared_can_be_marked_not_for_the_family(client):
    _school, _teacher, dsl, child = _setup()
    shared = casework.record_information_shared(child, dsl, casework.SharingDraft(
        TODAY, "", "Police", "phone", WHAT), today=TODAY)
    login(client, dsl.email)
    url = f"/children/{child.id}/withheld/information-shared/{shared.id}"
    response = post_form(client, url, {"withheld": "1", "reason": "Names the address the mother moved to"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#information-shared-{shared.id}")
    page = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    entry = page[page.index(f'id="information-shared-{shared.id}"'):]
    entry = entry[:entry.index("</li>")]
    assert "Not to be shared with the family" in entry and "Names the address the mother moved to" in entry
