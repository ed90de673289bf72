"""The DSL's home: the queue of new concerns, the review of each, and phone referrals to confirm in writing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..domain.dates import DateProblem, parse_date
from ..domain.vocabulary import REFERRAL_AGENCY, REFERRAL_DECISIONS, REVIEW_DECISIONS, label_for
from ..extensions import db
from ..forms.keys import key_from, new_key
from ..models import Review
from ..services.paging import page_number
from ..security import current_roles, current_school, roles_required
from ..services import casework, clock, deadlines, observations as observation_service
from .saving import STATUS, save_failed

bp = Blueprint("dsl", __name__, url_prefix="/dsl")


@bp.get("/queue")
@roles_required("dsl")
def queue():
    school = current_school()
    page = observation_service.unreviewed(school, page=page_number(request.args.get("page")))
    alerts_not_sent = observation_service.alerts_not_sent(school)
    phone_referrals = deadlines.awaiting_written_confirmation(school)
    namesakes = observation_service.namesakes_among(
        school.id, [o.child for o in [*page.items, *alerts_not_sent]] + [p.child for p in phone_referrals])
    return render_template("dsl/queue.html", observations=page.items, page=page, alerts_not_sent=alerts_not_sent,
                           phone_referrals=phone_referrals, namesakes=namesakes)


def _render_review(observation, values, errors, status=200):
    reviews = list(db.session.scalars(
        select(Review).where(Review.observation_id == observation.id).order_by(Review.created_at)
    ))
    return render_template("dsl/review.html", observation=observation, values=values, errors=errors,
                           decisions=REVIEW_DECISIONS, referral_decisions=REFERRAL_DECISIONS,
                           reviews=reviews), status


@bp.get("/observations/<int:observation_id>/review")
@roles_required("dsl")
def review(observation_id: int):
    observation = observation_service.visible_observation(current_user, current_school(), observation_id,
                                                          current_roles())
    observation_service.record_view(observation, current_user)
    values = {"decision": "", "reason": "", "decided_on": clock.today().strftime("%d/%m/%Y"), "significant": "",
              "submission_key": new_key()}
    return _render_review(observation, values, {})


@bp.post("/observations/<int:observation_id>/review")
@roles_required("dsl")
def record_review(observation_id: int):
    observation = observation_service.visible_observation(current_user, current_school(), observation_id,
                                                          current_roles())
    values = {k: request.form.get(k, "") for k in ("decision", "reason", "decided_on")}
    values["significant"] = "1" if request.form.get("significant") == "1" else ""
    values["submission_key"] = key_from(request.form)
    errors: dict[str, str] = {}
    decided_on = None
    try:
        decided_on = parse_date(values["decided_on"])
    except DateProblem as problem:
        errors["decided_on"] = str(problem)
    try:
        review = casework.record_review(observation, current_user, values["decision"], values["reason"],
                                        decided_on, today=clock.today(), unreadable=errors,
                                        significant=values["significant"] == "1",
                                        submission_key=values["submission_key"])
    except casework.InvalidRecord as invalid:
        return _render_review(observation, values, invalid.errors, status=400)
    except SQLAlchemyError as error:
        return _render_review(observation, values, save_failed(error, "a review", "reason"), status=STATUS)
    decided = f"Decision recorded for {observation.child.display_name}: {label_for(REVIEW_DECISIONS, review.decision)}."
    if review.decision in REFERRAL_AGENCY:
        flash(f"{decided} Now record the referral itself.", "success")
        return redirect(url_for("children.new_referral", child_id=observation.child_id,
                                observation=observation.id, agency=REFERRAL_AGENCY[review.decision]))
    flash(decided, "success")
    return redirect(url_for("dsl.queue"))
