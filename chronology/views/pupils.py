"""Importing the school's pupils from its MIS export."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from ..security import current_school, roles_required
from ..services import imports

bp = Blueprint("pupils", __name__, url_prefix="/pupils")


def _page(report: imports.ImportReport | None = None, errors: dict[str, str] | None = None, status: int = 200):
    return render_template("pupils/import.html", report=report, errors=errors or {}), status


@bp.get("/import")
@roles_required("admin")
def import_form():
    return _page()


@bp.post("/import")
@roles_required("admin")
def import_upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(errors={"file": "Choose the CSV file exported from your MIS."}, status=400)
    limit = int(current_app.config["PUPIL_IMPORT_MAX_BYTES"])
    data = upload.read(limit + 1)
    if len(data) > limit:
        return _page(errors={"file": f"The file is larger than {limit // (1024 * 1024)} MB. "
                                     "Export only the pupil columns, or split it."}, status=400)
    if not data.strip():
        return _page(errors={"file": "The file is empty. Export the pupil list from your MIS again."}, status=400)
    report = imports.import_pupils(current_school(), data, current_user)
    if report.ok:
        return _page(report)
    return _page(report, errors={"import-errors": report.summary()}, status=400)
