"""Exporting a child's chronology or a referral as a PDF: DSLs only."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from ..security import current_school, roles_required
from .auth import recent_second_factor
from ..services import exports as export_service
from ..services import observations as observation_service

bp = Blueprint("exports", __name__, url_prefix="/children")


def _render_form(child, values: dict, errors: dict[str, str], status: int = 200):
    # What a referral would leave "Not recorded", worked out by the service, not the template.
    readiness = export_service.referral_readiness(child, current_user)
    return render_template("exports/new.html", child=child, values=values, errors=errors,
                           readiness=readiness, kinds=export_service.KINDS), status


@bp.route("/<int:child_id>/export", methods=["GET", "POST"])
@roles_required("dsl")
@recent_second_factor
def pdf(child_id: int):
    """GET: choose what to export. POST: the PDF, as a download that no cache keeps."""
    child = observation_service.child_in_school(current_school(), child_id)
    if request.method == "GET":
        return _render_form(child, {"kind": "full", "reason": "", "hide_staff_names": False,
                                    "withheld_names": ""}, {})
    values = {
        "kind": request.form.get("kind", ""),
        "reason": request.form.get("reason", ""),
        "hide_staff_names": request.form.get("hide_staff_names") == "1",
        "withheld_names": request.form.get("withheld_names", ""),
    }
    options = export_service.ExportOptions(
        kind=values["kind"], reason=values["reason"], hide_staff_names=values["hide_staff_names"],
        withheld_names=export_service.split_names(values["withheld_names"]),
    )
    try:
        exported = export_service.export_pdf(child, current_user, options)
    except export_service.InvalidExport as invalid:
        return _render_form(child, values, invalid.errors, status=400)
    except export_service.NotPermitted:
        abort(403)
    return Response(exported.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{exported.filename}"',
        "Cache-Control": "no-store",
        "X-Export-Id": exported.export_id,
    })
