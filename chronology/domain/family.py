"""What a referral asks about a child's family, professionals, details and attendance: drafts and their checks.

Plain Python: the service, the pages and the imports all check a record with these, so they
can never disagree about what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .vocabulary import PROFESSIONAL_ROLE_SLUGS, SEN_NEED_CODES

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+() \-]{6,30}$")

# The longest each text may be: the columns' sizes, so a long paste is a message, not a database error.
MEMBER_LIMITS = {"name": 200, "relationship": 100, "approximate_age": 50, "email": 254}
PROFESSIONAL_LIMITS = {"name": 200, "role_detail": 200, "agency": 200, "email": 254}
MAX_SESSIONS = 1000
DETAILS_LIMITS = {"ethnicity": 100, "religion": 100, "first_language": 100}


def _length_problems(errors: dict[str, str], draft: object, limits: dict[str, int]) -> None:
    for name, limit in limits.items():
        if name not in errors and len(getattr(draft, name).strip()) > limit:
            errors[name] = f"Keep this under {limit} characters (it has {len(getattr(draft, name).strip())})."


@dataclass(frozen=True)
class MemberDraft:
    name: str
    relationship: str
    date_of_birth: date | None = None
    approximate_age: str = ""
    due_date: date | None = None
    lives_with_child: bool | None = None
    parental_responsibility: bool | None = None
    phone: str = ""
    email: str = ""
    note: str = ""
    # Another child of the school (its id), when this member is a sibling on the roll.
    sibling_child_id: int | None = None


@dataclass(frozen=True)
class ProfessionalDraft:
    name: str
    role: str
    role_detail: str = ""
    agency: str = ""
    phone: str = ""
    email: str = ""
    from_on: date | None = None
    to_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class DetailsDraft:
    address: str = ""
    ethnicity: str = ""
    religion: str = ""
    first_language: str = ""
    interpreter_needed: bool | None = None
    sen_primary_need: str = ""
    communication_needs: str = ""
    nhs_number: str = ""


@dataclass(frozen=True)
class AttendanceDraft:
    period_start: date | None
    period_end: date | None
    possible_sessions: int | None = None
    attended_sessions: int | None = None
    attendance_percent: float | None = None


def phone_problem(phone: str) -> str | None:
    if phone.strip() and not _PHONE.match(phone.strip()):
        return "Enter a phone number using digits, spaces and + ( ) - only, for example 0113 496 0000."
    return None


def _contact_problems(errors: dict[str, str], phone: str, email: str) -> None:
    if problem := phone_problem(phone):
        errors["phone"] = problem
    if email.strip() and not _EMAIL.match(email.strip()):
        errors["email"] = "Enter an email address like name@example.org."


def member_problems(draft: MemberDraft, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Enter the person's name (or 'Unborn baby' for a baby not yet born)."
    if not draft.relationship.strip():
        errors["relationship"] = "Say who they are to the child, for example mother, stepfather, baby brother."
    if draft.date_of_birth is not None and draft.date_of_birth > today:
        errors["date_of_birth"] = "A date of birth cannot be in the future; for an unborn baby give the due date."
    if draft.due_date is not None and draft.date_of_birth is not None:
        errors["due_date"] = "Give a date of birth or a due date, not both."
    _contact_problems(errors, draft.phone, draft.email)
    _length_problems(errors, draft, MEMBER_LIMITS)
    return errors


def professional_problems(draft: ProfessionalDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Enter the professional's name."
    if draft.role not in PROFESSIONAL_ROLE_SLUGS:
        errors["role"] = "Choose their role."
    elif draft.role == "other" and not draft.role_detail.strip():
        errors["role_detail"] = "Say what their role is, since you chose Other."
    if draft.from_on and draft.to_on and draft.to_on < draft.from_on:
        errors["to_on"] = "The end date cannot be before the start date."
    _contact_problems(errors, draft.phone, draft.email)
    _length_problems(errors, draft, PROFESSIONAL_LIMITS)
    return errors


def normal_nhs_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def nhs_number_ok(value: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    digits = normal_nhs_number(value)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def details_problems(draft: DetailsDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if draft.sen_primary_need and draft.sen_primary_need not in SEN_NEED_CODES:
        errors["sen_primary_need"] = ("Use one of the MIS codes: " + ", ".join(sorted(SEN_NEED_CODES)) + ".")
    if draft.nhs_number.strip() and not nhs_number_ok(draft.nhs_number):
        errors["nhs_number"] = "An NHS number is 10 digits, for example 943 476 5919; check each digit against the letter or record it came from."
    _length_problems(errors, draft, DETAILS_LIMITS)
    return errors


def attendance_problems(draft: AttendanceDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if draft.period_start is None:
        errors["period_start"] = "Enter the first day of the period."
    if draft.period_end is None:
        errors["period_end"] = "Enter the last day of the period."
    elif draft.period_start and draft.period_end < draft.period_start:
        errors["period_end"] = "The end of the period cannot be before its start."
    sessions = (draft.possible_sessions, draft.attended_sessions)
    if draft.attendance_percent is None and None in sessions:
        errors["possible_sessions"] = "Give the possible and attended sessions, or the attendance percentage."
    if draft.possible_sessions is not None and draft.possible_sessions <= 0:
        errors["possible_sessions"] = "Possible sessions must be more than 0."
    elif draft.possible_sessions is not None and draft.possible_sessions > MAX_SESSIONS:
        # Two sessions a school day: even a whole year is under 400.
        errors["possible_sessions"] = f"Possible sessions cannot be more than {MAX_SESSIONS}; check the figure."
    if draft.attended_sessions is not None and draft.attended_sessions < 0:
        errors["attended_sessions"] = "Attended sessions cannot be negative."
    elif draft.attended_sessions is not None and draft.attended_sessions > MAX_SESSIONS:
        errors["attended_sessions"] = f"Attended sessions cannot be more than {MAX_SESSIONS}; check the figure."
    if None not in sessions and draft.attended_sessions > draft.possible_sessions:  # type: ignore[operator]
        errors["attended_sessions"] = "Attended sessions cannot be more than the possible sessions."
    if draft.attendance_percent is not None and not 0 <= draft.attendance_percent <= 100:
        errors["attendance_percent"] = "The attendance percentage must be between 0 and 100."
    return errors


def attendance_percent(draft: AttendanceDraft) -> float:
    """The percentage as given, or worked out from the sessions, to one decimal place."""
    if draft.attendance_percent is not None:
        return round(draft.attendance_percent, 1)
    return round(100 * (draft.attended_sessions or 0) / (draft.possible_sessions or 1), 1)
