"""School trends for the DSL: counts only, never a name, on a page and as a CSV download."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import current_user

from ..domain.csv_export import csv_text
from ..domain.prompts import RULE_NAMES
from ..domain.trends import csv_rows
from ..domain.vocabulary import AGENCIES, CATEGORIES, REFERRAL_STATUSES, label_for
from ..security import current_school, roles_required
from ..services import clock, trends as service

bp = Blueprint("trends", __name__, url_prefix="/trends")


def _rule_label(rule: str) -> str:
    return f"{rule}: {RULE_NAMES[rule]}" if rule in RULE_NAMES else rule


@bp.get("/")
@roles_required("dsl")
def index():
    today = clock.today()
    trends = service.trends_for(current_school(), today)
    return render_template("trends/index.html", trends=trends, today=today, rule_label=_rule_label)


@bp.get("/trends.csv")
@roles_required("dsl")
def download():
    school = current_school()
    trends = service.trends_for(school, clock.today())
    service.record_download(school, current_user)
    rows = csv_rows(trends, category_label=lambda s: label_for(CATEGORIES, s),
                    agency_label=lambda s: label_for(AGENCIES, s),
                    status_label=lambda s: label_for(REFERRAL_STATUSES, s), rule_label=_rule_label)
    return Response(csv_text(rows), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=trends-{clock.today():%Y-%m-%d}.csv"})
