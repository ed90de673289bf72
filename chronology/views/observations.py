"""Logging a concern, reading back what you wrote, and correcting it."""

from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for,
)
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..domain.ids import record_id, whole_number
from ..domain.language import KIND_LABELS, check as check_language_of, findings_as_dicts
from ..domain.observation_rules import MAX_TEXT
from ..domain.vocabulary import CHILD_CATEGORIES, FAMILY_CATEGORIES, SOURCES, STRENGTH_CATEGORY
from ..extensions import db
from ..forms.observation import ObservationForm, restorable_values
from ..models import Child
from ..security import current_roles, current_school, roles_required
from ..services import clock, drafts, observations as service
from .helpers import uk_datetime
from .saving import STATUS, save_failed

bp = Blueprint("observations", __name__, url_prefix="/observations")

LOGGERS = ("staff", "dsl")
# A worry about a child cannot wait for the system: the DSL hears it in person if need be.
CONCERN_NOT_SAVED = ("We could not save this just now. Nothing you typed is lost: press Send again in a moment. "
                     "If it keeps happening, tell your DSL in person.")
DRAFT_SHOWN = "draft_shown"  # in the session: the form was given back words kept from an ended session


def _advice(description: object, child_voice: object) -> list[dict[str, str | int]]:
    """Advice on what was written; it points at words and never changes them."""
    text, voice = str(description or ""), str(child_voice or "")
    if len(text) > MAX_TEXT or len(voice) > MAX_TEXT:
        return []
    return findings_as_dicts(check_language_of(text, child_voice=voice))


def _render_form(form: ObservationForm, *, child: Child | None, matches: list[Child], status: int = 200):
    return render_template(
        "observations/new.html", form=form, values=form.values, errors=form.errors, child=child,
        matches=matches, namesakes=service.namesakes(child) if child is not None else 0,
        child_categories=CHILD_CATEGORIES, family_categories=FAMILY_CATEGORIES,
        strength=STRENGTH_CATEGORY, sources=SOURCES,
        advice=_advice(form.values.get("description"), form.values.get("child_voice")), advice_labels=KIND_LABELS,
    ), status


def keeps_draft_when_signed_out(view):
    """If the session ran out while someone was writing, keep their words and ask them to sign in."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        user_id = str(session.get("_user_id", ""))
        if (not current_user.is_authenticated and record_id(user_id)
                and drafts.keep(int(user_id), session.get("sid"), restorable_values(request.form))):
            flash("Your session ended, so nothing was sent yet. What you wrote is kept: "
                  "sign in again and it will be back in the form.", "info")
            return redirect(url_for("auth.login", next=url_for("observations.new")))
        return view(*args, **kwargs)

    return wrapped


@bp.get("/new")
@roles_required(*LOGGERS)
def new():
    form = ObservationForm.for_today(clock.today())
    kept = drafts.waiting_for(current_user)
    if kept is not None:
        form.values.update(kept)
        session[DRAFT_SHOWN] = True  # sending this form ends the draft
        flash("Here is what you were writing when your session ended. Check it and press Send.", "info")
        chosen = str(kept.get("child_id") or "")
        child = db.session.get(Child, record_id(chosen)) if record_id(chosen) else None
        if child is not None and child.school_id != current_school().id:
            child = None
        return _render_form(form, child=child, matches=[])
    child = None
    if request.args.get("child"):
        chosen_id = record_id(request.args["child"])
        if chosen_id is None:
            abort(404)
        child = service.child_in_school(current_school(), chosen_id)
        form.values["child_id"] = str(child.id)
        form.values["child_query"] = child.display_name
    return _render_form(form, child=child, matches=[])


@bp.post("/new")
@keeps_draft_when_signed_out
@roles_required(*LOGGERS)
def create():
    school = current_school()
    form = ObservationForm.read(request.form)
    child, matches = _resolve_child(form, school)
    if form.errors or child is None:
        # Name every problem at once, not one per attempt, in the order of the fields on the page:
        # the child comes first.
        errors = {**service.problems_for(form.draft, child, today=clock.today()), **form.errors}
        form.errors = dict(sorted(errors.items(), key=lambda item: item[0] != "child_query"))
        return _render_form(form, child=child, matches=matches, status=400)
    try:
        observation = service.record_observation(school, child, current_user, form.draft, today=clock.today(),
                                                 submission_key=str(form.values["submission_key"]),
                                                 ends_draft=bool(session.get(DRAFT_SHOWN)))
    except service.InvalidObservation as invalid:
        form.errors = {**invalid.errors, **form.errors}
        return _render_form(form, child=child, matches=matches, status=400)
    except SQLAlchemyError as error:
        form.errors = save_failed(error, "an observation", "description", CONCERN_NOT_SAVED)
        return _render_form(form, child=child, matches=matches, status=STATUS)
    session.pop(DRAFT_SHOWN, None)
    if observation.urgent:
        service.alert_dsls(observation, url_for("dsl.review", observation_id=observation.id, _external=True))
    return redirect(url_for("observations.submitted", observation_id=observation.id))


def _resolve_child(form: ObservationForm, school) -> tuple[Child | None, list[Child]]:
    """The chosen child; without JavaScript, the typed name is matched and, if needed, offered as a choice."""
    chosen = str(form.values.get("child_id") or "")
    if record_id(chosen):
        child = db.session.get(Child, record_id(chosen))
        if child is not None and child.school_id == school.id:
            return child, []
    query = str(form.values.get("child_query") or "")
    if not query.strip():
        form.errors["child_query"] = "Type part of the child's name and choose the child."
        return None, []
    matches = service.find_children(school, query, limit=20)
    if len(matches) == 1:
        form.values["child_id"] = str(matches[0].id)
        return matches[0], []
    if not matches:
        form.errors["child_query"] = f"No child at this school matches {query.strip()!r}. Check the spelling."
    else:
        form.errors["child_query"] = "More than one child matches that name. Choose the right child below."
    return None, matches


@bp.post("/children/search")
@roles_required(*LOGGERS)
def search_children():
    """Names for the type-ahead. POST keeps the typed name out of URLs and server logs."""
    body = request.get_json(silent=True) if request.is_json else None
    query = (body.get("q", "") if isinstance(body, dict) else "") if request.is_json else request.form.get("q", "")
    found = service.find_children(current_school(), str(query)[:100], limit=10)
    # Two children may share a name: the date of birth tells them apart.
    response = jsonify([
        {"id": c.id, "name": c.display_name, "year_group": c.year_group,
         "born": c.date_of_birth.strftime("%d/%m/%Y")} for c in found
    ])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:observation_id>/submitted")
@roles_required(*LOGGERS)
def submitted(observation_id: int):
    observation = service.visible_observation(current_user, current_school(), observation_id, current_roles())
    advice = _advice(observation.current.description, observation.current.child_voice)
    alert = service.alert_outcome(observation) if observation.urgent else ""
    return render_template("observations/submitted.html", observation=observation, advice=advice,
                           advice_labels=KIND_LABELS, alert=alert)


@bp.post("/language")
@roles_required(*LOGGERS)
def check_language():
    """Advice on a description while it is written (JSON in, JSON out). Nothing is stored."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        return _json_error("Send JSON with the text to check.")
    text, voice = body.get("text", ""), body.get("child_voice", "")
    if not isinstance(text, str) or not isinstance(voice, str):
        return _json_error("The text and the child's words must be strings.")
    if len(text) > MAX_TEXT or len(voice) > MAX_TEXT:
        return _json_error(f"The text is longer than {MAX_TEXT:,} characters.")
    response = jsonify({"findings": findings_as_dicts(check_language_of(text, child_voice=voice))})
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_error(message: str):
    response = jsonify({"error": message})
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/mine")
@roles_required(*LOGGERS)
def mine():
    school = current_school()
    observations = service.written_by(current_user, school)
    return render_template("observations/mine.html", observations=observations,
                           namesakes=service.namesakes_among(school.id, [o.child for o in observations]))


@bp.get("/<int:observation_id>")
@roles_required(*LOGGERS)
def show(observation_id: int):
    observation = service.visible_observation(current_user, current_school(), observation_id, current_roles())
    service.record_view(observation, current_user)
    return render_template("observations/show.html", observation=observation)


def _may_amend(observation) -> bool:
    return "dsl" in current_roles() or observation.created_by_id == current_user.id


@bp.route("/<int:observation_id>/amend", methods=["GET", "POST"])
@roles_required(*LOGGERS)
def amend(observation_id: int):
    observation = service.visible_observation(current_user, current_school(), observation_id, current_roles())
    if not _may_amend(observation):
        abort(404)
    if request.method == "GET":
        form = ObservationForm.from_draft(service.draft_from(observation))
        form.values["based_on"] = str(observation.current.number)
        return render_template("observations/amend.html", observation=observation, values=form.values,
                               errors={}, child_categories=CHILD_CATEGORIES, family_categories=FAMILY_CATEGORIES,
                               strength=STRENGTH_CATEGORY, sources=SOURCES)
    form = ObservationForm.read(request.form)
    form.values["urgent"] = observation.urgent
    reason = str(form.values.get("reason") or "")
    based_on = str(request.form.get("based_on", ""))
    form.values["based_on"] = based_on
    errors = {**service.problems_for(form.draft, observation.child, today=clock.today()), **form.errors}
    status, theirs = 400, None
    if not errors:
        try:
            service.amend_observation(observation, current_user, form.draft, reason, today=clock.today(),
                                      based_on=whole_number(based_on, most=99_999))
            return redirect(url_for("observations.show", observation_id=observation.id))
        except service.InvalidObservation as invalid:
            errors = {**invalid.errors, **errors}
        except service.CorrectedMeanwhile as meanwhile:
            # Both texts side by side, nothing lost: theirs as saved, yours still in the form, now
            # based on theirs, so saving again is a deliberate choice made with theirs in view.
            theirs, status = meanwhile.current, 409
            form.values["based_on"] = str(theirs.number)
            errors = {"description": f"{theirs.recorded_by.name} corrected this record at "
                                     f"{uk_datetime(theirs.recorded_at)}. Here is their version and yours: "
                                     "read theirs, change yours if you need to, then save again."}
        except SQLAlchemyError as error:
            errors, status = save_failed(error, "a correction", "reason"), STATUS
    elif not reason.strip():
        errors["reason"] = "Say why you are correcting this record."
    return render_template("observations/amend.html", observation=observation, values=form.values,
                           errors=errors, theirs=theirs, child_categories=CHILD_CATEGORIES,
                           family_categories=FAMILY_CATEGORIES, strength=STRENGTH_CATEGORY, sources=SOURCES), status
