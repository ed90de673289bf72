"""A DSL's own contact details, which a referral prints for its referrer."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..security import roles_required
from ..services import accounts
from ..services.casework import InvalidRecord
from .saving import STATUS, save_failed

bp = Blueprint("profile", __name__, url_prefix="/profile")

FIELDS = ("job_title", "phone", "secure_email")


def _render(values, errors, status=200):
    return render_template("profile/edit.html", values=values, errors=errors, user=current_user), status


@bp.route("", methods=["GET", "POST"])
@roles_required("dsl")
def edit():
    if request.method == "GET":
        return _render({name: getattr(current_user, name) or "" for name in FIELDS}, {})
    values = {name: request.form.get(name, "") for name in FIELDS}
    try:
        accounts.set_profile(current_user, **values)
    except InvalidRecord as invalid:
        return _render(values, invalid.errors, 400)
    except SQLAlchemyError as error:
        return _render(values, save_failed(error, "a profile", "job_title"), STATUS)
    flash("Your contact details are saved. A referral you export prints them.", "success")
    return redirect(url_for("profile.edit"))
