"""The DSL's Family and professionals section: household, professionals, the child's details and
attendance typed in on the child's page, each change kept with its reason, and who may do it."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from chronology.domain.family import MemberDraft
from chronology.extensions import db, limiter
from chronology.models import AttendancePeriod, AuditEvent, FamilyMember, Professional
from chronology.services import family
from tests.factories import csrf_from, login, make_child, make_school, make_user, post_form
from tests.web.test_authorization_matrix import csrf_token

TODAY = date.today()


def _setting(client):
    school = make_school()
    dsl = make_user(school, "dsl")
    child = make_child(school, "Ottilie", "Roe")
    login(client, dsl.email)
    return school, dsl, child


def _page(client, child) -> str:
    response = client.get(f"/children/{child.id}/chronology")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(html: str) -> str:
    """The Family and professionals section alone, so a check cannot pass on text elsewhere."""
    start = html.index('id="family"')
    return html[start:html.index("</section>\n</section>", start)]


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# --- household and family -------------------------------------------------------------------------


def test_a_dsl_adds_a_household_member_and_the_page_shows_them_with_not_recorded_where_empty(client):
    school, dsl, child = _setting(client)
    empty = _section(_page(client, child))
    assert empty.count("Not recorded") >= 3  # household, professionals, attendance and each detail
    response = post_form(client, f"/children/{child.id}/family/members/new", {
        "name": "Dana Roe", "relationship": "mother", "date_of_birth": "04/05/1990", "lives_with_child": "yes",
        "parental_responsibility": "yes", "phone": "0113 496 0000", "email": "", "note": "", "action": "save"})
    assert response.status_code == 302
    section = _section(_page(client, child))
    assert "Dana Roe" in section and "mother" in section and "04/05/1990" in section
    assert "0113 496 0000" in section
    [member] = family.current(FamilyMember, child)
    assert member.lives_with_child is True and member.parental_responsibility is True
    [event] = _events("family-member.create")
    assert event.user_id == dsl.id and event.child_id == child.id
    assert "Dana" not in event.detail  # the audit names fields, never a family's details


def test_a_baby_not_yet_born_is_a_member_with_a_due_date(client):
    school, dsl, child = _setting(client)
    due = (TODAY + timedelta(days=60)).strftime("%d/%m/%Y")
    post_form(client, f"/children/{child.id}/family/members/new", {
        "name": "Unborn baby", "relationship": "baby sister", "due_date": due, "lives_with_child": ""})
    section = _section(_page(client, child))
    assert f"Due {due} (not yet born)" in section
    assert family.current(FamilyMember, child)[0].lives_with_child is None


def test_a_refused_member_keeps_everything_typed_with_each_error_beside_its_field(client):
    school, dsl, child = _setting(client)
    typed = {"name": "", "relationship": "stepfather", "date_of_birth": "31/02/1980", "phone": "call me",
             "email": "not-an-address", "note": "Works nights; Zoë's words: \"he shouts\"", "approximate_age": "about 40"}
    response = post_form(client, f"/children/{child.id}/family/members/new", typed)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    for name in ("name", "date_of_birth", "phone", "email"):
        assert f'id="{name}-error"' in html, name
        assert f'href="#{name}"' in html, name
    assert 'value="stepfather"' in html and 'value="31/02/1980"' in html and 'value="about 40"' in html
    assert "Works nights; Zoë&#39;s words: &#34;he shouts&#34;" in html  # kept, and escaped
    assert family.current(FamilyMember, child) == []


def test_a_change_asks_for_a_reason_and_the_history_shows_every_version(client):
    school, dsl, child = _setting(client)
    first = family.save_member(child, dsl, MemberDraft(name="Lee Roe", relationship="father", lives_with_child=True),
                               today=TODAY)
    url = f"/children/{child.id}/family/members/{first.id}"
    changed = {"name": "Lee Roe", "relationship": "father", "lives_with_child": "no", "action": "save"}
    refused = post_form(client, url, changed)
    assert refused.status_code == 400 and 'id="reason-error"' in refused.get_data(as_text=True)
    assert 'value="Lee Roe"' in refused.get_data(as_text=True)
    done = post_form(client, url, {**changed, "reason": "Moved out in February"})
    assert done.status_code == 302
    [now] = family.current(FamilyMember, child)
    assert now.lives_with_child is False and now.id != first.id
    section = _section(_page(client, child))
    assert "Earlier versions (1)" in section
    history = client.get(f"/children/{child.id}/family/members/{now.id}/history").get_data(as_text=True)
    assert "Version 1" in history and "Version 2 (as it stands)" in history
    assert "Moved out in February" in history and dsl.name in history
    # Reading a record's versions, like reading the chronology, is audited.
    [viewed] = _events("family-member.history-view")
    assert viewed.user_id == dsl.id and viewed.child_id == child.id
    # The old version's id still opens the record as it stands now.
    assert 'value="no" checked' in client.get(url).get_data(as_text=True)


def test_removing_needs_a_reason_takes_the_member_off_the_page_and_keeps_the_record(client):
    school, dsl, child = _setting(client)
    member = family.save_member(child, dsl, MemberDraft(name="Sam Roe", relationship="uncle"), today=TODAY)
    url = f"/children/{child.id}/family/members/{member.id}/remove"
    assert "Sam Roe" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"reason": " "}).status_code == 400
    assert post_form(client, url, {"reason": "Recorded against the wrong child"}).status_code == 302
    assert "Sam Roe" not in _section(_page(client, child))
    versions = family.history(FamilyMember, child, member.record_key)
    assert [v.removed for v in versions] == [False, True]
    assert versions[1].reason == "Recorded against the wrong child"
    # A removed record cannot be changed or removed again; its history stays readable.
    assert client.get(f"/children/{child.id}/family/members/{member.id}").status_code == 404
    assert client.get(url).status_code == 404
    history = client.get(f"/children/{child.id}/family/members/{member.id}/history")
    assert history.status_code == 200 and "taken off the page" in history.get_data(as_text=True)


def test_a_sibling_at_the_school_is_linked_by_upn_and_both_chronologies_link_to_each_other(client):
    school, dsl, child = _setting(client)
    brother = make_child(school, "Milo", "Roe", year_group="2")
    response = post_form(client, f"/children/{child.id}/family/members/new", {
        "name": "Milo Roe", "relationship": "brother", "sibling_upn": brother.upn.lower(), "action": "save"})
    assert response.status_code == 302
    for here, there in ((child, brother), (brother, child)):
        html = _page(client, here)
        siblings = html[html.index('id="siblings"'):html.index('id="household"')]
        assert there.display_name in siblings
        assert f'href="/children/{there.id}/chronology"' in siblings


def test_a_sibling_is_found_by_name_and_chosen_without_losing_what_was_typed(client):
    school, dsl, child = _setting(client)
    sister = make_child(school, "Zoë", "Roe-Nguyễn")
    make_child(make_school(), "Zoe", "Roe-Nguyen")  # another school's child is never offered
    url = f"/children/{child.id}/family/members/new"
    found = post_form(client, url, {"name": "Zoë Roe-Nguyễn", "relationship": "sister", "sibling_query": "zoe roe",
                                    "action": "find"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and 'value="Zoë Roe-Nguyễn"' in html and 'value="sister"' in html
    assert html.count('name="sibling_child_id"') == 2  # "not at this school" and the one match
    assert f'value="{sister.id}"' in html
    assert not family.current(FamilyMember, child)  # searching saves nothing
    saved = post_form(client, url, {"name": "Zoë Roe-Nguyễn", "relationship": "sister",
                                    "sibling_child_id": str(sister.id), "action": "save"})
    assert saved.status_code == 302
    assert family.siblings_at_school(sister) == [child]


def test_a_sibling_upn_not_at_this_school_is_refused_beside_the_field(client):
    school, dsl, child = _setting(client)
    elsewhere = make_child(make_school(), "Ana", "Roe")
    for data in ({"sibling_upn": elsewhere.upn}, {"sibling_child_id": str(elsewhere.id)},
                 {"sibling_child_id": str(child.id)}):
        response = post_form(client, f"/children/{child.id}/family/members/new",
                             {"name": "Ana Roe", "relationship": "sister", **data})
        assert response.status_code == 400, data
        assert "Ana Roe" not in _section(_page(client, child))
    assert family.current(FamilyMember, child) == []


# --- professionals ------------------------------------------------------------------------------


def test_a_professional_is_added_and_changed_with_a_reason(client):
    school, dsl, child = _setting(client)
    url = f"/children/{child.id}/family/professionals/new"
    refused = post_form(client, url, {"name": "Jo Park", "role": "other", "from_on": "02/09/2025",
                                      "to_on": "01/09/2025"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="role_detail-error"' in html and 'id="to_on-error"' in html
    assert 'value="02/09/2025"' in html
    assert post_form(client, url, {"name": "Jo Park", "role": "health-visitor", "agency": "Elm Health Centre",
                                   "from_on": "02/09/2025"}).status_code == 302
    section = _section(_page(client, child))
    assert "Jo Park" in section and "Health visitor" in section and "Elm Health Centre" in section
    assert "from 02/09/2025 (still involved)" in section
    [row] = family.current(Professional, child)
    edit = f"/children/{child.id}/family/professionals/{row.id}"
    assert post_form(client, edit, {"name": "Jo Park", "role": "health-visitor", "agency": "Elm Health Centre",
                                    "from_on": "02/09/2025", "to_on": "01/02/2026",
                                    "reason": "Family moved away"}).status_code == 302
    assert family.current(Professional, child)[0].to_on == date(2026, 2, 1)
    assert [e.action for e in _events("professional.change")] == ["professional.change"]


# --- the child's details ----------------------------------------------------------------------


def test_the_childs_details_show_the_sen_label_and_a_bad_nhs_number_is_refused_as_typed(client):
    school, dsl, child = _setting(client)
    url = f"/children/{child.id}/details"
    refused = post_form(client, url, {"first_language": "Polish", "nhs_number": "943 476 5918"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="nhs_number-error"' in html and 'value="943 476 5918"' in html
    assert 'value="Polish"' in html
    assert post_form(client, url, {"first_language": "Polish", "interpreter_needed": "yes",
                                   "sen_primary_need": "SLCN", "nhs_number": "943 476 5919",
                                   "address": "1 Elm Row\nLeeds"}).status_code == 302
    section = _section(_page(client, child))
    assert "SLCN: Speech, language and communication needs" in section
    assert "943 476 5919" in section and "Polish" in section
    details = section[section.index('id="child-details"'):section.index('id="attendance"')]
    assert details.count("Not recorded") == 3  # ethnicity, religion, communication needs
    # A change after that asks why.
    again = post_form(client, url, {"first_language": "Polish", "sen_primary_need": "ASD"})
    assert again.status_code == 400 and 'id="reason-error"' in again.get_data(as_text=True)
    assert post_form(client, url, {"first_language": "Polish", "sen_primary_need": "ASD",
                                   "reason": "Assessed by the educational psychologist"}).status_code == 302
    history = client.get(f"/children/{child.id}/details/history").get_data(as_text=True)
    assert "Assessed by the educational psychologist" in history and "SLCN" in history


# --- attendance -------------------------------------------------------------------------------


def test_attendance_from_sessions_or_a_percentage_and_a_correction_with_a_reason(client):
    school, dsl, child = _setting(client)
    url = f"/children/{child.id}/attendance/new"
    refused = post_form(client, url, {"period_start": "01/09/2025", "period_end": "19/12/2025",
                                      "possible_sessions": "lots", "attended_sessions": "119"})
    assert refused.status_code == 400 and 'value="lots"' in refused.get_data(as_text=True)
    assert post_form(client, url, {"period_start": "01/09/2025", "period_end": "19/12/2025",
                                   "possible_sessions": "140", "attended_sessions": "119"}).status_code == 302
    assert post_form(client, url, {"period_start": "05/01/2026", "period_end": "27/03/2026",
                                   "attendance_percent": "91.5%"}).status_code == 302
    section = _section(_page(client, child))
    assert "119 of 140" in section and "85.0%" in section and "91.5%" in section
    autumn = family.attendance_of(child)[0]
    edit = f"/children/{child.id}/attendance/{autumn.id}"
    assert post_form(client, edit, {"possible_sessions": "140", "attended_sessions": "121"}).status_code == 400
    assert post_form(client, edit, {"possible_sessions": "140", "attended_sessions": "121",
                                    "period_start": "01/01/2000",  # the period's dates are not changed here
                                    "reason": "Two sessions were coded late, not absent"}).status_code == 302
    periods = family.attendance_of(child)
    assert [p.period_start for p in periods] == [date(2025, 9, 1), date(2026, 1, 5)]
    assert periods[0].attended_sessions == 121
    assert len(family.history(AttendancePeriod, child, autumn.record_key)) == 2


# --- who may, and what a bad id gets ----------------------------------------------------------


def _denials() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "access-denied"))


def test_staff_an_admin_and_another_schools_dsl_are_refused_and_nothing_is_saved(client):
    school = make_school()
    dsl = make_user(school, "dsl")
    child = make_child(school)
    member = family.save_member(child, dsl, MemberDraft(name="Dana Roe", relationship="mother"), today=TODAY)
    cases = ((make_user(school, "staff"), 403), (make_user(school, "admin"), 403),
             (make_user(make_school(), "dsl"), 404))
    for user, status in cases:
        login(client, user.email)
        token = csrf_token(client)
        for method, url in (("GET", f"/children/{child.id}/family/members/new"),
                            ("GET", f"/children/{child.id}/family/members/{member.id}"),
                            ("GET", f"/children/{child.id}/family/members/{member.id}/history"),
                            ("POST", f"/children/{child.id}/family/members/{member.id}/remove"),
                            ("POST", f"/children/{child.id}/details"),
                            ("POST", f"/children/{child.id}/withheld/family-member/{member.id}")):
            before = _denials()
            response = client.open(url, method=method, data={"reason": "x", "name": "Changed", "csrf_token": token})
            assert response.status_code == status, (user.email, url, response.status_code)
            assert _denials() == before + 1, (user.email, url)
            assert "Dana Roe" not in response.get_data(as_text=True)
    assert len(family.history(FamilyMember, child, member.record_key)) == 1
    assert family.details_of(child) is None


def test_a_record_of_another_child_or_an_impossible_id_is_not_found(client):
    school, dsl, child = _setting(client)
    other = make_child(school, "Other", "Child")
    theirs = family.save_member(other, dsl, MemberDraft(name="Kim Vale", relationship="aunt"), today=TODAY)
    before = _denials()
    for url in (f"/children/{child.id}/family/members/{theirs.id}",
                f"/children/{child.id}/family/members/{theirs.id}/history",
                f"/children/{child.id}/family/members/{theirs.id}/remove",
                f"/children/{child.id}/family/professionals/{theirs.id}",
                f"/children/{child.id}/family/members/99999999999999999999",
                f"/children/{child.id}/family/members/abc",
                f"/children/{child.id}/family/members/-1",
                f"/children/{child.id}/family/pets/{theirs.id}/history",
                f"/children/{child.id}/attendance/0",
                f"/children/{child.id}/withheld/family-member/{theirs.id}",
                f"/children/{child.id}/withheld/nonsense/1",
                f"/children/{child.id}/details/history"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Kim Vale" not in response.get_data(as_text=True)
    assert _denials() >= before + 5  # another child's record, by id, is an audited refusal
    token = csrf_from(_page(client, child))
    response = client.post(f"/children/{child.id}/family/members/{theirs.id}",
                           data={"csrf_token": token, "name": "Hijacked", "relationship": "x", "reason": "y"})
    assert response.status_code == 404
    assert family.current(FamilyMember, other)[0].name == "Kim Vale"


# --- never a 500 ----------------------------------------------------------------------------------

hostile = st.one_of(st.sampled_from(["<script>alert(1)</script>", "a" * 5000, "31/02/2026", "9" * 40, "-1",
                                     "1e309", "nan", "\u202e", "' OR 1=1 --", "", " "]), st.text(max_size=200))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(a=hostile, b=hostile, c=hostile)
def test_family_forms_never_fail_whatever_is_typed(client, monkeypatch, a, b, c):
    monkeypatch.setattr(limiter, "enabled", False)
    school, dsl, child = _setting(client)
    for url, data in (
        (f"/children/{child.id}/family/members/new",
         {"name": a, "relationship": b, "date_of_birth": c, "due_date": b, "phone": c, "email": a,
          "approximate_age": a, "sibling_upn": c, "sibling_child_id": b, "lives_with_child": c, "action": "save"}),
        (f"/children/{child.id}/family/members/new", {"sibling_query": a or "x", "action": "find"}),
        (f"/children/{child.id}/family/professionals/new",
         {"name": a, "role": b, "role_detail": a, "agency": a, "from_on": c, "to_on": b, "email": c}),
        (f"/children/{child.id}/details", {"ethnicity": a, "religion": a, "first_language": a, "nhs_number": b,
                                           "sen_primary_need": c, "interpreter_needed": b}),
        (f"/children/{child.id}/attendance/new", {"period_start": a, "period_end": b, "possible_sessions": c,
                                                  "attended_sessions": b, "attendance_percent": c}),
    ):
        response = post_form(client, url, data)
        assert response.status_code in (200, 302, 400), (url, response.status_code)
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
