"""A referral that answers what a local authority's form asks (consent, the child's views, level of need,
a phone referral's deadline), what must not be shared with the family, support in school, a DSL's
profile, a school's levels of need, and imported history shown as imported."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from chronology.domain.deadlines import confirm_in_writing_by
from chronology.domain.family import MemberDraft
from chronology.extensions import db, limiter
from chronology.models import AuditEvent, LifeEvent, Observation, Referral, Review, School, User
from chronology.services import family
from chronology.services.clock import UK
from chronology.services.imports import import_observations
from tests.factories import login, make_child, make_school, make_user, post_form, record_concern
from tests.web.test_authorization_matrix import csrf_token

TODAY = date.today()
DAY = TODAY.strftime("%d/%m/%Y")


def _setting(client, *roles):
    school = make_school()
    dsl = make_user(school, list(roles) or "dsl")
    child = make_child(school, "Ottilie", "Roe")
    login(client, dsl.email)
    return school, dsl, child


def _referral(school, child, dsl, **fields) -> Referral:
    referral = Referral(school_id=school.id, child_id=child.id, agency="social-care",
                        referred_on=fields.pop("referred_on", TODAY), created_by_id=dsl.id, **fields)
    db.session.add(referral)
    db.session.commit()
    return referral


BASE = {"agency": "social-care", "referred_on": DAY, "status": "awaiting-response"}


# --- consent and who knows --------------------------------------------------------------------


def test_a_referral_records_the_consent_answers_the_childs_views_and_the_level_of_need(client):
    school, dsl, child = _setting(client)
    form = client.get(f"/children/{child.id}/referrals/new").get_data(as_text=True)
    assert "Declined by the family" in form and "Not needed: risk of significant harm" in form
    assert all(f'value="Level {n}"' in form for n in range(1, 5))
    response = post_form(client, f"/children/{child.id}/referrals/new", {
        **BASE, "parents_told": "yes", "consent": "given", "consent_by": "Mother (parental responsibility)",
        "consent_covers": "Ottilie and her baby brother", "child_views": "I want the shouting to stop.",
        "level_of_need": "Level 3", "by_phone": "1"})
    assert response.status_code == 302
    referral = db.session.scalars(select(Referral)).one()
    assert (referral.parents_told, referral.consent, referral.consent_by) == ("yes", "given",
                                                                              "Mother (parental responsibility)")
    assert referral.consent_covers == "Ottilie and her baby brother" and referral.level_of_need == "Level 3"
    assert referral.child_views == "I want the shouting to stop." and referral.by_phone is True
    page = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    assert "Consent to share: given by Mother (parental responsibility)" in page
    assert "I want the shouting to stop." in page and "Level of need: Level 3" in page


def test_consent_not_needed_for_risk_of_harm_is_one_choice_and_other_reasons_must_be_given(client):
    school, dsl, child = _setting(client)
    url = f"/children/{child.id}/referrals/new"
    refused = post_form(client, url, {**BASE, "parents_told": "no", "why_not_told": "", "consent": "not-needed",
                                      "consent_reason": "", "child_views": "Said: don't tell mum"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert 'id="why_not_told-error"' in html and 'id="consent_reason-error"' in html
    assert "Said: don&#39;t tell mum" in html  # kept as typed
    assert 'value="no" checked' in html
    done = post_form(client, url, {**BASE, "parents_told": "no", "why_not_told": "Telling them would put her at risk",
                                   "consent": "not-needed-harm", "consent_reason": ""})
    assert done.status_code == 302
    referral = db.session.scalars(select(Referral)).one()
    assert referral.consent == "not-needed" and referral.consent_reason == "Not needed: risk of significant harm"
    # The form gives the same choice back when the referral is opened again.
    again = client.get(f"/children/{child.id}/referrals/{referral.id}").get_data(as_text=True)
    assert 'value="not-needed-harm" checked' in again


def test_a_level_not_in_the_schools_list_is_refused_and_consent_changes_are_audited(client):
    school, dsl, child = _setting(client)
    referral = _referral(school, child, dsl)
    url = f"/children/{child.id}/referrals/{referral.id}"
    refused = post_form(client, url, {**BASE, "level_of_need": "Level 9"})
    assert refused.status_code == 400 and 'id="level_of_need-error"' in refused.get_data(as_text=True)
    assert post_form(client, url, {**BASE, "status": "declined-by-the-family", "consent": "refused",
                                   "consent_reason": "Father said no at the meeting"}).status_code == 302
    change = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.update")).one()
    detail = json.loads(change.detail)
    assert detail["status"]["to"] == "declined-by-the-family" and detail["consent"] == {"from": "", "to": "refused"}


hostile = st.one_of(st.sampled_from(["<script>alert(1)</script>", "x" * 5000, "yes", "no", "given",
                                     "not-needed-harm", "Level 2", "\u202e", ""]), st.text(max_size=120))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(a=hostile, b=hostile, c=hostile)
def test_the_consent_section_never_fails_whatever_is_typed(client, monkeypatch, a, b, c):
    monkeypatch.setattr(limiter, "enabled", False)
    school, dsl, child = _setting(client)
    response = post_form(client, f"/children/{child.id}/referrals/new", {
        **BASE, "agency_detail": c, "their_reference": b, "parents_told": a, "why_not_told": b, "consent": c,
        "consent_by": a, "consent_covers": b, "consent_reason": c, "child_views": a, "level_of_need": b,
        "by_phone": c})
    assert response.status_code in (302, 400), response.status_code
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


# --- a referral made by phone -------------------------------------------------------------------


def test_a_phone_referral_shows_its_written_deadline_on_the_dsls_home_page_until_confirmed(client):
    school, dsl, child = _setting(client)
    now = datetime.now(timezone.utc)
    fresh = _referral(school, child, dsl, by_phone=True, created_at=now - timedelta(hours=2))
    late = _referral(school, make_child(school, "Milo", "Vale"), dsl, by_phone=True,
                     referred_on=TODAY - timedelta(days=3), created_at=now - timedelta(days=3))
    _referral(school, make_child(school, "Ada", "Ness"), dsl, by_phone=False)
    _referral(school, make_child(school, "Ben", "Ness"), dsl, by_phone=True, confirmed_in_writing_at=now)
    # Moved from the school's old system: its written form is long settled.
    _referral(school, make_child(school, "Dee", "Old"), dsl, by_phone=True, imported_at=now,
              referred_on=date(2023, 5, 1))
    other_school = make_school()
    _referral(other_school, make_child(other_school, "Cy", "Far"), make_user(other_school, "dsl"), by_phone=True)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    panel = home[home.index('id="confirm-in-writing"'):home.index("</section>", home.index('id="confirm-in-writing"'))]
    deadline = confirm_in_writing_by(fresh.referred_on, fresh.created_at, UK)
    assert f"Confirm in writing by {deadline.astimezone(UK):%d/%m/%Y %H:%M}" in panel
    assert "Ottilie Roe" in panel and "Milo Vale" in panel
    assert "Ada Ness" not in panel and "Ben Ness" not in panel and "Cy Far" not in panel and "Dee Old" not in panel
    rows = panel.split("<li")
    assert "Overdue" in next(r for r in rows if "Milo Vale" in r)
    assert "Overdue" not in next(r for r in rows if "Ottilie Roe" in r)
    assert f'href="/children/{child.id}/export"' in panel
    assert panel.index("Milo Vale") < panel.index("Ottilie Roe")  # the nearest deadline first
    late.confirmed_in_writing_at = now
    fresh.confirmed_in_writing_at = now
    db.session.commit()
    assert 'id="confirm-in-writing"' not in client.get("/dsl/queue").get_data(as_text=True)


# --- not to be shared with the family -------------------------------------------------------------


def test_a_concern_is_marked_not_for_the_family_with_a_reason_and_the_mark_can_be_lifted(client):
    school, dsl, child = _setting(client)
    observation = record_concern(school, child, make_user(school, "staff"), occurred_on=TODAY - timedelta(days=2),
                                 today=TODAY)
    url = f"/children/{child.id}/withheld/observation/{observation.id}"
    refused = post_form(client, url, {"withheld": "1", "reason": ""})
    assert refused.status_code == 400 and 'id="reason-error"' in refused.get_data(as_text=True)
    assert post_form(client, url, {"withheld": "1", "reason": "Names the refuge the mother moved to"}).status_code == 302
    page = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    entry = page[page.index(f'id="observation-{observation.id}"'):]
    entry = entry[:entry.index("</li>")]
    assert "Not to be shared with the family" in entry and "Names the refuge the mother moved to" in entry
    assert "Lift the not-for-the-family mark" in entry
    assert post_form(client, url, {"withheld": "0", "reason": "Mother agreed it may be shared"}).status_code == 302
    assert family.withheld_marks(child) == []
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("withheld.%"))).all()
    assert events == ["withheld.create", "withheld.change"]


def test_a_mark_on_a_family_member_stays_with_them_when_their_details_change(client):
    school, dsl, child = _setting(client)
    member = family.save_member(child, dsl, MemberDraft(name="Sam Roe", relationship="father"), today=TODAY)
    changed = family.save_member(child, dsl, MemberDraft(name="Sam Roe", relationship="father", phone="0113 496 0001"),
                                 today=TODAY, record_key=member.record_key, reason="New number")
    # Marked from the record as it stands now (its second version)...
    assert post_form(client, f"/children/{child.id}/withheld/family-member/{changed.id}",
                     {"withheld": "1", "reason": "His new address must not reach the mother"}).status_code == 302
    family.save_member(child, dsl, MemberDraft(name="Sam Roe", relationship="father", phone="0113 496 0002"),
                       today=TODAY, record_key=member.record_key, reason="Another new number")
    # ...and still marked after a third.
    page = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    household = page[page.index('id="household"'):page.index('id="professionals"')]
    assert "His new address must not reach the mother" in household
    assert [m.record_id for m in family.withheld_marks(child)] == [member.id]


def test_a_record_of_another_child_cannot_be_marked(client):
    school, dsl, child = _setting(client)
    other = make_child(school, "Other", "Child")
    theirs = record_concern(school, other, dsl, occurred_on=TODAY - timedelta(days=1), today=TODAY)
    token = csrf_token(client)
    response = client.post(f"/children/{child.id}/withheld/observation/{theirs.id}",
                           data={"csrf_token": token, "withheld": "1", "reason": "x"})
    assert response.status_code == 404
    assert family.withheld_marks(other) == [] and family.withheld_marks(child) == []


# --- support in school --------------------------------------------------------------------------


def test_support_in_school_is_recorded_with_its_start_and_end_and_shown_in_the_chronology(client):
    school, dsl, child = _setting(client)
    url = f"/children/{child.id}/life-events/new"
    assert "Emotional literacy support (ELSA)" in client.get(url + "?kind=school-support").get_data(as_text=True)
    start = (TODAY - timedelta(days=30)).strftime("%d/%m/%Y")
    refused = post_form(client, url, {"kind": "school-support", "occurred_on": start, "ended_on": "soon",
                                      "note": "Weekly sessions", "significant": "1"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="support-error"' in html and 'id="ended_on-error"' in html
    assert 'value="soon"' in html and "Weekly sessions" in html
    end = (TODAY - timedelta(days=2)).strftime("%d/%m/%Y")
    assert post_form(client, url, {"kind": "school-support", "support": "mentoring", "occurred_on": start,
                                   "ended_on": end, "note": "Weekly sessions", "significant": "1"}).status_code == 302
    event = db.session.scalars(select(LifeEvent)).one()
    assert (event.kind, event.support, event.ended_on) == ("school-support", "mentoring", TODAY - timedelta(days=2))
    page = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    assert "Support in school: <strong>Mentoring</strong>" in page and f"From {start} to {end}" in page


def test_an_end_date_left_in_the_form_is_ignored_for_another_kind_of_event(client):
    school, dsl, child = _setting(client)
    assert post_form(client, f"/children/{child.id}/life-events/new", {
        "kind": "moved-house", "occurred_on": DAY, "ended_on": "not a date", "support": "elsa"}).status_code == 302
    event = db.session.scalars(select(LifeEvent)).one()
    assert event.ended_on is None and event.support == ""


# --- a DSL's profile and the school's levels of need --------------------------------------------


def test_a_dsl_sets_the_contact_a_referral_prints_and_a_bad_phone_keeps_what_was_typed(client):
    school, dsl, child = _setting(client)
    assert 'href="/profile"' in client.get("/dsl/queue").get_data(as_text=True)
    refused = post_form(client, "/profile", {"job_title": "Designated safeguarding lead", "phone": "ring the office",
                                             "secure_email": "dsl@oakfield.sch.uk"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="phone-error"' in html
    assert 'value="Designated safeguarding lead"' in html and 'value="dsl@oakfield.sch.uk"' in html
    assert post_form(client, "/profile", {"job_title": "Designated safeguarding lead", "phone": "0113 496 0000",
                                          "secure_email": "DSL@Oakfield.sch.uk"}).status_code == 302
    user = db.session.get(User, dsl.id)
    db.session.refresh(user)
    assert (user.job_title, user.phone, user.secure_email) == ("Designated safeguarding lead", "0113 496 0000",
                                                               "dsl@oakfield.sch.uk")
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "profile.change")).one().user_id == dsl.id


def test_an_admin_names_the_schools_levels_of_need_and_the_referral_form_offers_them(client):
    school = make_school()
    admin = make_user(school, "admin")
    dsl = make_user(school, "dsl")
    child = make_child(school)
    login(client, admin.email)
    assert 'href="/school/need-levels"' in client.get("/prompts/settings").get_data(as_text=True)
    too_long = post_form(client, "/school/need-levels", {"need_levels": "Universal\n" + "x" * 150})
    assert too_long.status_code == 400 and "Line 2 is too long" in too_long.get_data(as_text=True)
    assert "Universal" in too_long.get_data(as_text=True)
    levels = "Universal\nEarly help\nTargeted early help\nSpecialist: social care"
    assert post_form(client, "/school/need-levels", {"need_levels": levels + "\n\n"}).status_code == 302
    assert db.session.get(School, school.id).need_level_names == levels.split("\n")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "school.need-levels")).one()
    assert json.loads(event.detail)["to"][3] == "Specialist: social care" and event.user_id == admin.id
    login(client, dsl.email)
    form = client.get(f"/children/{child.id}/referrals/new").get_data(as_text=True)
    assert 'value="Specialist: social care"' in form and 'value="Level 1"' not in form


def test_staff_cannot_reach_the_profile_or_the_levels_and_the_refusal_is_audited(client):
    school = make_school()
    teacher = make_user(school, "staff")
    login(client, teacher.email)
    token = csrf_token(client)
    for url in ("/profile", "/school/need-levels"):
        assert client.get(url).status_code == 403
        assert client.post(url, data={"csrf_token": token, "need_levels": "Mine", "phone": "1"}).status_code == 403
    denials = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access-denied")).all()
    assert len(denials) == 4
    assert db.session.get(School, school.id).need_levels == ""


# --- imported history -------------------------------------------------------------------------


def test_imported_records_show_when_they_happened_and_that_they_were_imported(client):
    school, dsl, child = _setting(client)
    teacher = make_user(school, "staff", email="teacher@school.example.org")
    report = import_observations(school, (
        "upn,occurred_on,categories,source,description,recorded_by\r\n"
        f"{child.upn},2024-11-03,hunger,staff,Came in hungry on the paper record.,teacher@school.example.org\r\n"),
        dsl)
    assert report.ok, report.summary()
    imported_at = datetime.now(timezone.utc)
    event = LifeEvent(school_id=school.id, child_id=child.id, kind="moved-house", occurred_on=date(2024, 6, 1),
                      created_by_id=dsl.id, imported_at=imported_at, created_at=imported_at)
    observation = db.session.scalars(select(Observation).where(Observation.origin == "imported")).one()
    review = Review(school_id=school.id, child_id=child.id, observation_id=observation.id, decision="monitor",
                    reason="Monitor at breakfast club (from the paper file).", decided_on=date(2024, 11, 4),
                    created_by_id=dsl.id, imported_at=imported_at, created_at=imported_at)
    db.session.add_all([event, review])
    db.session.commit()
    typed = record_concern(school, child, teacher, occurred_on=TODAY - timedelta(days=1), today=TODAY)
    page = client.get(f"/children/{child.id}/chronology").get_data(as_text=True)
    for anchor in (f"observation-{observation.id}", f"life-event-{event.id}", f"review-{review.id}"):
        entry = page[page.index(f'id="{anchor}"'):]
        entry = entry[:entry.index("</li>")]
        assert f"imported on {imported_at.astimezone(UK):%d/%m/%Y}" in entry, anchor
        assert "recorded " not in entry.split('class="entry-body"')[0], anchor
    assert "03/11/2024" in page and "01/06/2024" in page and "04/11/2024" in page
    typed_entry = page[page.index(f'id="observation-{typed.id}"'):]
    assert "recorded " in typed_entry[:typed_entry.index("</li>")] and "imported on" not in \
        typed_entry[:typed_entry.index("</li>")]


def test_a_referral_can_ask_for_a_young_carers_assessment(client, app):
    from sqlalchemy import select as _select

    from chronology.models import Referral as _Referral
    from tests.factories import login as _login, make_child as _child, make_school as _school, make_user as _user

    school = _school()
    dsl, child = _user(school, "dsl"), _child(school)
    _login(client, dsl.email)
    url = f"/children/{child.id}/referrals/new"
    assert "A young carer&#39;s assessment" in client.get(url).get_data(as_text=True)
    response = post_form(client, url, {"agency": "young-carers", "kind": "young-carers-assessment",
                                       "referred_on": "02/03/2026", "status": "awaiting-response"})
    assert response.status_code == 302
    assert db.session.scalars(_select(_Referral)).one().kind == "young-carers-assessment"
    refused = post_form(client, url, {"agency": "young-carers", "kind": "something-else",
                                      "referred_on": "02/03/2026", "status": "awaiting-response"})
    assert "Choose what the referral asks for" in refused.get_data(as_text=True)
