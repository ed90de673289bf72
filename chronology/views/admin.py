"""Staff accounts for the school's administrator. No concern text is ever shown here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..domain.ids import MAX_ID
from ..domain.vocabulary import ROLES
from ..extensions import db
from ..models import User
from ..security import current_school, roles_required
from ..services import ServiceError, accounts, audit, health

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {"staff": "Staff (logs concerns)", "dsl": "DSL or deputy (reads and acts on concerns)",
               "admin": "Administrator (accounts and pupil imports)"}


def _render(values, errors, status=200):
    school = current_school()
    return render_template("admin/users.html", users=accounts.staff_of(school), school=school,
                           values=values, errors=errors, roles=ROLES, role_labels=ROLE_LABELS), status


@bp.get("/health")
@roles_required("admin")
def health_page():
    """What `flask --app chronology doctor` says, for an administrator without a shell."""
    return render_template("admin/health.html", checks=health.checks())


@bp.get("/users")
@roles_required("admin")
def users():
    return _render({"name": "", "email": "", "roles": []}, {})


@bp.post("/users")
@roles_required("admin")
def create_user():
    values = {"name": request.form.get("name", ""), "email": request.form.get("email", ""),
              "roles": request.form.getlist("roles")}
    password = request.form.get("password", "")
    try:
        accounts.create_user(current_school(), values["email"], values["name"], values["roles"], password,
                             by=current_user)
    except ServiceError as error:
        return _render(values, {error.field or "name": error.message}, status=400)
    flash(f"Account ready for {values['name'].strip()}. Give them their first password in person.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
@roles_required("admin")
def set_active(user_id: int):
    school = current_school()
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or school.id not in user.school_ids():
        audit.record_denial(404, school_id=school.id, object_type="user", object_id=user_id, reason="not-in-school")
        abort(404)
    try:
        accounts.set_active(user, request.form.get("active") == "1", by=current_user, school=school)
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(url_for("admin.users"))
