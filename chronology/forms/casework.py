"""Reading the DSL's referral and life-event forms, keeping every typed value."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from ..domain.dates import DateProblem, parse_date
from ..domain.vocabulary import CONSENT_NOT_NEEDED_HARM, Term
from ..services.casework import ReferralDraft, SharingDraft
from .keys import key_from

REFERRAL_FIELDS = ("agency", "agency_detail", "kind", "referred_on", "their_reference", "status", "outcome",
                   "outcome_on", "follow_up_on")
# The consent section: what a local authority's referral form asks about who knows and who agreed.
CONSENT_TEXT_FIELDS = ("parents_told", "why_not_told", "consent", "consent_by", "consent_covers",
                       "consent_reason", "child_views", "level_of_need")
HARM_CHOICE = "not-needed-harm"
# The consent answers as the form offers them: "not needed" twice, the usual reason and any other.
CONSENT_CHOICES = (
    Term("given", "Consent to share was given"),
    Term("refused", "Consent to share was refused"),
    Term(HARM_CHOICE, CONSENT_NOT_NEEDED_HARM),
    Term("not-needed", "Not needed, for another reason (say why below)"),
)
LIFE_EVENT_FIELDS = ("kind", "occurred_on", "ended_on", "support", "note", "significant")
SHARING_FIELDS = ("shared_on", "with_name", "with_agency", "method", "what", "significant")


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
    values = {name: data.get(name, "") for name in REFERRAL_FIELDS + CONSENT_TEXT_FIELDS}
    values["by_phone"] = "1" if data.get("by_phone") == "1" else ""
    values["submission_key"] = key_from(data)
    dates, errors = read_dates(values, ("referred_on", "outcome_on", "follow_up_on"), ("referred_on",))
    consent = values["consent"]
    reason = values["consent_reason"] if consent in ("not-needed", "refused") else ""
    if consent == HARM_CHOICE:
        # The usual answer offered as a choice of its own, so it is one click and always the same words.
        consent, reason = "not-needed", CONSENT_NOT_NEEDED_HARM
    draft = ReferralDraft(
        agency=values["agency"], agency_detail=values["agency_detail"], kind=values["kind"],
        referred_on=dates["referred_on"],
        their_reference=values["their_reference"], status=values["status"], outcome=values["outcome"],
        outcome_on=dates["outcome_on"], follow_up_on=dates["follow_up_on"], observation_id=observation_id,
        parents_told=values["parents_told"],
        # An answer that only belongs with another (why not told, who consented) is kept only with it,
        # so a referral never says both "told" and why they were not.
        why_not_told=values["why_not_told"] if values["parents_told"] == "no" else "",
        consent=consent,
        consent_by=values["consent_by"] if consent == "given" else "",
        consent_covers=values["consent_covers"] if consent == "given" else "",
        consent_reason=reason,
        child_views=values["child_views"], level_of_need=values["level_of_need"],
        by_phone=values["by_phone"] == "1",
    )
    return values, draft, errors


def referral_values(referral) -> dict[str, str]:
    values = {name: str(getattr(referral, name) or "") for name in REFERRAL_FIELDS + CONSENT_TEXT_FIELDS}
    for name in ("referred_on", "outcome_on", "follow_up_on"):
        day = getattr(referral, name)
        values[name] = day.strftime("%d/%m/%Y") if day else ""
    values["by_phone"] = "1" if referral.by_phone else ""
    if referral.consent == "not-needed" and referral.consent_reason == CONSENT_NOT_NEEDED_HARM:
        values["consent"], values["consent_reason"] = HARM_CHOICE, ""
    return values


def read_life_event(data: MultiDict) -> tuple[dict[str, str], dict[str, object], dict[str, str]]:
    """The typed values, the parsed dates, and the dates that could not be read."""
    values = {name: data.get(name, "") for name in LIFE_EVENT_FIELDS}
    values["submission_key"] = key_from(data)
    dates, errors = read_dates(values, ("occurred_on", "ended_on"), ("occurred_on",))
    if values["kind"] != "school-support":
        # Only support in school has an end; a date left in the hidden field is not an error.
        errors.pop("ended_on", None)
    return values, dates, errors


def read_information_shared(data: MultiDict) -> tuple[dict[str, str], SharingDraft, dict[str, str]]:
    """The typed values (kept for the form on an error), the draft, and a date that could not be read."""
    values = {name: data.get(name, "") for name in SHARING_FIELDS}
    values["significant"] = "1" if values["significant"] == "1" else ""
    values["submission_key"] = key_from(data)
    dates, errors = read_dates(values, ("shared_on",), ("shared_on",))
    draft = SharingDraft(shared_on=dates["shared_on"], with_name=values["with_name"], with_agency=values["with_agency"],
                         method=values["method"], what=values["what"], significant=values["significant"] == "1")
    return values, draft, errors
