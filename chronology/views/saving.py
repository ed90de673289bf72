"""When the database fails while a form is being saved: say so plainly and give the form back.

Nothing typed is lost: the view shows the form again with everything as it was sent, and the
person presses the button again. The log records which form failed and the error's class only,
never what was written about a child.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

SAVE_FAILED = ("We could not save this just now. Nothing you typed is lost: press the button again in a "
               "moment. If it keeps happening, tell your administrator.")
STATUS = 503  # the service is briefly unavailable, not the person's mistake


def save_failed(error: SQLAlchemyError, what: str, field: str, message: str = SAVE_FAILED) -> dict[str, str]:
    """Undo the failed transaction, log it, and give the error to show beside `field`."""
    db.session.rollback()
    current_app.logger.error("Saving %s failed: %s", what, type(error).__name__)
    return {field: message}
