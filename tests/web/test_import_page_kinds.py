"""The admin's import page takes contacts, attendance, past casework and past concerns as well as pupils."""

from __future__ import annotations

import io
import re
from datetime import date

from sqlalchemy import func, select

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import AttendancePeriod, AuditEvent, FamilyMember, LifeEvent, Observation
from chronology.services import family
from tests.factories import csrf_from, login, make_child, make_school, make_user

UPN1, UPN2, UPN3 = synthetic_upn(901), synthetic_upn(902), synthetic_upn(903)
CONTACTS = ("UPN,Contact Name,Relationship to Pupil,Lives With Pupil,Parental Responsibility,Telephone,Sibling UPN\r\n"
            f"{UPN1},Dana Roe,Mother,Y,Y,0113 496 0000,\r\n{UPN1},Mia Roe,Sister,Y,,,{UPN2}\r\n")
CASEWORK = ("upn,record,date,kind,note,recorded_by\r\n"
            f"{UPN1},life-event,05/11/2025,moved-house,To her aunt's,{{email}}\r\n")
HISTORY = ("upn,occurred_on,categories,source,description,child_voice,action_taken,recorded_by\r\n"
           f"{UPN1},2025-11-03,hunger,staff,Came in hungry,,Gave toast,{{email}}\r\n")


def upload(client, kind: str, data: bytes, filename: str = "file.csv"):
    page = client.get(f"/pupils/import?kind={kind}")
    assert page.status_code == 200, page.status_code
    form = {"csrf_token": csrf_from(page.get_data(as_text=True)), "kind": kind,
            "file": (io.BytesIO(data), filename)}
    return client.post("/pupils/import", data=form, content_type="multipart/form-data")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _school(roles="admin"):
    school = make_school()
    user = make_user(school, roles)
    zoe = make_child(school, "Zoë", "Roe", upn=UPN1, date_of_birth=date(2015, 5, 4))
    mia = make_child(school, "Mia", "Roe", upn=UPN2, date_of_birth=date(2017, 6, 1))
    return school, user, zoe, mia


def test_the_page_offers_each_kind_of_file_with_its_own_label_and_button(client):
    school, admin, zoe, mia = _school()
    login(client, admin.email)
    html = client.get("/pupils/import").get_data(as_text=True)
    assert "<h1>Import pupils</h1>" in html and "Pupil list (CSV file)" in html
    for kind in ("contacts", "attendance"):
        assert f"/pupils/import?kind={kind}" in html
    html = client.get("/pupils/import?kind=contacts").get_data(as_text=True)
    assert "<h1>Import contacts</h1>" in html and '<label for="file">Contacts (CSV file)</label>' in html
    assert '<input type="hidden" name="kind" value="contacts">' in html
    assert 'aria-current="page"' in html
    assert client.get("/pupils/import?kind=nonsense").status_code == 404


def test_admin_imports_contacts_and_the_siblings_are_linked(client):
    school, admin, zoe, mia = _school()
    login(client, admin.email)
    response = upload(client, "contacts", CONTACTS.encode("utf-8-sig"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Contacts (family and household) imported" in html and "2 contacts added, 0 updated, 0 unchanged" in html
    assert {m.name for m in family.current(FamilyMember, zoe)} == {"Dana Roe", "Mia Roe"}
    assert family.siblings_at_school(mia) == [zoe]
    # The same file again adds no one.
    html = upload(client, "contacts", CONTACTS.encode()).get_data(as_text=True)
    assert "0 contacts added, 0 updated, 2 unchanged" in html
    assert count(FamilyMember) == 2


def test_every_bad_contact_row_is_shown_with_line_column_and_reason_and_nothing_is_written(client):
    school, admin, zoe, mia = _school()
    make_child(make_school("Elm Grove Academy"), upn=UPN3)
    login(client, admin.email)
    bad = CONTACTS + f"{UPN3},Sam Roe,Father,,,,\r\n{UPN1},Jo Roe,Brother,perhaps,,,\r\n{UPN1},Ann Roe,Sister,,,,{UPN3}\r\n"
    response = upload(client, "contacts", bad.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "Nothing was imported" in html
    assert f"<td>4</td><td>UPN</td><td>No child with the UPN {UPN3} is on this school&#39;s roll" in html
    assert "<td>5</td><td>Lives With Pupil</td><td>&#39;perhaps&#39; is not yes or no" in html
    assert f"<td>6</td><td>Sibling UPN</td><td>No child with the sibling UPN {UPN3}" in html
    assert count(FamilyMember) == 0


def test_admin_imports_attendance(client):
    school, admin, zoe, mia = _school()
    login(client, admin.email)
    body = f"UPN,Start Date,End Date,Attendance %\r\n{UPN1},01/09/2025,19/12/2025,88.5\r\n"
    html = upload(client, "attendance", body.encode()).get_data(as_text=True)
    assert "1 attendance period added" in html
    assert family.attendance_of(zoe)[0].attendance_percent == 88.5
    bad = upload(client, "attendance", (body + f"{UPN2},01/09/2025,19/12/2025,188\r\n").encode())
    assert bad.status_code == 400
    assert "<td>3</td><td>Attendance %</td>" in bad.get_data(as_text=True)
    assert count(AttendancePeriod) == 1


def test_an_admin_who_is_also_the_dsl_imports_past_casework_and_concerns(client):
    school, admin, zoe, mia = _school(["admin", "dsl"])
    login(client, admin.email)
    html = client.get("/pupils/import").get_data(as_text=True)
    assert "/pupils/import?kind=casework" in html and "/pupils/import?kind=history" in html
    response = upload(client, "history", HISTORY.format(email=admin.email).encode())
    assert "1 record imported" in response.get_data(as_text=True), response.get_data(as_text=True)
    response = upload(client, "casework", CASEWORK.format(email=admin.email).encode())
    assert "1 record imported" in response.get_data(as_text=True)
    assert (count(Observation), count(LifeEvent)) == (1, 1)


def test_every_kind_of_file_in_two_encodings_is_refused_on_the_page_and_nothing_is_written(client):
    school, admin, zoe, mia = _school(["admin", "dsl"])
    login(client, admin.email)
    # A good UTF-8 file with one row pasted in from a Windows-1252 file: "Zoë" as the byte 0xEB.
    pasted = f"{UPN2},Zo".encode() + b"\xeb"
    files = {"contacts": CONTACTS.replace("Dana Roe", "Dana Roë").encode(),
             "history": HISTORY.format(email=admin.email).replace("Came in", "Zoë came in").encode(),
             "casework": CASEWORK.format(email=admin.email).replace("aunt's", "aunt’s").encode(),
             # Nothing but digits and letters: only Excel's UTF-8 BOM says the file is UTF-8.
             "attendance": f"upn,period_start,period_end,attendance_percent\r\n{UPN1},01/09/2025,20/12/2025,94\r\n"
                           .encode("utf-8-sig")}
    for kind, body in files.items():
        data = body + pasted + b"\r\n"
        response = upload(client, kind, data)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, kind
        assert "Nothing was imported" in html and "is 0xEB (ë in Windows-1252)" in html, kind
        assert "CSV UTF-8 (Comma delimited)" in html, kind
    assert (count(FamilyMember), count(AttendancePeriod), count(Observation), count(LifeEvent)) == (0, 0, 0, 0)


def test_an_admin_who_is_not_a_dsl_may_not_import_or_probe_casework(client):
    school, admin, zoe, mia = _school()
    login(client, admin.email)
    html = client.get("/pupils/import").get_data(as_text=True)
    assert "kind=casework" not in html and "kind=history" not in html
    for kind, body in (("casework", CASEWORK), ("history", HISTORY)):
        refused = client.get(f"/pupils/import?kind={kind}")
        assert refused.status_code == 403
        token = csrf_from(refused.get_data(as_text=True))
        response = client.post("/pupils/import", content_type="multipart/form-data",
                               data={"csrf_token": token, "kind": kind,
                                     "file": (io.BytesIO(body.format(email=admin.email).encode()), "f.csv")})
        assert response.status_code == 403
    assert (count(Observation), count(LifeEvent)) == (0, 0)
    denials = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "access-denied")).all()
    assert len(denials) == 4 and all('"import"' in d for d in denials)


def test_staff_and_a_dsl_who_is_not_an_admin_are_refused_every_kind(client):
    school, admin, zoe, mia = _school()
    for role in ("staff", "dsl"):
        user = make_user(school, role)
        login(client, user.email)
        for kind in ("contacts", "attendance", "casework"):
            refused = client.get(f"/pupils/import?kind={kind}")
            assert refused.status_code == 403
            token = csrf_from(refused.get_data(as_text=True))
            response = client.post("/pupils/import", content_type="multipart/form-data",
                                   data={"csrf_token": token, "kind": kind,
                                         "file": (io.BytesIO(CONTACTS.encode()), "c.csv")})
            assert response.status_code == 403
        client.post("/logout", data={"csrf_token": token})
    assert count(FamilyMember) == 0


def test_an_admin_of_another_school_cannot_write_to_this_schools_children(client):
    school, admin, zoe, mia = _school()
    other = make_school("Elm Grove Academy")
    stranger = make_user(other, "admin")
    login(client, stranger.email)
    response = upload(client, "contacts", CONTACTS.encode())
    assert response.status_code == 400
    assert f"No child with the UPN {UPN1}" in response.get_data(as_text=True)
    assert count(FamilyMember) == 0


def test_importing_the_same_history_file_again_says_when_and_by_whom_it_was_imported(client):
    school, admin, zoe, mia = _school(["admin", "dsl"])
    login(client, admin.email)
    data = HISTORY.format(email=admin.email).encode()
    assert "1 record imported" in upload(client, "history", data).get_data(as_text=True)
    again = upload(client, "history", data).get_data(as_text=True)
    assert re.search(rf"Already imported on \d\d/\d\d/\d{{4}} at \d\d:\d\d by {re.escape(admin.name)}: "
                     r"nothing new in this file, so nothing was added\.", again), again
    assert count(Observation) == 1
