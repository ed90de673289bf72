"""School trends for the DSL, counted in the database (GROUP BY), never by walking each child's records."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select

from ..domain.trends import Trends, last_months, month_counts
from ..extensions import db
from ..models import Observation, ObservationVersion, Prompt, Referral, School, User
from ..models.prompt import OPEN_STATUSES
from . import audit


def trends_for(school: School, today: date, months: int = 12) -> Trends:
    """Observations per month by category, open prompts by rule, referrals by agency and status."""
    window = last_months(today, months)
    start = window[0]
    # What an observation says now is its newest version, so corrections move it between categories.
    newest = (select(ObservationVersion.observation_id, func.max(ObservationVersion.number).label("number"))
              .group_by(ObservationVersion.observation_id).subquery())
    grouped = db.session.execute(
        select(ObservationVersion.occurred_on, ObservationVersion.categories_text, func.count())
        .join(newest, and_(newest.c.observation_id == ObservationVersion.observation_id,
                           newest.c.number == ObservationVersion.number))
        .join(Observation, Observation.id == ObservationVersion.observation_id)
        .where(Observation.school_id == school.id, ObservationVersion.occurred_on >= start,
               ObservationVersion.occurred_on <= today)
        .group_by(ObservationVersion.occurred_on, ObservationVersion.categories_text)
    ).all()
    by_month, totals = month_counts(((day, cats, n) for day, cats, n in grouped), window)
    open_prompts = dict(db.session.execute(
        select(Prompt.rule, func.count())
        .where(Prompt.school_id == school.id, Prompt.firing.is_(True), Prompt.status.in_(OPEN_STATUSES))
        .group_by(Prompt.rule)
    ).all())
    referrals = {(agency, status): n for agency, status, n in db.session.execute(
        select(Referral.agency, Referral.status, func.count())
        .where(Referral.school_id == school.id, Referral.referred_on >= start, Referral.referred_on <= today)
        .group_by(Referral.agency, Referral.status)
    ).all()}
    return Trends(tuple(window), by_month, totals, open_prompts, referrals)


def record_download(school: School, by: User) -> None:
    """Every export is audited, even one of counts only."""
    audit.record("trends.export", user_id=by.id, school_id=school.id, object_type="school", object_id=school.id)
    db.session.commit()
