"""Error pages: a clear message, never a stack trace."""

from __future__ import annotations

import json

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("Something in the request was not right", "Please go back and try again."),
    403: ("You do not have access to this page", "If you think you should, speak to your school's administrator."),
    404: ("Page not found", "The page may have moved, or you may not have access to it."),
    405: ("That action is not allowed here", "Please go back and use the buttons on the page."),
    413: ("The file is too large", "Please upload a smaller file."),
    429: ("Too many attempts", "Please wait a little and try again."),
    500: ("Sorry, something went wrong", "Nothing you wrote has been lost. Please try again, and tell your administrator if it keeps happening."),
}


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template(
            "errors/error.html",
            title="Your form could not be sent",
            message="The page was open too long or came from somewhere else. Go back, reload the page and send it again.",
            status=400,
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        title, message = MESSAGES.get(code, (error.name, error.description or ""))
        if code == 400 and type(error).description != HTTPException.description and error.description:
            message = error.description  # a specific reason beats the general one
        response = error.get_response()
        if code == 429:
            _audit_throttled()
        if request.is_json:
            # A script asked, so a script gets an answer it can read.
            response.data = json.dumps({"error": message})
            response.content_type = "application/json"
            return response
        response.data = render_template("errors/error.html", title=title, message=message, status=code)
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error")
        from ..extensions import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 (the database may be the thing that failed)
            app.logger.error("Rolling back after the error failed too")
        typed = typed_back()
        status = 503 if isinstance(error, SQLAlchemyError) else 500
        title, message = MESSAGES[500]
        if typed:
            title = "Sorry, this could not be saved just now"
            message = ("Here is everything you typed. Copy it somewhere safe before you leave this page, "
                       "then try again in a moment. If it keeps happening, tell your administrator.")
        context = {"title": title, "message": message, "status": status, "typed": typed}
        try:
            return render_template("errors/error.html", **context), status
        except Exception:  # noqa: BLE001 (the page's header needs the database: a page without it)
            # Straight from the template, past the context processors that ask who is signed in.
            return app.jinja_env.get_template("errors/standalone.html").render(**context), status


# Never shown back, even to the person who typed them.
_NOT_SHOWN_BACK = ("password", "csrf_token", "code", "submission_key", "token", "secret")


def _audit_throttled() -> None:
    """A request refused for coming too often is a refusal like any other: it leaves a trace."""
    from ..security import current_school
    from ..services import audit

    try:
        school = current_school()
        audit.record_denial(429, school_id=school.id if school else None, reason="too-many-requests")
    except SQLAlchemyError:
        # The database is what is overwhelmed: the refusal page matters more than its trace.
        from ..extensions import db

        db.session.rollback()


def typed_back() -> list[tuple[str, str]]:
    """What a failed form had in it, so the words can be copied out when the form cannot be drawn
    again (the database it needs is down). Only text the person typed: no ids, no secrets."""
    if request.method != "POST" or request.mimetype not in ("application/x-www-form-urlencoded",
                                                              "multipart/form-data"):
        return []
    try:
        items = list(request.form.items(multi=True))
    except Exception:  # noqa: BLE001 (a form that could not be read has nothing to give back)
        return []
    return [(name.replace("_", " ").capitalize(), value) for name, value in items
            if value.strip() and not name.endswith("_id")
            and not any(secret in name.lower() for secret in _NOT_SHOWN_BACK)]
