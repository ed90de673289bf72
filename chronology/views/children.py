"""A child's chronology, and the DSL's records about the child: referrals, life events, significance."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..domain.chronology import ChronologyFilter, lines
from ..domain.dates import DateProblem, parse_date
from ..domain.ids import record_id as parse_record_id
from ..domain.vocabulary import (
    AGENCIES, AGENCY_SLUGS, CATEGORIES, LIFE_EVENT_KINDS, PARENTS_TOLD, REFERRAL_KINDS, REFERRAL_STATUSES,
    SCHOOL_SUPPORTS, SHARING_METHODS, Term,
)
from ..extensions import db
from ..forms.casework import (
    CONSENT_CHOICES, read_information_shared, read_life_event, read_referral, referral_values,
)
from ..forms.keys import new_key
from ..models import Observation, Referral
from ..security import current_school, roles_required
from ..services import ServiceError, audit, casework, clock, observations as observation_service
from ..services import timeline as timeline_service
from .family import family_section
from .saving import STATUS, save_failed

bp = Blueprint("children", __name__, url_prefix="/children")


@bp.route("/", methods=["GET", "POST"])
@roles_required("dsl")
def index():
    """Find a child. The name is sent by POST so it never sits in a URL or a server log."""
    query = request.form.get("q", "")[:100] if request.method == "POST" else ""
    found = observation_service.find_children(current_school(), query, limit=50) if query else []
    return render_template("children/index.html", query=query, found=found, searched=bool(query))


def _child(child_id: int):
    return observation_service.child_in_school(current_school(), child_id)


def _filter_from_args() -> tuple[ChronologyFilter, dict[str, str], dict[str, str]]:
    values = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    errors: dict[str, str] = {}
    dates = {}
    for key in ("from", "to"):
        try:
            dates[key] = parse_date(values[key]) if values[key].strip() else None
        except DateProblem as problem:
            errors[f"filter-{key}"] = str(problem)
            dates[key] = None
    chosen = frozenset(c for c in request.args.getlist("category") if c)
    significant = request.args.get("significant") == "1"
    values["significant"] = "1" if significant else ""
    return ChronologyFilter(dates["from"], dates["to"], chosen, significant), values, errors


@bp.get("/<int:child_id>/chronology")
@roles_required("dsl")
def chronology(child_id: int):
    child = _child(child_id)
    wanted, values, errors = _filter_from_args()
    view = casework.chronology_for(child, current_user, wanted)
    timeline = timeline_service.timeline_for(view, start=wanted.date_from, end=wanted.date_to)
    # The family section is part of reading the chronology, which chronology_for has just audited.
    section = family_section(child)
    response = render_template("children/chronology.html", view=view, child=child, wanted=wanted,
                               lines=lines(((e, e.record.id) for e in view.entries), clock.UK),
                               values=values, errors=errors, categories=CATEGORIES, timeline=timeline,
                               timeline_svg=timeline_service.timeline_svg(timeline) if timeline.marks else "",
                               section=section, withheld=section.withheld,
                               # Built once: a long chronology links every entry to its mark.
                               withhold_prefix=url_for("family.withhold", child_id=child.id, record_type="_",
                                                       record_id=1).rsplit("/_/", 1)[0] + "/")
    return response, (400 if errors else 200)


def _render_referral(child, values, errors, referral=None, status=200):
    names = current_school().need_level_names
    if referral is not None and referral.level_of_need and referral.level_of_need not in names:
        names = [*names, referral.level_of_need]  # the level it was judged at, before the school renamed them
    return render_template("children/referral.html", child=child, values=values, errors=errors,
                           referral=referral, agencies=AGENCIES, statuses=REFERRAL_STATUSES,
                           parents_told_choices=PARENTS_TOLD, consent_choices=CONSENT_CHOICES, referral_kinds=REFERRAL_KINDS,
                           levels=[Term(n, n) for n in names]), status


def _linked_observation(child) -> int | None:
    raw = request.args.get("observation", "")
    if parse_record_id(raw) is None:
        return None
    observation = db.session.get(Observation, int(raw))
    return observation.id if observation and observation.child_id == child.id else None


@bp.route("/<int:child_id>/referrals/new", methods=["GET", "POST"])
@roles_required("dsl")
def new_referral(child_id: int):
    child = _child(child_id)
    if request.method == "GET":
        values = {"status": "awaiting-response", "referred_on": clock.today().strftime("%d/%m/%Y"),
                  "submission_key": new_key()}
        if request.args.get("agency", "") in AGENCY_SLUGS:
            values["agency"] = request.args["agency"]  # carried from the decision to refer
        return _render_referral(child, values, {})
    values, draft, errors = read_referral(request.form, _linked_observation(child))
    try:
        casework.record_referral(child, current_user, draft, today=clock.today(), unreadable=errors,
                                 submission_key=values["submission_key"])
    except casework.InvalidRecord as invalid:
        return _render_referral(child, values, invalid.errors, status=400)
    except SQLAlchemyError as error:
        return _render_referral(child, values, save_failed(error, "a referral", "outcome"), status=STATUS)
    flash("Referral recorded.", "success")
    return redirect(url_for("children.chronology", child_id=child.id))


@bp.route("/<int:child_id>/referrals/<int:referral_id>", methods=["GET", "POST"])
@roles_required("dsl")
def edit_referral(child_id: int, referral_id: int):
    child = _child(child_id)
    referral = db.session.get(Referral, referral_id) if 0 < referral_id < 2**31 else None
    if referral is None or referral.child_id != child.id:
        audit.record_denial(404, school_id=child.school_id, object_type="referral", object_id=referral_id,
                            child_id=child.id, reason="not-this-childs-record")
        abort(404)
    if request.method == "GET":
        return _render_referral(child, referral_values(referral), {}, referral=referral)
    values, draft, errors = read_referral(request.form, None)
    try:
        casework.update_referral(referral, child, current_user, draft, today=clock.today(), unreadable=errors)
    except casework.InvalidRecord as invalid:
        return _render_referral(child, values, invalid.errors, referral=referral, status=400)
    except SQLAlchemyError as error:
        return _render_referral(child, values, save_failed(error, "a referral", "outcome"), referral=referral,
                                status=STATUS)
    flash("Referral updated.", "success")
    return redirect(url_for("children.chronology", child_id=child.id))


def _render_life_event(child, values, errors, status=200):
    return render_template("children/life_event.html", child=child, values=values, errors=errors,
                           kinds=LIFE_EVENT_KINDS, supports=SCHOOL_SUPPORTS), status


@bp.route("/<int:child_id>/life-events/new", methods=["GET", "POST"])
@roles_required("dsl")
def new_life_event(child_id: int):
    child = _child(child_id)
    if request.method == "GET":
        kind = request.args.get("kind", "")
        values = {"kind": kind if kind == "school-support" else "", "occurred_on": "", "ended_on": "",
                  "support": "", "note": "", "significant": "1", "submission_key": new_key()}
        return _render_life_event(child, values, {})
    values, dates, errors = read_life_event(request.form)
    try:
        casework.record_life_event(child, current_user, values["kind"], dates["occurred_on"], values["note"],
                                   values["significant"] == "1", today=clock.today(), unreadable=errors,
                                   ended_on=dates["ended_on"], support=values["support"],
                                   submission_key=values["submission_key"])
    except casework.InvalidRecord as invalid:
        return _render_life_event(child, values, invalid.errors, status=400)
    except SQLAlchemyError as error:
        return _render_life_event(child, values, save_failed(error, "a life event", "note"), status=STATUS)
    flash("Support in school recorded." if values["kind"] == "school-support" else "Life event recorded.",
          "success")
    return redirect(url_for("children.chronology", child_id=child.id))


def _render_information_shared(child, values, errors, status=200):
    return render_template("children/information_shared.html", child=child, values=values, errors=errors,
                           methods=SHARING_METHODS), status


@bp.route("/<int:child_id>/information-shared/new", methods=["GET", "POST"])
@roles_required("dsl")
def new_information_shared(child_id: int):
    """Information shared with another agency outside a referral: with whom, what, when and how."""
    child = _child(child_id)
    if request.method == "GET":
        values = {"shared_on": clock.today().strftime("%d/%m/%Y"), "with_name": "", "with_agency": "",
                  "method": "", "what": "", "significant": "1", "submission_key": new_key()}
        return _render_information_shared(child, values, {})
    values, draft, errors = read_information_shared(request.form)
    try:
        casework.record_information_shared(child, current_user, draft, today=clock.today(), unreadable=errors,
                                           submission_key=values["submission_key"])
    except casework.InvalidRecord as invalid:
        return _render_information_shared(child, values, invalid.errors, status=400)
    except SQLAlchemyError as error:
        return _render_information_shared(child, values, save_failed(error, "information shared", "what"),
                                          status=STATUS)
    flash("Information shared recorded.", "success")
    return redirect(url_for("children.chronology", child_id=child.id))


@bp.post("/<int:child_id>/significant")
@roles_required("dsl")
def mark_significant(child_id: int):
    child = _child(child_id)
    record_type = request.form.get("record_type", "")
    record_id = request.form.get("record_id", "")
    try:
        if parse_record_id(record_id) is None:
            raise ServiceError("No such record.")
        casework.mark_significant(child, current_user, record_type, int(record_id),
                                  request.form.get("significant") == "1")
    except ServiceError:
        audit.record_denial(404, school_id=child.school_id, object_type=record_type[:32],
                            object_id=parse_record_id(record_id), child_id=child.id,
                            reason="not-this-childs-record", extra={"requested_id": record_id[:40]})
        abort(404)
    return redirect(url_for("children.chronology", child_id=child.id) + f"#{record_type}-{record_id}")
