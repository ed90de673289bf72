"""Hostile cells in every column of the new imports: refused with a reason or stored as written, never a crash."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.services.imports import import_pupils
from chronology.services.imports_casework import import_casework
from chronology.services.imports_family import import_attendance, import_contacts
from tests.factories import make_child, make_school, make_user, record_concern

HOSTILE = ["<script>alert('x')</script>", "'; DROP TABLE family_members; --", "=HYPERLINK(\"http://x\")",
           "\u202eevil\u202c", "Zoë Siobhán O'Neill Nguyễn", "\U0001F600" * 5, "a" * 5000, "9" * 40, "-1", "1e400",
           "NaN", "31/02/2025", "0000-00-00", "Y", "", " ", "\r\n", "not-needed", "Level 3"]
cells = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=200)), min_size=12, max_size=12)
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
UPN = synthetic_upn(951)
HEADERS = {
    "contacts": ("upn,name,relationship,date_of_birth,lives_with_child,parental_responsibility,phone,mobile,"
                 "email,sibling_upn,note"),
    "attendance": "upn,period_start,period_end,possible_sessions,attended_sessions,attendance_percent",
    "casework": ("upn,record,date,kind,agency,status,outcome,outcome_on,follow_up_on,note,recorded_by,"
                 "parents_told,consent,consent_by,level_of_need,support,ended_on,concern_date"),
    "pupils": ("upn,legal_forename,legal_surname,date_of_birth,gender,year_group,address,ethnicity,religion,"
               "first_language,interpreter_needed,sen_primary_need,communication_needs,nhs_number"),
}
IMPORTERS = {"contacts": import_contacts, "attendance": import_attendance, "casework": import_casework,
             "pupils": import_pupils}
# The cells that must be right for a row to reach the database, so the hostile ones are tested there too.
FIXED = {"contacts": {0: UPN}, "attendance": {0: UPN}, "pupils": {0: UPN, 3: "04/05/2015", 1: "Zoë", 2: "Roe"},
         "casework": {0: UPN, 10: "dsl@school.example.org"}}


@pytest.fixture
def setting(app):
    school = make_school()
    dsl = make_user(school, ["admin", "dsl"], email="dsl@school.example.org")
    child = make_child(school, upn=UPN, date_of_birth=date(2015, 5, 4))
    record_concern(school, child, dsl, occurred_on=date(2025, 11, 3), today=date(2025, 11, 3))
    return school, dsl


def _csv(values: list[str]) -> bytes:
    return ",".join('"' + v.replace('"', '""') + '"' for v in values).encode("utf-8")


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
def test_hostile_cells_are_refused_or_stored_never_a_crash(setting, kind):
    school, dsl = setting

    @FAST
    @given(values=cells)
    def check(values):
        width = len(HEADERS[kind].split(","))
        row = (values * 2)[:width]
        for index, fixed in FIXED[kind].items():
            row[index] = fixed
        if kind == "casework":
            row[1] = ["review", "referral", "life-event"][len(values[0]) % 3]
        body = HEADERS[kind].encode() + b"\r\n" + _csv(row) + b"\r\n"
        report = IMPORTERS[kind](school, body, dsl)
        assert report.ok or all(error.reason for error in report.errors)
        # Nothing is left half-written for the next example.
        assert not db.session.dirty and not db.session.new

    check()
