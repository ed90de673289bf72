"""Reading the family, professionals, child's details and attendance forms, keeping every typed value."""

from __future__ import annotations

from ..domain.ids import record_id, whole_number

from typing import Any

from werkzeug.datastructures import MultiDict

from ..domain.family import AttendanceDraft, DetailsDraft, MemberDraft, ProfessionalDraft
from ..domain.vocabulary import Term
from .casework import read_dates
from .keys import key_from

Read = tuple[dict[str, str], Any, dict[str, str]]

# Yes / no / not known: the school often does not know, and a referral must say so rather than guess.
YES_NO_UNKNOWN = (Term("yes", "Yes"), Term("no", "No"), Term("", "Not known"))

MEMBER_FIELDS = ("name", "relationship", "date_of_birth", "approximate_age", "due_date", "lives_with_child",
                 "parental_responsibility", "phone", "email", "note", "sibling_upn", "sibling_child_id",
                 "sibling_query", "reason")
PROFESSIONAL_FIELDS = ("name", "role", "role_detail", "agency", "phone", "email", "from_on", "to_on", "note",
                       "reason")
DETAILS_FIELDS = ("address", "ethnicity", "religion", "first_language", "interpreter_needed", "sen_primary_need",
                  "communication_needs", "nhs_number", "reason")
ATTENDANCE_FIELDS = ("period_start", "period_end", "possible_sessions", "attended_sessions", "attendance_percent",
                     "reason")


def _typed(data: MultiDict, names: tuple[str, ...]) -> dict[str, str]:
    return {name: data.get(name, "") for name in names}


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def yes_no_value(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _uk(day) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def read_member(data: MultiDict) -> Read:
    """The draft has no sibling yet: the view finds the child (by UPN or the chosen one) at the school."""
    values = _typed(data, MEMBER_FIELDS)
    values["submission_key"] = key_from(data)
    dates, errors = read_dates(values, ("date_of_birth", "due_date"), ())
    draft = MemberDraft(
        name=values["name"], relationship=values["relationship"], date_of_birth=dates["date_of_birth"],
        approximate_age=values["approximate_age"], due_date=dates["due_date"],
        lives_with_child=_yes_no(values["lives_with_child"]),
        parental_responsibility=_yes_no(values["parental_responsibility"]),
        phone=values["phone"], email=values["email"], note=values["note"],
    )
    return values, draft, errors


def chosen_sibling_id(values: dict[str, str]) -> int | None:
    """The child chosen from the search results, if any (an id no row can have is no choice)."""
    raw = values.get("sibling_child_id", "")
    return record_id(raw)


def member_values(member) -> dict[str, str]:
    return {
        "name": member.name, "relationship": member.relationship_to_child,
        "date_of_birth": _uk(member.date_of_birth), "approximate_age": member.approximate_age,
        "due_date": _uk(member.due_date), "lives_with_child": yes_no_value(member.lives_with_child),
        "parental_responsibility": yes_no_value(member.parental_responsibility), "phone": member.phone,
        "email": member.email, "note": member.note, "sibling_upn": "",
        "sibling_child_id": str(member.sibling_child_id or ""), "sibling_query": "", "reason": "",
    }


def read_professional(data: MultiDict) -> Read:
    values = _typed(data, PROFESSIONAL_FIELDS)
    values["submission_key"] = key_from(data)
    dates, errors = read_dates(values, ("from_on", "to_on"), ())
    draft = ProfessionalDraft(
        name=values["name"], role=values["role"], role_detail=values["role_detail"], agency=values["agency"],
        phone=values["phone"], email=values["email"], from_on=dates["from_on"], to_on=dates["to_on"],
        note=values["note"],
    )
    return values, draft, errors


def professional_values(professional) -> dict[str, str]:
    return {
        "name": professional.name, "role": professional.role, "role_detail": professional.role_detail,
        "agency": professional.agency, "phone": professional.phone, "email": professional.email,
        "from_on": _uk(professional.from_on), "to_on": _uk(professional.to_on), "note": professional.note,
        "reason": "",
    }


def read_details(data: MultiDict) -> Read:
    values = _typed(data, DETAILS_FIELDS)
    draft = DetailsDraft(
        address=values["address"], ethnicity=values["ethnicity"], religion=values["religion"],
        first_language=values["first_language"], interpreter_needed=_yes_no(values["interpreter_needed"]),
        sen_primary_need=values["sen_primary_need"].strip(), communication_needs=values["communication_needs"],
        nhs_number=values["nhs_number"],
    )
    return values, draft, {}


def details_values(details) -> dict[str, str]:
    if details is None or details.removed:
        return {name: "" for name in DETAILS_FIELDS}
    values = {name: str(getattr(details, name) or "") for name in DETAILS_FIELDS if name != "reason"}
    values["interpreter_needed"] = yes_no_value(details.interpreter_needed)
    values["reason"] = ""
    return values


def _whole_number(values: dict[str, str], name: str, errors: dict[str, str]) -> int | None:
    raw = values[name].strip()
    if not raw:
        return None
    value = whole_number(raw, most=999_999)
    if value is None:
        errors[name] = "Enter a whole number of sessions, for example 140."
    return value


def _percent(values: dict[str, str], errors: dict[str, str]) -> float | None:
    raw = values["attendance_percent"].strip().rstrip("%").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors["attendance_percent"] = "Enter the percentage as a number, for example 92.5."
        return None
    if value != value:  # NaN is a float too, but no one's attendance
        errors["attendance_percent"] = "Enter the percentage as a number, for example 92.5."
        return None
    return value


def read_attendance(data: MultiDict) -> Read:
    values = _typed(data, ATTENDANCE_FIELDS)
    values["submission_key"] = key_from(data)
    dates, errors = read_dates(values, ("period_start", "period_end"), ())
    draft = AttendanceDraft(
        period_start=dates["period_start"], period_end=dates["period_end"],
        possible_sessions=_whole_number(values, "possible_sessions", errors),
        attended_sessions=_whole_number(values, "attended_sessions", errors),
        attendance_percent=_percent(values, errors),
    )
    return values, draft, errors


def attendance_values(period) -> dict[str, str]:
    given = period.possible_sessions is None  # the percentage came without the sessions
    return {
        "period_start": _uk(period.period_start), "period_end": _uk(period.period_end),
        "possible_sessions": "" if period.possible_sessions is None else str(period.possible_sessions),
        "attended_sessions": "" if period.attended_sessions is None else str(period.attended_sessions),
        "attendance_percent": f"{period.attendance_percent:g}" if given else "", "reason": "",
    }
