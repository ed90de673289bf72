"""The start page: each role lands where their work is."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..security import current_roles

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    roles = current_roles()
    if "dsl" in roles:
        return redirect(url_for("dsl.queue"))
    if "staff" in roles:
        return redirect(url_for("observations.new"))
    if "admin" in roles:
        return redirect(url_for("admin.users"))
    return render_template("home/no_role.html", user=current_user)


@bp.get("/favicon.ico")
def favicon():
    """Browsers and tools ask for /favicon.ico whatever the page says: answer with the site's icon."""
    response = current_app.send_static_file("favicon.svg")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
