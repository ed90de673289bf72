"""The admin's imports: the school's pupils, contacts and attendance from its MIS, and past records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from ..models import School, User
from ..security import current_school, has_role, roles_required
from ..services import audit, imports
from ..services.imports_casework import import_casework
from ..services.imports_family import import_attendance, import_contacts

bp = Blueprint("pupils", __name__, url_prefix="/pupils")


@dataclass(frozen=True)
class Kind:
    """One kind of file the page imports, in the words the page uses for it."""

    slug: str
    choice: str
    title: str
    label: str
    importer: Callable[[School, bytes, User | None], imports.ImportReport]
    # Past concerns and casework are about what happened to children: an admin who is not also a
    # DSL must not see them, and an import's report (a concern found on a date or not, a record
    # already there) would tell them, so those two need both roles.
    casework: bool = False


KINDS: dict[str, Kind] = {kind.slug: kind for kind in (
    Kind("pupils", "Pupils", "Import pupils", "Pupil list (CSV file)", imports.import_pupils),
    Kind("contacts", "Contacts (family and household)", "Import contacts", "Contacts (CSV file)", import_contacts),
    Kind("attendance", "Attendance", "Import attendance", "Attendance (CSV file)", import_attendance),
    Kind("casework", "Past reviews, referrals and life events", "Import past casework", "Casework (CSV file)",
         import_casework, casework=True),
    Kind("history", "Past concerns", "Import past concerns", "Past concerns (CSV file)", imports.import_observations,
         casework=True),
)}


def _allowed() -> list[Kind]:
    return [kind for kind in KINDS.values() if not kind.casework or has_role("dsl")]


def _kind(slug: str | None) -> Kind:
    kind = KINDS.get(slug or "pupils")
    if kind is None:
        abort(404)
    if kind not in _allowed():
        school = current_school()
        audit.record_denial(403, user_id=current_user.id, school_id=school.id if school else None, reason="role",
                            extra={"required_roles": ["admin", "dsl"], "import": kind.slug})
        abort(403)
    return kind


def _page(kind: Kind, report: imports.ImportReport | None = None, errors: dict[str, str] | None = None,
          status: int = 200):
    return render_template("pupils/import.html", kind=kind, kinds=_allowed(), report=report,
                           errors=errors or {}), status


@bp.get("/import")
@roles_required("admin")
def import_form():
    return _page(_kind(request.args.get("kind")))


@bp.post("/import")
@roles_required("admin")
def import_upload():
    kind = _kind(request.form.get("kind"))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(kind, errors={"file": "Choose the CSV file exported from your MIS."
                                   if not kind.casework else "Choose the CSV file to import."}, status=400)
    limit = int(current_app.config["PUPIL_IMPORT_MAX_BYTES"])
    data = upload.read(limit + 1)
    if len(data) > limit:
        return _page(kind, errors={"file": f"The file is larger than {limit // (1024 * 1024)} MB. "
                                           "Export only the columns needed, or split it."}, status=400)
    if not data.strip():
        return _page(kind, errors={"file": "The file is empty. Export it from your MIS again."
                                   if not kind.casework else "The file is empty."}, status=400)
    report = kind.importer(current_school(), data, current_user)
    if report.ok:
        return _page(kind, report)
    return _page(kind, report, errors={"import-errors": report.summary()}, status=400)
