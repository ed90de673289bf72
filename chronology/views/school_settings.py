"""The school's local threshold levels of need, as its administrator or DSL names them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..models.school import DEFAULT_NEED_LEVELS
from ..security import current_school, roles_required
from ..services import schools
from ..services.casework import InvalidRecord
from .saving import STATUS, save_failed

bp = Blueprint("school", __name__, url_prefix="/school")


def _render(values, errors, status=200):
    return render_template("school/need_levels.html", values=values, errors=errors, school=current_school(),
                           defaults=DEFAULT_NEED_LEVELS), status


@bp.route("/need-levels", methods=["GET", "POST"])
@roles_required("admin", "dsl")
def need_levels():
    school = current_school()
    if request.method == "GET":
        return _render({"need_levels": "\n".join(school.need_level_names)}, {})
    values = {"need_levels": request.form.get("need_levels", "")}
    try:
        changed = schools.set_need_levels(school, current_user, values["need_levels"])
    except InvalidRecord as invalid:
        return _render(values, invalid.errors, 400)
    except SQLAlchemyError as error:
        return _render(values, save_failed(error, "the levels of need", "need_levels"), STATUS)
    flash("Levels of need saved." if changed else "No change: the levels of need are as they were.", "success")
    return redirect(url_for("school.need_levels"))
