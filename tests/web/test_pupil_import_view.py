"""An admin uploads the school's MIS pupil export; every bad row is shown and nothing is half-written."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import Child
from tests.factories import csrf_from, login, make_school, make_user

HEADER = "UPN,Legal Forename,Preferred Forename,Legal Surname,DOB,Gender,Year Group,SEN Status"
UPN1, UPN2 = synthetic_upn(701), synthetic_upn(702)
GOOD = f"{HEADER}\r\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,K\r\n{UPN2},Siobhán,,O'Neill,30/09/2014,F,6,N\r\n"


def upload(client, data: bytes | None, filename: str = "pupils.csv"):
    """Post the file with the token from the page, as a browser would."""
    page = client.get("/pupils/import")
    assert page.status_code == 200
    form: dict[str, object] = {"csrf_token": csrf_from(page.get_data(as_text=True))}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return client.post("/pupils/import", data=form, content_type="multipart/form-data")


def children_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Child))


def signed_in_admin(client):
    school = make_school()
    admin = make_user(school, "admin")
    login(client, admin.email)
    return school


def test_admin_imports_pupils_and_sees_the_counts(client):
    school = signed_in_admin(client)
    response = upload(client, GOOD.encode("utf-8-sig"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 pupils added, 0 updated, 0 unchanged" in html
    names = {c.legal_forename: c for c in db.session.scalars(select(Child).where(Child.school_id == school.id))}
    assert set(names) == {"Zoë", "Siobhán"}
    assert names["Siobhán"].legal_surname == "O'Neill"


def test_the_page_labels_the_file_input(client):
    signed_in_admin(client)
    html = client.get("/pupils/import").get_data(as_text=True)
    assert '<label for="file">' in html and 'id="file"' in html and 'type="file"' in html
    assert 'enctype="multipart/form-data"' in html


def test_bad_rows_are_all_shown_and_nothing_is_written_then_the_fixed_file_imports(client):
    signed_in_admin(client)
    bad = GOOD.replace("30/09/2014", "31/09/2014") + f"{UPN1},Ann,,Lee,01/01/2016,F,4,N\r\n"
    response = upload(client, bad.encode("utf-8"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "Nothing was imported" in html
    assert "<td>3</td><td>DOB</td><td>&#39;31/09/2014&#39; is not a real date.</td>" in html
    assert f"<td>4</td><td>UPN</td><td>The UPN {UPN1} is also on line 2.</td>" in html
    assert children_count() == 0

    response = upload(client, GOOD.encode("utf-8"))
    assert response.status_code == 200
    assert children_count() == 2


def test_uploading_again_updates_instead_of_duplicating(client):
    signed_in_admin(client)
    assert upload(client, GOOD.encode("utf-8")).status_code == 200
    response = upload(client, GOOD.replace(",5,K", ",6,K").encode("utf-8"))
    assert "0 pupils added, 1 updated, 1 unchanged" in response.get_data(as_text=True)
    assert children_count() == 2
    # A pupil missing from a later export is reported, never removed: their record must not be lost.
    only_zoe = "\r\n".join(GOOD.split("\r\n")[:2]) + "\r\n"
    response = upload(client, only_zoe.encode("utf-8"))
    assert "1 pupil on the roll but not in this file: left unchanged." in response.get_data(as_text=True)
    assert children_count() == 2


def test_excel_windows_1252_export_keeps_accents(client):
    signed_in_admin(client)
    # Nguyễn has no Windows-1252 form, which is one reason to prefer "CSV UTF-8".
    assert upload(client, GOOD.replace("Nguyễn", "Nguyen").encode("cp1252")).status_code == 200
    assert db.session.scalar(select(Child.legal_forename).where(Child.upn == UPN1)) == "Zoë"


def test_a_utf8_file_with_one_windows_1252_byte_is_refused_with_where_and_how_to_fix_it(client):
    signed_in_admin(client)
    mixed = GOOD.encode("utf-8") + f"{synthetic_upn(703)},Zo".encode() + b"\xeb,,Roe,04/05/2015,F,5,N\r\n"
    response = upload(client, mixed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported" in html
    assert f"line 4, byte {len(synthetic_upn(703)) + 4} is 0xEB (ë in Windows-1252)" in html
    assert "File &gt; Save As &gt; CSV UTF-8 (Comma delimited)" in html
    assert children_count() == 0


def test_implausible_dates_of_birth_and_names_are_refused_row_by_row_and_nothing_is_written(client):
    signed_in_admin(client)
    today = date.today()
    upns = [synthetic_upn(710 + n) for n in range(7)]
    bad = GOOD + "".join(f"{upn},{forename},,{surname},{born},F,5,N\r\n" for upn, forename, surname, born in [
        (upns[0], "Ann", "Lee", "01/01/0001"),                       # line 4
        (upns[1], "Ann", "Lee", "01/01/1900"),                       # line 5
        (upns[2], "Ann", "Lee", f"{today:%d/%m/%Y}"),                # line 6: born today
        (upns[3], '"=HYPERLINK(""http://x"",""Ann"")"', "Lee", "04/05/2015"),  # line 7
        (upns[4], "Ann\x1b[31m", "Lee", "04/05/2015"),               # line 8
        (upns[5], "Ann", "\u202eeeL", "04/05/2015"),                 # line 9
        (upns[6], "Ann", "O'Neill-Zoë", "04/05/2015"),               # line 10: fine
    ])
    response = upload(client, bad.encode("utf-8"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported: 6 problems found on 6 lines." in html
    for line, column, reason in [
        (4, "DOB", "The date of birth 01/01/0001 makes this pupil over 25 years old today."),
        (5, "DOB", "The date of birth 01/01/1900 makes this pupil over 25 years old today."),
        (6, "DOB", "makes this pupil under 2 years old today"),
        (7, "Legal Forename", "A name cannot start with &#39;=&#39;: a spreadsheet would run it as a formula."),
        (8, "Legal Forename", "This name has an invisible control character in it (U+001B)."),
        (9, "Legal Surname", "(U+202E RIGHT-TO-LEFT OVERRIDE), so it would not show as typed."),
    ]:
        assert f"<td>{line}</td><td>{column}</td><td>" in html, line
        row = html.split(f"<td>{line}</td><td>{column}</td><td>", 1)[1].split("</td>", 1)[0]
        assert reason in row, (line, row)
    assert "<td>10</td>" not in html
    assert children_count() == 0


def test_no_file_an_empty_file_a_workbook_or_garbage_is_a_clear_message_not_a_crash(client):
    signed_in_admin(client)
    cases = [
        (None, "Choose the CSV file"),
        (b"", "The file is empty"),
        (b"PK\x03\x04" + bytes(range(256)), "Excel workbook"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"\x81\x8d\x8f\x90\x9d garbage", "cannot be read"),
        (b"just some words\nand more", "The heading row has no upn column"),
    ]
    for data, message in cases:
        response = upload(client, data, "pupils.xlsx" if data and data.startswith(b"PK") else "pupils.csv")
        assert response.status_code == 400, message
        assert message in response.get_data(as_text=True), message
    assert children_count() == 0


def test_a_post_without_the_csrf_token_is_refused(client):
    signed_in_admin(client)
    response = client.post("/pupils/import", data={"file": (io.BytesIO(GOOD.encode()), "pupils.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert children_count() == 0


def test_staff_and_dsl_may_not_import_pupils(client):
    school = make_school()
    for role in ("staff", "dsl"):
        user = make_user(school, role)
        login(client, user.email)
        refused = client.get("/pupils/import")
        assert refused.status_code == 403
        # The refusal page carries a valid token (for signing out), so the POST below fails on the role.
        token = csrf_from(refused.get_data(as_text=True))
        response = client.post("/pupils/import", content_type="multipart/form-data",
                               data={"csrf_token": token, "file": (io.BytesIO(GOOD.encode()), "pupils.csv")})
        assert response.status_code == 403
        client.post("/logout", data={"csrf_token": token})
    assert children_count() == 0


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/pupils/import")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    response = client.post("/pupils/import", data={})
    assert response.status_code in (302, 400)
    assert children_count() == 0
