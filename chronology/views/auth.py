"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..forms.auth import LoginForm
from ..extensions import limiter
from ..services import accounts, sessions

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Follow ?next= only to a path on this site, never to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.validate():
            user = accounts.authenticate(form.email.data or "", form.password.data or "")
            if user is not None:
                session.clear()  # a fresh session at sign-in, so an old one cannot be carried over
                session["sid"] = sessions.start(user)
                login_user(user)
                ids = user.school_ids()
                session["school_id"] = ids[0] if ids else None
                return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
            # The same words whether the email is unknown, the password wrong or the account waiting.
            errors["email"] = ("The email address or password is not right. "
                               "After several tries, wait a few minutes before trying again.")
        else:
            errors = {name: messages[0] for name, messages in form.errors.items() if name != "csrf_token"}
    status = 200 if not errors else 400
    return render_template("auth/login.html", form=form, errors=errors), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        accounts.record_logout(current_user, session.get("school_id"))
    sessions.end(session.get("sid"))
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
