"""The referral export from the web: the eleven questions a referral form asks, consent first, DSLs only."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from chronology.domain.prompts import age_on
from chronology.extensions import db
from chronology.models import AuditEvent, Observation, Referral
from chronology.services import casework, family
from chronology.services import exports as export_service
from chronology.services import referral_form as marf
from tests.factories import csrf_from, login, make_child, make_school, make_user, post_form
from tests.referral_records import (
    CHILD_VIEWS, REASON, TODAY, WHY_NOT_TOLD, days_ago, observe, pdf_pages, pdf_text, referral,
    referral_ready_child, section,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*PluginImportFixer.*:ImportWarning")
TITLES = marf.SECTION_TITLES


def export(client, child, **form):
    data = {"kind": "referral", "reason": REASON, "withheld_names": "", **form}
    return post_form(client, f"/children/{child.id}/export", data)


def sections(text: str) -> dict[int, str]:
    """Each numbered section's text, from its heading to the next (the last to the chronology)."""
    found = {}
    for n, title in enumerate(TITLES, start=1):
        following = f"{n + 1}. {TITLES[n]}" if n < len(TITLES) else "The significant chronology"
        found[n] = section(text, n, title, following)
    return found


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_referral_answers_each_of_the_eleven_questions_in_order(client):
    s = referral_ready_child()
    login(client, s.dsl.email)

    response = export(client, s.child)

    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    assert response.mimetype == "application/pdf" and "no-store" in response.headers["Cache-Control"]
    export_id = response.headers["X-Export-Id"]
    pages = pdf_pages(response.data)
    for n, page in enumerate(pages, start=1):
        assert "Zoë Nguyễn · born 04/05/2015" in page and "OFFICIAL-SENSITIVE" in page
        assert f"Page {n} of {len(pages)}" in page and export_id in page
    text = pdf_text(response.data)
    assert "Referral: what a multi-agency referral form asks" in text
    headings = [text.index(f"{n}. {title}") for n, title in enumerate(TITLES, start=1)]
    assert headings == sorted(headings)
    assert headings[-1] < text.index("The significant chronology") < text.index("Glossary")
    part = sections(text)

    assert ("Name Henrietta Marlow Job title Deputy headteacher and designated safeguarding lead "
            "School Oakfield Primary Phone 0113 496 0000 Secure email h.marlow@oakfield.sch.uk "
            f"Date of this referral {TODAY:%d/%m/%Y}") in part[1]
    assert ("This document is the written confirmation of the referral made by phone to Children's social care "
            f"on {days_ago(1):%d/%m/%Y}.") in part[1]
    assert "Were the parents or carers told about this referral? No" in part[2]
    assert f"Why they were not told {WHY_NOT_TOLD}" in part[2]
    assert "Consent to share information Consent was not needed" in part[2]
    assert "Why consent was not needed Not needed: risk of significant harm" in part[2]
    assert CHILD_VIEWS in part[3] and "Dale pushed mum and I got in the way." in part[3]
    age = age_on(s.child.date_of_birth, TODAY)
    for answer in ("Legal name Zoë Nguyễn", "Date of birth 04/05/2015", f"Age {age} years old", "Sex Female",
                   "Ethnicity Mixed: White and Asian", "Religion Buddhist", "First language Vietnamese",
                   "Needs an interpreter Yes", "Address 12 Elm Row, Leeds LS1 1AA",
                   "School and year group Oakfield Primary, year 5", f"Unique pupil number {s.child.upn}",
                   "Special educational needs: main need SLCN: Speech, language and communication needs",
                   "Communication needs Uses short sentences; give her time to answer.",
                   "National Health Service (NHS) number 943 476 5919"):
        assert answer in part[4], answer
    assert "Parents and carers with parental responsibility Linh Nguyễn (mother)" in part[5]
    assert ("Everyone living with Zoë Nguyễn Linh Nguyễn (mother); Dale Ormsby (mother's partner); "
            "Baby Ormsby (half-brother); Mia Nguyễn (sister)") in part[5].replace("half- brother", "half-brother")
    assert "Other people who matter in Zoë Nguyễn's life Thi Pham (grandmother)" in part[5]
    assert "Mia Nguyễn sister Not recorded Oakfield Primary (this school)" in part[5]
    assert "Not yet of school age" in part[5] and "07700 900123" in part[5] and "Collects Zoë on Fridays." in part[5]
    assert REASON in part[6] and "The 3 significant events" in part[6]
    assert "Early help plan started Family support worker visits weekly." in part[7]
    assert "Referral to early help Declined by the family" in part[7] and "Mum said no to a second plan." in part[7]
    assert "Emotional literacy support (ELSA) Weekly sessions with Mrs Lane." in part[7]
    assert f"{days_ago(90):%d/%m/%Y} to {days_ago(10):%d/%m/%Y}" in part[7]
    assert "Zoë read her poem to the class and smiled." in part[8] and "Injury 1" in part[8]
    assert "Family member: Dale Ormsby (mother's partner) Mum's partner must not learn that Zoë told us." in part[9]
    assert "Level of need the safeguarding lead judges Level 4" in part[10]
    assert "Levels in the local threshold document Level 1, Level 2, Level 3, Level 4" in part[10]
    assert "Dr Ada Field GP (family doctor) Elm Surgery 0113 496 0101" in part[11]
    assert "Pat Greaves Health visitor" in part[11] and "85.0% 119 of 140" in part[11]
    for n in (1, 2, 3, 6, 8, 9, 10):
        assert "Not recorded" not in part[n], n

    chronology = text[text.index("The significant chronology"):text.index("Glossary")]
    assert "Zoë arrived with a bruise on her cheek." in chronology
    assert "Forgot her PE kit again." not in chronology and "crying in the toilets" not in chronology

    [event] = events("export.pdf")
    detail = json.loads(event.detail)
    assert detail["export_id"] == export_id and detail["kind"] == "referral"
    assert detail["confirms_phone_referrals"] == [s.phone_referral.id]
    db.session.expire_all()
    phoned = db.session.get(Referral, s.phone_referral.id)
    assert phoned.confirmed_in_writing_at == event.at
    assert [e.object_id for e in events("referral.confirmed-in-writing")] == [phoned.id]
    assert all(r.confirmed_in_writing_at is None for r in db.session.scalars(select(Referral)) if not r.by_phone)

    again = pdf_text(export(client, s.child).data)
    assert "written confirmation of the referral made by phone" not in again
    assert json.loads(events("export.pdf")[-1].detail).get("confirms_phone_referrals") is None


def test_a_child_with_little_recorded_says_not_recorded_never_a_blank(client):
    school = make_school()
    teacher = make_user(school, "staff")
    dsl = make_user(school, "dsl", name="Ravi Okonkwo")
    child = make_child(school)
    observe(school, child, teacher, "Came in hungry and asked for toast twice.", categories=("hunger",))
    login(client, dsl.email)

    text = pdf_text(export(client, child).data)

    part = sections(text)
    assert f"Job title Not recorded School {school.name} Phone Not recorded Secure email {dsl.email}" in part[1]
    assert "Were the parents or carers told about this referral? Not recorded" in part[2]
    assert "Consent to share information Not recorded" in part[2]
    assert part[3].count("Not recorded") == 2
    for answer in ("Ethnicity Not recorded", "Religion Not recorded", "First language Not recorded",
                   "Needs an interpreter Not recorded", "Address Not recorded",
                   "Special educational needs: main need Not recorded", "National Health Service (NHS) number Not recorded"):
        assert answer in part[4], answer
    assert "Parents and carers with parental responsibility Not recorded" in part[5]
    assert "Everyone living with Zoë Nguyễn Not recorded" in part[5]
    assert "No records have been marked as significant yet." in part[6]
    assert part[7].count("Not recorded") == 3
    assert "Strengths and what keeps Zoë Nguyễn safe Not recorded" in part[8] and "Hunger 1" in part[8]
    assert "Not recorded" in part[9]
    assert "Level of need the safeguarding lead judges Not recorded" in part[10]
    assert part[11].count("Not recorded") == 2


def test_the_export_page_lists_the_empty_sections_and_warns_about_significance(client):
    school = make_school()
    teacher = make_user(school, "staff")
    dsl = make_user(school, "dsl")
    child = make_child(school)
    for n in range(11):
        observe(school, child, teacher, f"Came in hungry, day {n}.", categories=("hunger",), n=n + 2,
                significant=n < 2)
    login(client, dsl.email)

    page = client.get(f"/children/{child.id}/export").get_data(as_text=True)

    assert "2 of 11 records are marked significant: the receiving social worker will see only these." in page
    empty = re.search(r"<ul data-empty-sections>(.*?)</ul>", page, re.S).group(1)
    listed = re.findall(r"<li>(\d+)\. ", empty)
    assert listed == ["2", "3", "5", "7", "9", "10", "11"]
    assert "Household and family" in empty and "What the child thinks" in empty
    assert "Job title, Phone" in page  # within the referrer's section, still to be set on the profile

    for observation in db.session.scalars(select(Observation).where(Observation.significant.is_(False)).limit(4)):
        casework.mark_significant(child, dsl, "observation", observation.id, True)  # now 6 of 11
    assert "marked significant: the receiving" not in client.get(f"/children/{child.id}/export").get_data(as_text=True)


def test_the_significant_warning_reads_plainly():
    assert marf.significant_warning(2, 11) == (
        "2 of 11 records are marked significant: the receiving social worker will see only these.")
    assert marf.significant_warning(1, 3) == (
        "1 of 3 records is marked significant: the receiving social worker will see only this one.")
    assert marf.significant_warning(0, 1) == (
        "0 of 1 record is marked significant: the receiving social worker will see none of them.")
    assert marf.significant_warning(2, 4) is None and marf.significant_warning(0, 0) is None


def test_a_referral_to_social_care_needs_its_consent_answers_before_export(client):
    school = make_school()
    teacher = make_user(school, "staff")
    dsl = make_user(school, "dsl")
    child = make_child(school)
    observe(school, child, teacher, "Bruise on her arm.", categories=("injury",), significant=True)
    referral(child, dsl, "early-help", 30)
    to_social_care = referral(child, dsl, "social-care", 2, by_phone=True)
    login(client, dsl.email)

    page = client.get(f"/children/{child.id}/export").get_data(as_text=True)
    assert "The consent answers are needed first." in page
    assert f"/children/{child.id}/referrals/{to_social_care.id}" in page
    refused = export(client, child, reason="She is frightened of going home.")

    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "There is a problem" in html and "Before a referral to children&#39;s social care can be exported" in html
    assert "whether the parents or carers were told" in html and "Not needed: risk of significant harm" in html
    assert "She is frightened of going home." in html  # what was typed is kept
    assert 'value="referral" checked' in html
    assert events("export.pdf") == []
    [refusal] = events("export.refused")
    assert refusal.user_id == dsl.id and refusal.child_id == child.id
    assert json.loads(refusal.detail)["why"] == "consent answers missing"
    db.session.expire_all()
    assert db.session.get(Referral, to_social_care.id).confirmed_in_writing_at is None

    # The full chronology needs no consent answers, and "not needed" with its reason is an answer.
    assert export(client, child, kind="full").status_code == 200
    draft = casework.ReferralDraft(agency="social-care", agency_detail="", referred_on=days_ago(2), their_reference="",
                                   status="awaiting-response", outcome="", outcome_on=None, follow_up_on=None,
                                   parents_told="no", why_not_told="Mum's partner would find out.",
                                   consent="not-needed", consent_reason="Not needed: risk of significant harm",
                                   by_phone=True)
    casework.update_referral(db.session.get(Referral, to_social_care.id), child, dsl, draft, today=TODAY)
    assert "The consent answers are needed first." not in client.get(f"/children/{child.id}/export").get_data(as_text=True)
    response = export(client, child, reason="She is frightened of going home.")
    assert response.status_code == 200
    assert "Why consent was not needed Not needed: risk of significant harm" in pdf_text(response.data)


def test_a_latest_referral_to_another_agency_does_not_need_consent_answers(client):
    school = make_school()
    dsl = make_user(school, "dsl")
    child = make_child(school)
    referral(child, dsl, "social-care", 60)
    referral(child, dsl, "camhs", 3)
    login(client, dsl.email)
    response = export(client, child)
    assert response.status_code == 200
    # The consent answers still come from the latest referral to social care, which left them unanswered.
    assert "Consent to share information Not recorded" in pdf_text(response.data)


def test_staff_and_other_schools_cannot_export_a_referral_and_are_audited(client):
    s = referral_ready_child()
    other_dsl = make_user(make_school("Elm Street Academy"), "dsl")
    url = f"/children/{s.child.id}/export"

    for person, status in ((s.teacher, 403), (other_dsl, 404)):
        login(client, person.email)
        before = len(events("access-denied"))
        assert client.get(url).status_code == status
        token = csrf_from(client.get("/", follow_redirects=True).get_data(as_text=True))
        assert client.post(url, data={"kind": "referral", "reason": "x", "csrf_token": token}).status_code == status
        denied = events("access-denied")[before:]
        assert len(denied) == 2 and all(e.user_id == person.id for e in denied)
        assert all(json.loads(e.detail)["status"] == status for e in denied)
    assert events("export.pdf") == []
    db.session.expire_all()
    assert db.session.get(Referral, s.phone_referral.id).confirmed_in_writing_at is None


def test_hidden_staff_names_still_name_the_person_making_the_referral(client):
    s = referral_ready_child()
    login(client, s.dsl.email)
    text = pdf_text(export(client, s.child, hide_staff_names="1").data)
    assert "Bartholomew" not in text and "Quince" not in text
    assert "Name Henrietta Marlow" in text and "Produced by Henrietta Marlow" in text
    assert "except the name of the person making this referral" in text


def test_the_full_and_multi_agency_exports_show_the_household_professionals_and_attendance(client):
    s = referral_ready_child()
    bare = make_child(s.school, "Ola", "Brennan")
    login(client, s.dsl.email)

    for kind in ("full", "multi-agency"):
        text = pdf_text(export(client, s.child, kind=kind).data)
        household = text[text.index("Family and household"):text.index("Other professionals involved")]
        assert "Linh Nguyễn mother 01/06/1990" in household and "Yes Yes 07700 900123" in household
        assert "Mia Nguyễn sister Not recorded Oakfield Primary (this school)" in household
        professionals = text[text.index("Other professionals involved"):text.index("Attendance")]
        assert "Dr Ada Field GP (family doctor) Elm Surgery" in professionals
        assert "01/09/2025 to 19/12/2025 85.0% 119 of 140" in text
    text = pdf_text(export(client, bare, kind="multi-agency").data)
    assert "Not recorded: the school holds no family or household members for Ola Brennan." in text
    assert "Not recorded: the school holds no other professionals working with Ola Brennan" in text
    assert "Not recorded: the school holds no attendance figures for Ola Brennan." in text


def test_consent_given_says_by_whom_and_for_whose_information_and_withheld_records_are_named_by_date(app):
    school = make_school()
    teacher = make_user(school, "staff")
    dsl = make_user(school, "dsl")
    child = make_child(school)
    worry = observe(school, child, teacher, "Said she sleeps on the sofa at her aunt's.", categories=("housing",), n=8)
    referral(child, dsl, "early-help", 4, parents_told="yes", consent="given", consent_by="Her mother, Linh Nguyễn",
             consent_covers="Zoë's and her mother's information", level_of_need="Level 2")
    family.mark_withheld(child, dsl, "observation", worry.id, True, "The aunt has asked the school not to tell mum.")

    content = export_service.load_content(child, dsl, export_service.ExportOptions("referral", reason="Housing."),
                                          export_id="e" * 32, produced_at=datetime.now(timezone.utc))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", export_service.render_html(content))).replace("&#39;", "'")

    assert "Were the parents or carers told about this referral? Yes" in text
    assert "Consent to share information Consent to share was given" in text
    assert "Consent given by Her mother, Linh Nguyễn" in text
    assert "Whose information the consent covers Zoë's and her mother's information" in text
    assert "Why they were not told" not in text
    assert f"{days_ago(8):%d/%m/%Y} — Concern: Housing" in text
    assert "The aunt has asked the school not to tell mum." in text
    assert "Level of need the safeguarding lead judges Level 2" in text
