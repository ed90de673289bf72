"""Signing in and out."""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from ..extensions import db, limiter
from ..forms.auth import LoginForm
from ..models import User
from ..services import ServiceError, accounts, second_factor, sessions

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Follow ?next= only to a path on this site, never to another host, and never with a control
    character (CR and LF would split the Location header)."""
    if not target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _login_limit() -> str:
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
                next_url = _safe_next(request.args.get("next"))
                if user.needs_second_factor:
                    session.clear()
                    session["pending_user"] = user.id
                    session["pending_at"] = time.time()
                    session["pending_next"] = next_url
                    step = "auth.two_factor" if user.totp_enrolled_at else "auth.enrol"
                    return redirect(url_for(step))
                _start_session(user, second_factor=False)
                return redirect(next_url or url_for("home.index"))
            # The same words whether the email is unknown, the password wrong or the account waiting.
            errors["email"] = ("The email address or password is not right. "
                               "After several tries, wait a few minutes before trying again.")
        else:
            errors = {name: messages[0] for name, messages in form.errors.items() if name != "csrf_token"}
    status = 200 if not errors else 400
    return render_template("auth/login.html", form=form, errors=errors), status


def _start_session(user: User, *, second_factor: bool) -> None:
    session.clear()  # a fresh session at sign-in, so an old one cannot be carried over
    session["sid"] = sessions.start(user)
    login_user(user)
    ids = user.school_ids()
    session["school_id"] = ids[0] if ids else None
    if second_factor:
        session["second_factor_at"] = time.time()


PENDING_SECONDS = 300


def _pending_user() -> User | None:
    """Who passed the password step in the last five minutes and still owes the second factor."""
    user_id, started = session.get("pending_user"), session.get("pending_at", 0)
    if not user_id or time.time() - float(started) > PENDING_SECONDS:
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def enrol():
    """First sign-in of a DSL or administrator: set up an authenticator app."""
    user = _pending_user()
    if user is None or user.totp_enrolled_at is not None:
        return redirect(url_for("auth.login"))
    # Each sign-in gets its own candidate secret, kept with this sign-in only until a code from it
    # is given: whoever saw an earlier, unfinished enrolment holds nothing that will be used.
    secret = session.get("enrol_secret") or second_factor.new_secret()
    session["enrol_secret"] = secret
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            codes = second_factor.confirm_enrolment(user, secret, request.form.get("code", ""))
        except ServiceError as error:
            errors["code"] = error.message
        else:
            next_url = session.get("pending_next")
            second_factor_done(user, "totp-enrolment")
            return render_template("auth/recovery_codes.html", codes=codes,
                                   next_url=next_url or url_for("home.index"))
    uri = second_factor.provisioning_uri(user, secret)
    return render_template("auth/enrol.html", qr=Markup(second_factor.qr_svg(uri)), secret=secret,  # nosec B704
                           errors=errors), (400 if errors else 200)


def _wrong_code_message(user: User) -> str:
    if second_factor.is_locked(user):
        return "Too many wrong codes. Wait a few minutes, then try again."
    return "That code is not right. Enter the 6-digit code your app shows now, or a recovery code."


def second_factor_done(user: User, method: str) -> None:
    accounts.complete_second_factor_login(user, method)
    _start_session(user, second_factor=True)


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def two_factor():
    user = _pending_user()
    if user is None:
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    if user.totp_enrolled_at is None:
        return redirect(url_for("auth.enrol"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        method = second_factor.verify(user, request.form.get("code", ""))
        if method:
            next_url = session.get("pending_next")
            second_factor_done(user, method)
            return redirect(next_url or url_for("home.index"))
        errors["code"] = _wrong_code_message(user)
    return render_template("auth/two_factor.html", errors=errors), (400 if errors else 200)


@bp.route("/login/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def confirm():
    """Step-up: give the second factor again before something as weighty as an export."""
    next_url = _safe_next(request.args.get("next")) or url_for("home.index")
    errors: dict[str, str] = {}
    if request.method == "POST":
        if second_factor.verify(current_user, request.form.get("code", "")):
            session["second_factor_at"] = time.time()
            return redirect(next_url)
        errors["code"] = _wrong_code_message(current_user)
    return render_template("auth/confirm.html", errors=errors), (400 if errors else 200)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        accounts.record_logout(current_user, session.get("school_id"))
    sessions.end(session.get("sid"))
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


def recent_second_factor(view):
    """Before an export, the second factor must have been given in the last ten minutes."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        given = float(session.get("second_factor_at", 0))
        if time.time() - given > current_app.config["STEP_UP_MINUTES"] * 60:
            return redirect(url_for("auth.confirm", next=request.full_path if request.method == "GET"
                                    else request.path))
        return view(*args, **kwargs)

    return wrapped


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def change_password():
    """Choose your own password. Afterwards every session ends, so you sign in again, second factor too."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            accounts.change_own_password(current_user, request.form.get("current", ""),
                                         request.form.get("password", ""), request.form.get("confirm", ""))
        except ServiceError as error:
            errors[error.field or "password"] = error.message
        else:
            logout_user()
            session.clear()
            flash("Your password is changed. Sign in with your new password.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/change_password.html", errors=errors,
                           forced=current_user.must_change_password), (400 if errors else 200)


@bp.before_app_request
def insist_on_own_password():
    """Until someone has chosen their own password, the only page they can use is the one to choose it."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in ("auth.change_password", "auth.logout", "static", "home.favicon")):
        return redirect(url_for("auth.change_password"))
    return None
