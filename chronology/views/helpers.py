"""Template helpers: labels for slugs, dates in the UK style, the user's roles."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from ..domain import vocabulary as v
from ..security import current_roles, current_school

UK = ZoneInfo("Europe/London")


def uk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return value.strftime("%d/%m/%Y")


def uk_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UK).strftime("%d/%m/%Y %H:%M")


def register(app: Flask) -> None:
    app.jinja_env.filters["uk_date"] = uk_date
    app.jinja_env.filters["uk_datetime"] = uk_datetime
    app.jinja_env.filters["category_label"] = lambda s: v.label_for(v.CATEGORIES, s)
    app.jinja_env.filters["source_label"] = lambda s: v.label_for(v.SOURCES, s)
    app.jinja_env.filters["decision_label"] = lambda s: v.label_for(v.REVIEW_DECISIONS, s)
    app.jinja_env.filters["agency_label"] = lambda s: v.label_for(v.AGENCIES, s)
    app.jinja_env.filters["status_label"] = lambda s: v.label_for(v.REFERRAL_STATUSES, s)
    app.jinja_env.filters["life_event_label"] = lambda s: v.label_for(v.LIFE_EVENT_KINDS, s)
    app.jinja_env.filters["sharing_method_label"] = lambda s: v.label_for(v.SHARING_METHODS, s)

    @app.context_processor
    def inject_user_context():
        return {"current_roles": current_roles(), "current_school": current_school()}
