"""Reading the DSL's referral and life-event forms, keeping every typed value."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from ..domain.dates import DateProblem, parse_date
from ..services.casework import ReferralDraft

REFERRAL_FIELDS = ("agency", "agency_detail", "referred_on", "their_reference", "status", "outcome",
                   "outcome_on", "follow_up_on")


def read_dates(values: dict[str, str], names: tuple[str, ...], required: tuple[str, ...]):
    """Parsed dates and the messages for those that could not be read."""
    parsed: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name in names:
        raw = values.get(name, "").strip()
        if not raw:
            parsed[name] = None
            continue
        try:
            parsed[name] = parse_date(raw)
        except DateProblem as problem:
            errors[name] = str(problem)
            parsed[name] = None
    for name in required:
        if not values.get(name, "").strip():
            parsed[name] = None
    return parsed, errors


def read_referral(data: MultiDict, observation_id: int | None) -> tuple[dict[str, str], ReferralDraft, dict[str, str]]:
    values = {name: data.get(name, "") for name in REFERRAL_FIELDS}
    dates, errors = read_dates(values, ("referred_on", "outcome_on", "follow_up_on"), ("referred_on",))
    draft = ReferralDraft(
        agency=values["agency"], agency_detail=values["agency_detail"], referred_on=dates["referred_on"],
        their_reference=values["their_reference"], status=values["status"], outcome=values["outcome"],
        outcome_on=dates["outcome_on"], follow_up_on=dates["follow_up_on"], observation_id=observation_id,
    )
    return values, draft, errors


def referral_values(referral) -> dict[str, str]:
    values = {name: str(getattr(referral, name) or "") for name in REFERRAL_FIELDS}
    for name in ("referred_on", "outcome_on", "follow_up_on"):
        day = getattr(referral, name)
        values[name] = day.strftime("%d/%m/%Y") if day else ""
    return values
