"""The DSL's "Family and professionals" section of a child's page: who is in the child's life, who
works with them, the child's details and attendance, each change kept as a version with its reason;
and the marks that say a record must not be shared with the family."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..domain.family import attendance_problems, details_problems, member_problems, professional_problems
from ..domain.vocabulary import PROFESSIONAL_ROLES, SCHOOL_SUPPORTS, SEN_NEEDS, Term, label_for
from ..extensions import db
from ..forms import family as forms
from ..forms.keys import new_key
from ..models import AttendancePeriod, Child, ChildDetails, FamilyMember, Professional
from ..security import current_school, roles_required
from ..services import ServiceError, audit, clock, family as service
from ..services import observations as observation_service
from ..services.casework import InvalidRecord
from .saving import STATUS, save_failed

bp = Blueprint("family", __name__, url_prefix="/children")

SEN_CHOICES = tuple(Term(t.slug, f"{t.slug}: {t.label}") for t in SEN_NEEDS)


@bp.app_template_filter("professional_role_label")
def professional_role_label(slug: str) -> str:
    return label_for(PROFESSIONAL_ROLES, slug)


@bp.app_template_filter("sen_need_label")
def sen_need_label(code: str) -> str:
    return label_for(SEN_NEEDS, code)


@bp.app_template_filter("support_label")
def support_label(slug: str) -> str:
    return label_for(SCHOOL_SUPPORTS, slug)


@bp.app_template_global("age_on")
def age_on(born: date, on: date | None = None) -> int:
    """Age in whole years today (in the UK)."""
    on = on or clock.today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --- the section on the child's page --------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One current record, with what the page says beside it."""

    record: Any
    mark_id: int  # the id a not-for-the-family mark refers to (the record's first version)
    versions: int
    withheld: service.WithheldMark | None = None
    sibling: Child | None = None


@dataclass(frozen=True)
class FamilySection:
    members: list[Row]
    professionals: list[Row]
    details: ChildDetails | None
    details_versions: int
    attendance: list[Row]
    siblings: list[Child]
    # (record type, id) -> the mark, for the chronology's own entries
    withheld: dict[tuple[str, int], service.WithheldMark] = field(default_factory=dict)


def _rows(model, child: Child, record_type: str, marks: dict, records: list | None = None) -> list[Row]:
    records = service.current(model, child) if records is None else records
    if not records:
        return []
    first = service.first_version_ids(model, child)
    counts = service.version_counts(model, child)
    return [Row(r, first[r.record_key], counts[r.record_key], marks.get((record_type, first[r.record_key])))
            for r in records]


def family_section(child: Child) -> FamilySection:
    """What the section shows; read while the chronology is read (that view is already audited)."""
    marks = {(m.record_type, m.record_id): m for m in service.withheld_marks(child)}
    members = _rows(FamilyMember, child, "family-member", marks)
    sibling_ids = {r.record.sibling_child_id for r in members if r.record.sibling_child_id}
    siblings = service.siblings_at_school(child)
    on_roll = {c.id: c for c in siblings}
    for missing in sibling_ids - set(on_roll):
        found = db.session.get(Child, missing)
        if found is not None and found.school_id == child.school_id:
            on_roll[found.id] = found
    members = [Row(r.record, r.mark_id, r.versions, r.withheld, on_roll.get(r.record.sibling_child_id))
               for r in members]
    details = service.details_of(child)
    return FamilySection(
        members=members,
        professionals=_rows(Professional, child, "professional", marks),
        details=None if details is None or details.removed else details,
        details_versions=len(service.history(ChildDetails, child, service.details_key(child))) if details else 0,
        attendance=_rows(AttendancePeriod, child, "attendance", marks, service.attendance_of(child)),
        siblings=siblings,
        withheld=marks,
    )


# --- finding what a URL names ---------------------------------------------------------------------


def _child(child_id: int) -> Child:
    return observation_service.child_in_school(current_school(), child_id)


def _version(model, child: Child, version_id: int):
    """A version of one of the child's records; anything else is a 404, and the refusal is audited."""
    row = service.version_in_child(model, child, version_id)
    if row is None:
        audit.record_denial(404, school_id=child.school_id, object_type=service.KIND_OF[model],
                            object_id=version_id, child_id=child.id, reason="not-this-childs-record")
        abort(404)
    return row


def _current(model, child: Child, version_id: int):
    """The record as it stands now, from the id of any of its versions; a removed record is not found."""
    row = _version(model, child, version_id)
    newest = service.history(model, child, row.record_key)[-1]
    if newest.removed:
        abort(404)
    return newest


def _back(child: Child, anchor: str = "family"):
    return redirect(url_for("children.chronology", child_id=child.id) + f"#{anchor}")


def _saved(child: Child, row, what: str, anchor: str = "family"):
    flash(f"{what} saved." if row is not None else "Nothing was changed.", "success")
    return _back(child, anchor)


def _attempt(save: Callable[[], Any], unreadable: dict[str, str], problems: Callable[[], dict[str, str]],
             what: str, field_name: str) -> tuple[Any, dict[str, str] | None, int]:
    """Run a save; on refusal, every problem at once (what could not be read and what the rules refuse)."""
    if unreadable:
        return None, {**problems(), **unreadable}, 400
    try:
        return save(), None, 200
    except InvalidRecord as invalid:
        return None, invalid.errors, 400
    except ServiceError as refused:
        return None, {refused.field or field_name: refused.message}, 400
    except SQLAlchemyError as error:
        return None, save_failed(error, what, field_name), STATUS


def _need_reason(values: dict[str, str], errors: dict[str, str], message: str) -> None:
    if not values.get("reason", "").strip():
        errors["reason"] = message


# --- family and household members ----------------------------------------------------------------


def _render_member(child: Child, values, errors, member=None, options=None, searched=False, status=200):
    # The child already chosen (or linked) stays offered, checked, beside any new search's results.
    chosen_id = forms.chosen_sibling_id(values)
    found = db.session.get(Child, chosen_id) if chosen_id else None
    current_sibling = found if found is not None and found.school_id == child.school_id else None
    versions = service.history(FamilyMember, child, member.record_key) if member is not None else []
    return render_template("children/member_form.html", child=child, values=values, errors=errors,
                           member=member, versions=versions, yes_no=forms.YES_NO_UNKNOWN,
                           options=[o for o in (options or []) if not current_sibling or o.id != current_sibling.id],
                           current_sibling=current_sibling, searched=searched), status


def _member_draft(child: Child, values, draft, errors):
    """The draft with its sibling: a UPN typed wins over a child chosen from the search."""
    from dataclasses import replace

    upn = values.get("sibling_upn", "").strip()
    if upn:
        sibling = service.child_by_upn(child, upn)
        if sibling is None:
            errors["sibling_upn"] = "No child at this school has that UPN. Check it, or search by name."
            return draft
        return replace(draft, sibling_child_id=sibling.id)
    return replace(draft, sibling_child_id=forms.chosen_sibling_id(values))


def _searching(values) -> bool:
    # Enter in any box sends the form with its first button, the search's; with nothing to search
    # for, that is a save.
    return request.form.get("action") == "find" and bool(values.get("sibling_query", "").strip())


@bp.route("/<int:child_id>/family/members/new", methods=["GET", "POST"])
@roles_required("dsl")
def new_member(child_id: int):
    child = _child(child_id)
    if request.method == "GET":
        return _render_member(child, {**{name: "" for name in forms.MEMBER_FIELDS}, "submission_key": new_key()}, {})
    values, draft, errors = forms.read_member(request.form)
    if _searching(values):
        return _render_member(child, values, {}, options=service.find_sibling_options(child, values["sibling_query"]),
                              searched=True)
    draft = _member_draft(child, values, draft, errors)
    row, refused, status = _attempt(
        lambda: service.save_member(child, current_user, draft, today=clock.today(),
                                    submission_key=values["submission_key"]), errors,
        lambda: member_problems(draft, clock.today()), "a family member", "name")
    if refused is not None:
        return _render_member(child, values, refused, status=status)
    return _saved(child, row, "Family member")


@bp.route("/<int:child_id>/family/members/<int:member_id>", methods=["GET", "POST"])
@roles_required("dsl")
def edit_member(child_id: int, member_id: int):
    child = _child(child_id)
    member = _current(FamilyMember, child, member_id)
    if request.method == "GET":
        service.record_view(FamilyMember, child, current_user, member.record_key)
        return _render_member(child, forms.member_values(member), {}, member=member)
    values, draft, errors = forms.read_member(request.form)
    if _searching(values):
        return _render_member(child, values, {}, member=member, searched=True,
                              options=service.find_sibling_options(child, values["sibling_query"]))
    draft = _member_draft(child, values, draft, errors)
    if errors:
        _need_reason(values, errors, "Say why this is being changed: the earlier version stays on record.")
    row, refused, status = _attempt(
        lambda: service.save_member(child, current_user, draft, today=clock.today(), record_key=member.record_key,
                                    reason=values["reason"]),
        errors, lambda: member_problems(draft, clock.today()), "a family member", "name")
    if refused is not None:
        return _render_member(child, values, refused, member=member, status=status)
    return _saved(child, row, "Family member")


# --- professionals ----------------------------------------------------------------------------


def _render_professional(child: Child, values, errors, professional=None, status=200):
    versions = service.history(Professional, child, professional.record_key) if professional is not None else []
    return render_template("children/professional_form.html", child=child, values=values, errors=errors,
                           professional=professional, versions=versions, roles=PROFESSIONAL_ROLES), status


@bp.route("/<int:child_id>/family/professionals/new", methods=["GET", "POST"])
@roles_required("dsl")
def new_professional(child_id: int):
    child = _child(child_id)
    if request.method == "GET":
        return _render_professional(child, {**{name: "" for name in forms.PROFESSIONAL_FIELDS},
                                            "submission_key": new_key()}, {})
    values, draft, errors = forms.read_professional(request.form)
    row, refused, status = _attempt(lambda: service.save_professional(child, current_user, draft,
                                                                      submission_key=values["submission_key"]),
                                    errors,
                                    lambda: professional_problems(draft), "a professional", "name")
    if refused is not None:
        return _render_professional(child, values, refused, status=status)
    return _saved(child, row, "Professional")


@bp.route("/<int:child_id>/family/professionals/<int:professional_id>", methods=["GET", "POST"])
@roles_required("dsl")
def edit_professional(child_id: int, professional_id: int):
    child = _child(child_id)
    professional = _current(Professional, child, professional_id)
    if request.method == "GET":
        service.record_view(Professional, child, current_user, professional.record_key)
        return _render_professional(child, forms.professional_values(professional), {}, professional)
    values, draft, errors = forms.read_professional(request.form)
    if errors:
        _need_reason(values, errors, "Say why this is being changed: the earlier version stays on record.")
    row, refused, status = _attempt(
        lambda: service.save_professional(child, current_user, draft, record_key=professional.record_key,
                                          reason=values["reason"]),
        errors, lambda: professional_problems(draft), "a professional", "name")
    if refused is not None:
        return _render_professional(child, values, refused, professional, status=status)
    return _saved(child, row, "Professional")


# --- the child's details ----------------------------------------------------------------------


@bp.route("/<int:child_id>/details", methods=["GET", "POST"])
@roles_required("dsl")
def edit_details(child_id: int):
    child = _child(child_id)
    held = service.details_of(child)
    versions = service.history(ChildDetails, child, service.details_key(child)) if held else []

    def render(values, errors, status=200):
        return render_template("children/details_form.html", child=child, values=values, errors=errors,
                               held=held, versions=versions, yes_no=forms.YES_NO_UNKNOWN,
                               sen_needs=SEN_CHOICES), status

    if request.method == "GET":
        if held is not None:
            service.record_view(ChildDetails, child, current_user, held.record_key)
        return render(forms.details_values(held), {})
    values, draft, errors = forms.read_details(request.form)
    row, refused, status = _attempt(lambda: service.save_details(child, current_user, draft,
                                                                 reason=values["reason"]),
                                    errors, lambda: details_problems(draft), "the child's details", "address")
    if refused is not None:
        return render(values, refused, status)
    return _saved(child, row, "The child's details", "child-details")


# --- attendance -------------------------------------------------------------------------------


def _render_attendance(child: Child, values, errors, period=None, status=200):
    versions = service.history(AttendancePeriod, child, period.record_key) if period is not None else []
    return render_template("children/attendance_form.html", child=child, values=values, errors=errors,
                           period=period, versions=versions), status


@bp.route("/<int:child_id>/attendance/new", methods=["GET", "POST"])
@roles_required("dsl")
def new_attendance(child_id: int):
    child = _child(child_id)
    if request.method == "GET":
        return _render_attendance(child, {**{name: "" for name in forms.ATTENDANCE_FIELDS},
                                          "submission_key": new_key()}, {})
    values, draft, errors = forms.read_attendance(request.form)
    row, refused, status = _attempt(lambda: service.record_attendance(child, current_user, draft,
                                                                      reason=values["reason"],
                                                                      submission_key=values["submission_key"]),
                                    errors, lambda: attendance_problems(draft), "attendance", "period_start")
    if refused is not None:
        return _render_attendance(child, values, refused, status=status)
    return _saved(child, row, "Attendance", "attendance")


@bp.route("/<int:child_id>/attendance/<int:period_id>", methods=["GET", "POST"])
@roles_required("dsl")
def edit_attendance(child_id: int, period_id: int):
    """Correct a period's figures. Its dates say which period it is, so they stay as they are."""
    child = _child(child_id)
    period = _current(AttendancePeriod, child, period_id)
    if request.method == "GET":
        service.record_view(AttendancePeriod, child, current_user, period.record_key)
        return _render_attendance(child, forms.attendance_values(period), {}, period)
    data = request.form.copy()
    data["period_start"], data["period_end"] = (period.period_start.strftime("%d/%m/%Y"),
                                                period.period_end.strftime("%d/%m/%Y"))
    values, draft, errors = forms.read_attendance(data)
    _need_reason(values, errors, "Say why these figures are changing: the earlier version stays on record.")
    row, refused, status = _attempt(lambda: service.record_attendance(child, current_user, draft,
                                                                      reason=values["reason"]),
                                    errors, lambda: attendance_problems(draft), "attendance", "possible_sessions")
    if refused is not None:
        return _render_attendance(child, values, refused, period, status=status)
    return _saved(child, row, "Attendance", "attendance")


# --- removing and the history, for each kind ------------------------------------------------------

KINDS: dict[str, tuple[type, str]] = {
    "members": (FamilyMember, "family or household member"),
    "professionals": (Professional, "professional"),
    "attendance": (AttendancePeriod, "attendance period"),
}


def describe(row) -> list[tuple[str, str]]:
    """A version's contents as (label, value) pairs, "Not recorded" where empty, for the history page."""
    def day(d):
        return d.strftime("%d/%m/%Y") if d else ""

    def yes_no(b):
        return "" if b is None else ("Yes" if b else "No")

    if isinstance(row, FamilyMember):
        pairs = [("Name", row.name), ("Relationship to the child", row.relationship_to_child),
                 ("Date of birth", day(row.date_of_birth)), ("Approximate age", row.approximate_age),
                 ("Due date", day(row.due_date)), ("Lives with the child", yes_no(row.lives_with_child)),
                 ("Parental responsibility", yes_no(row.parental_responsibility)), ("Phone", row.phone),
                 ("Email", row.email), ("Note", row.note)]
        if row.sibling_child_id:
            sibling = db.session.get(Child, row.sibling_child_id)
            pairs.append(("At this school", f"{sibling.display_name} ({sibling.upn})" if sibling else ""))
    elif isinstance(row, Professional):
        pairs = [("Name", row.name), ("Role", label_for(PROFESSIONAL_ROLES, row.role)), ("Role in full", row.role_detail),
                 ("Agency", row.agency), ("Phone", row.phone), ("Email", row.email), ("From", day(row.from_on)),
                 ("To", day(row.to_on)), ("Note", row.note)]
    elif isinstance(row, AttendancePeriod):
        pairs = [("Period", f"{day(row.period_start)} to {day(row.period_end)}"),
                 ("Possible sessions", "" if row.possible_sessions is None else str(row.possible_sessions)),
                 ("Attended sessions", "" if row.attended_sessions is None else str(row.attended_sessions)),
                 ("Attendance", f"{row.attendance_percent:.1f}%")]
    else:
        pairs = [("Address", row.address), ("Ethnicity", row.ethnicity), ("Religion", row.religion),
                 ("First language", row.first_language), ("Interpreter needed", yes_no(row.interpreter_needed)),
                 ("SEN primary need", f"{row.sen_primary_need}: {label_for(SEN_NEEDS, row.sen_primary_need)}"
                  if row.sen_primary_need else ""),
                 ("Communication needs", row.communication_needs), ("NHS number", row.nhs_number)]
    return pairs


def _title(row) -> str:
    if isinstance(row, (FamilyMember, Professional)):
        return row.name
    if isinstance(row, AttendancePeriod):
        return f"Attendance {row.period_start:%d/%m/%Y} to {row.period_end:%d/%m/%Y}"
    return "The child's details"


def _kind(kind: str) -> tuple[type, str]:
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


@bp.route("/<int:child_id>/family/<any(members, professionals, attendance):kind>/<int:record_id>/remove",
          methods=["GET", "POST"])
@roles_required("dsl")
def remove(child_id: int, kind: str, record_id: int):
    """Take a record off the child's page, with the reason; every version stays on record."""
    child = _child(child_id)
    model, words = _kind(kind)
    row = _current(model, child, record_id)
    values = {"reason": request.form.get("reason", "")}
    if request.method == "POST":
        done, refused, status = _attempt(lambda: service.remove(model, child, current_user, row.record_key,
                                                                values["reason"]),
                                         {}, dict, f"a {words}", "reason")
        if refused is None:
            flash(f"{_title(row)} was taken off the page. The record and its history are kept.", "success")
            return _back(child, "attendance" if kind == "attendance" else "family")
        return render_template("children/remove.html", child=child, row=row, title=_title(row), words=words,
                               values=values, errors=refused, pairs=describe(row)), status
    return render_template("children/remove.html", child=child, row=row, title=_title(row), words=words,
                           values=values, errors={}, pairs=describe(row))


@bp.get("/<int:child_id>/family/<any(members, professionals, attendance):kind>/<int:record_id>/history")
@roles_required("dsl")
def history(child_id: int, kind: str, record_id: int):
    """Every version of one record, newest first, with who changed it, when and why."""
    child = _child(child_id)
    model, words = _kind(kind)
    row = _version(model, child, record_id)
    service.record_view(model, child, current_user, row.record_key, versions=True)
    return _render_history(child, service.history(model, child, row.record_key), words)


@bp.get("/<int:child_id>/details/history")
@roles_required("dsl")
def details_history(child_id: int):
    child = _child(child_id)
    versions = service.history(ChildDetails, child, service.details_key(child))
    if not versions:
        abort(404)
    service.record_view(ChildDetails, child, current_user, versions[0].record_key, versions=True)
    return _render_history(child, versions, "child's details")


def _render_history(child: Child, versions: list, words: str):
    return render_template("children/history.html", child=child, words=words, title=_title(versions[-1]),
                           versions=[(v, describe(v)) for v in reversed(versions)])


# --- not to be shared with the family ---------------------------------------------------------

WITHHOLD_WORDS = {"observation": "concern", "review": "DSL decision", "referral": "referral",
                  "life-event": "life event", "information-shared": "record of information shared",
                  "family-member": "family member", "professional": "professional"}


@bp.route("/<int:child_id>/withheld/<record_type>/<int:record_id>", methods=["GET", "POST"])
@roles_required("dsl")
def withhold(child_id: int, record_type: str, record_id: int):
    """Mark a record as not to be shared with the family, with the reason; or lift the mark."""
    child = _child(child_id)
    model = service.WITHHOLDABLE.get(record_type)
    record = db.session.get(model, record_id) if model is not None and 0 < record_id < 2**31 else None
    if record is None or record.child_id != child.id:
        audit.record_denial(404, school_id=child.school_id, object_type=record_type[:32], object_id=record_id,
                            child_id=child.id, reason="not-this-childs-record")
        abort(404)
    mark_id = service.stable_id(record)
    marks = {(m.record_type, m.record_id): m for m in service.withheld_marks(child)}
    mark = marks.get((record_type, mark_id))
    on_the_chronology = ("observation", "review", "referral", "life-event", "information-shared")
    anchor = f"{record_type}-{record_id}" if record_type in on_the_chronology else "family"
    values = {"reason": request.form.get("reason", "")}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        # The page offers one thing, marking or lifting; what it offered is sent, so a page left open
        # while someone else changed the mark cannot undo their change.
        wanted = request.form.get("withheld", "")
        withheld = wanted == "1" if wanted in ("0", "1") else mark is None
        if withheld == (mark is not None):
            flash("Nothing was changed: the mark was already " + ("in place." if withheld else "lifted."), "info")
            return _back(child, anchor)
        _done, refused, status = _attempt(
            lambda: service.mark_withheld(child, current_user, record_type, record_id, withheld, values["reason"]),
            {}, dict, "a not-for-the-family mark", "reason")
        if refused is None:
            flash("Marked as not to be shared with the family." if withheld
                  else "The mark was lifted: this may now be shared with the family.", "success")
            return _back(child, anchor)
        errors = refused
    return render_template("children/withheld.html", child=child, record_type=record_type, record=record,
                           what=WITHHOLD_WORDS[record_type], mark=mark, values=values, errors=errors,
                           anchor=anchor), status
