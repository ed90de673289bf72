"""The pattern prompts E1-E19 (version 2), checked as pure functions without an app."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable
from datetime import date, timedelta

import pytest

from chronology.domain.prompts import (
    REVIEW_DECISIONS_READ,
    RULE_IDS,
    RULES,
    AttendanceFact,
    ChildRecords,
    HouseholdMemberFact,
    InvalidSettings,
    LifeEventFact,
    ObservationFact,
    Prompt,
    ReferralFact,
    ReviewFact,
    defaults,
    evaluate,
    settings_problems,
    settings_with,
)

AS_OF = date(2024, 6, 14)
NINE_YEAR_OLD = date(2015, 3, 1)
_ids = itertools.count(1)


# --- Factories ---------------------------------------------------------------------------


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def oldest_day_inside(window_days: int) -> date:
    """Worked out here, not with the code under test: "in 30 days" includes AS_OF itself."""
    return AS_OF - timedelta(days=window_days - 1)


def obs(on: date, *categories: str, source: str = "staff", voice: bool = False,
        strength: bool = False, rid: int | str | None = None, quotes: bool = False,
        answered_on: date | None = None) -> ObservationFact:
    return ObservationFact(
        id=next(_ids) if rid is None else rid, occurred_on=on,
        categories=frozenset(categories or ("bullying",)), source=source,
        has_child_voice=voice, is_strength=strength, quotes_child=quotes, answered_on=answered_on,
    )


def referral(on: date, status: str = "awaiting-response", *, agency: str = "social-care",
             outcome_on: date | None = None, follow_up_on: date | None = None,
             rid: int | str | None = None, kind: str = "") -> ReferralFact:
    return ReferralFact(next(_ids) if rid is None else rid, agency, on, status,
                        outcome_on, follow_up_on, kind=kind)


def review(on: date, decision: str) -> ReviewFact:
    return ReviewFact(next(_ids), observation_id=0, decision=decision, decided_on=on)


def event(on: date, kind: str, rid: int | str | None = None, *, ended_on: date | None = None,
          support: str = "") -> LifeEventFact:
    return LifeEventFact(next(_ids) if rid is None else rid, kind, on, ended_on=ended_on, support=support)


def support(on: date, ended_on: date | None = None, kind: str = "elsa") -> LifeEventFact:
    return event(on, "school-support", ended_on=ended_on, support=kind)


def baby(born: date | None = None, *, due: date | None = None,
         lives_with_child: bool | None = True) -> HouseholdMemberFact:
    return HouseholdMemberFact(born, due, lives_with_child)


def attendance(first: date, last: date, percent: float) -> AttendanceFact:
    return AttendanceFact(first, last, percent)


def child(*observations: ObservationFact, dob: date = NINE_YEAR_OLD, gender: str = "female",
          flags: Iterable[str] = (), referrals: Iterable[ReferralFact] = (),
          reviews: Iterable[ReviewFact] = (), events: Iterable[LifeEventFact] = (),
          household: Iterable[HouseholdMemberFact] = (), attended: Iterable[AttendanceFact] = (),
          sen: str = "", communication_needs: bool = False) -> ChildRecords:
    return ChildRecords(
        date_of_birth=dob, gender=gender, flags=frozenset(flags), observations=observations,
        reviews=tuple(reviews), referrals=tuple(referrals), life_events=tuple(events),
        household=tuple(household), attendance=tuple(attended), sen_primary_need=sen,
        communication_needs=communication_needs,
    )


def run(rule_id: str, records: ChildRecords, as_of: date = AS_OF,
        **overrides: int) -> Prompt | None:
    """One rule with default settings, or with overrides for that rule only."""
    settings = settings_with({rule_id: overrides}) if overrides else defaults()
    prompt = RULES[rule_id](records, as_of, settings.for_rule(rule_id))
    assert prompt is None or prompt.rule == rule_id
    return prompt


def fired_rules(records: ChildRecords, as_of: date = AS_OF) -> list[str]:
    return [p.rule for p in evaluate(records, as_of)]


# --- Window edges, for every rule ----------------------------------------------------------
# Each scenario fires when its "edge" record sits on the oldest day inside the window, with
# everything else on AS_OF; moving only the edge record tests each side of the window.

Builder = Callable[[date], ChildRecords]
TEEN = date(2011, 1, 1)
TODDLER = date(2021, 1, 1)

EDGE_SCENARIOS: dict[str, tuple[str, int, Builder]] = {
    "E1 three in 30 days": ("E1", 30, lambda d: child(
        obs(AS_OF, "hunger"), obs(AS_OF, "tiredness"), obs(d, "hygiene", rid="edge"))),
    "E1 five in 90 days": ("E1", 90, lambda d: child(
        *(obs(days_ago(40), "hunger") for _ in range(4)), obs(d, "hygiene", rid="edge"))),
    "E2": ("E2", 365, lambda d: child(
        obs(AS_OF, "domestic-abuse", "poverty"), obs(d, "housing", rid="edge"))),
    "E3": ("E3", 365, lambda d: child(
        obs(AS_OF, "domestic-abuse"), obs(AS_OF, "parental-mental-health"),
        obs(d, "parental-substance-misuse", rid="edge"))),
    "E4 three in 8 weeks": ("E4", 56, lambda d: child(
        obs(AS_OF, "hunger"), obs(AS_OF, "hygiene"), obs(d, "clothing", rid="edge"))),
    "E4 same sign in 3 months": ("E4", 183, lambda d: child(
        obs(AS_OF, "hygiene"), obs(days_ago(40), "hygiene"), obs(d, "hygiene", rid="edge"))),
    "E5 poverty in 12 months": ("E5", 365, lambda d: child(
        obs(AS_OF, "hunger"), obs(d, "poverty", rid="edge"))),
    "E5 a neglect sign in 6 months": ("E5", 183, lambda d: child(
        obs(AS_OF, "poverty"), obs(d, "hunger", rid="edge"))),
    "E6 missing from home": ("E6", 90, lambda d: child(obs(d, "missing-home", rid="edge"))),
    "E6 missing education twice": ("E6", 90, lambda d: child(
        obs(AS_OF, "missing-education"), obs(d, "missing-education", rid="edge"))),
    "E6 missing education and exploitation": ("E6", 90, lambda d: child(
        obs(AS_OF, "missing-education"), obs(d, "criminal-exploitation", rid="edge"))),
    "E7": ("E7", 183, lambda d: child(
        obs(AS_OF, "exclusion"), obs(d, "missing-home", rid="edge"), dob=TEEN)),
    "E7 exclusion as a life event": ("E7", 183, lambda d: child(
        obs(AS_OF, "substance-misuse-child"), events=[event(d, "exclusion", rid="edge")],
        dob=TEEN)),
    "E8": ("E8", 365, lambda d: child(
        obs(d, "sexual-exploitation", rid="edge"), gender="male", dob=TEEN)),
    "E8 for a girl": ("E8", 365, lambda d: child(
        obs(d, "sexual-exploitation", rid="edge"), gender="female", dob=TEEN)),
    "E8 online safety with missing from home": ("E8", 90, lambda d: child(
        obs(AS_OF, "missing-home"), obs(d, "online-safety", rid="edge"), dob=TEEN)),
    "E9": ("E9", 365, lambda d: child(obs(d, "self-harm", rid="edge"))),
    "E10": ("E10", 90, lambda d: child(
        obs(AS_OF, "bullying"), obs(AS_OF, "behaviour-change"), obs(d, "bullying", rid="edge"))),
    "E11": ("E11", 90, lambda d: child(
        obs(AS_OF, "bullying", voice=True), obs(d, "bullying", voice=True, rid="edge"),
        sen="ASD")),
    "E12": ("E12", 365, lambda d: child(
        obs(d, "hunger", rid="edge"),
        referrals=[referral(days_ago(400), "not-accepted", outcome_on=days_ago(380))])),
    "E13 referral closed": ("E13", 183, lambda d: child(
        obs(AS_OF, "hunger"),
        referrals=[referral(days_ago(300), "closed", outcome_on=d, rid="edge")])),
    "E13 early help closed": ("E13", 183, lambda d: child(
        obs(AS_OF, "hunger"), events=[event(d, "early-help-closed", rid="edge")])),
    "E14": ("E14", 90, lambda d: child(obs(d, "bullying", source="community", rid="edge"))),
    "E15": ("E15", 365, lambda d: child(
        obs(AS_OF, "poverty"), obs(d, "not-brought", rid="edge"), dob=TODDLER)),
    "E16 an injury to a child under 2": ("E16", 90, lambda d: child(
        obs(d, "injury", rid="edge"), dob=days_ago(400))),
    "E16 a baby in the household": ("E16", 90, lambda d: child(
        obs(d, "domestic-abuse", rid="edge"), household=[baby(days_ago(100))])),
    "E17": ("E17", 365, lambda d: child(obs(d, "young-carer", rid="edge"), dob=TEEN)),
    "E18": ("E18", 183, lambda d: child(
        obs(AS_OF, "hunger"), obs(AS_OF, "bullying"), obs(AS_OF, "tiredness"),
        obs(d, "injury", rid="edge"))),
    "E19": ("E19", 365, lambda d: child(
        obs(d, "hunger", rid="edge"), attended=[attendance(d - timedelta(days=20), d, 85.0)])),
}


def test_every_rule_has_an_edge_scenario():
    assert {rule for rule, _, _ in EDGE_SCENARIOS.values()} == set(RULE_IDS)


@pytest.mark.parametrize("name", EDGE_SCENARIOS)
def test_the_oldest_day_inside_the_window_counts(name):
    rule_id, days, build = EDGE_SCENARIOS[name]
    prompt = run(rule_id, build(oldest_day_inside(days)))
    assert prompt is not None
    assert any(ref.endswith(":edge") for ref in prompt.evidence)


@pytest.mark.parametrize("name", EDGE_SCENARIOS)
def test_the_day_before_the_window_does_not_count(name):
    rule_id, days, build = EDGE_SCENARIOS[name]
    assert run(rule_id, build(oldest_day_inside(days) - timedelta(days=1))) is None


@pytest.mark.parametrize("name", EDGE_SCENARIOS)
def test_a_record_after_the_as_of_date_does_not_count(name):
    rule_id, _, build = EDGE_SCENARIOS[name]
    assert run(rule_id, build(AS_OF + timedelta(days=1))) is None


@pytest.mark.parametrize("name", EDGE_SCENARIOS)
def test_every_prompt_names_the_research_and_its_evidence(name):
    rule_id, days, build = EDGE_SCENARIOS[name]
    prompt = run(rule_id, build(oldest_day_inside(days)))
    assert prompt is not None
    assert "serious case reviews" in prompt.explanation
    assert prompt.title and prompt.evidence
    assert all(ref.split(":")[0] in {"observation", "review", "referral", "life-event"}
               for ref in prompt.evidence)


# --- E1 ----------------------------------------------------------------------------------


def test_e1_fires_at_three_concerns_in_30_days_and_not_at_two():
    three = child(*(obs(days_ago(n), "hunger") for n in (1, 5, 9)))
    two = child(*(obs(days_ago(n), "hunger") for n in (1, 5)))
    assert run("E1", three) is not None
    assert run("E1", two) is None


def test_e1_fires_at_five_concerns_in_90_days_and_not_at_four():
    # Spread out so that the 30-day branch never has three.
    five = child(*(obs(days_ago(n), "hunger") for n in (5, 35, 50, 65, 80)))
    four = child(*(obs(days_ago(n), "hunger") for n in (5, 35, 50, 65)))
    assert run("E1", five) is not None
    assert run("E1", four) is None


THREE_RECENT = (1, 5, 9)


def three_concerns() -> list[ObservationFact]:
    return [obs(days_ago(n), "hunger") for n in THREE_RECENT]


@pytest.mark.parametrize("status", ["awaiting-response", "accepted"])
def test_e1_stays_quiet_while_children_s_social_care_has_a_referral(status):
    # v1 went quiet for any help recorded in the window; v2 only while social care has it.
    awaiting = referral(days_ago(200), status, agency="social-care")
    assert run("E1", child(*three_concerns(), referrals=[awaiting])) is None
    answered = referral(days_ago(200), "not-accepted", agency="social-care", outcome_on=days_ago(150))
    assert run("E1", child(*three_concerns(), referrals=[answered])) is not None


@pytest.mark.parametrize("early_help", [
    {"reviews": [review(days_ago(3), "early-help")]},
    {"events": [event(days_ago(3), "early-help-started")]},
    {"events": [event(days_ago(200), "early-help-closed")]},
    {"referrals": [referral(days_ago(100), "declined-by-the-family", agency="early-help",
                            outcome_on=days_ago(90))]},
    {"flags": {"early-help-plan"}},
])
def test_e1_after_early_help_advises_children_s_social_care_not_early_help_again(early_help):
    prompt = run("E1", child(*three_concerns(), **early_help))
    assert prompt is not None
    assert "children's social care" in prompt.title and "early help assessment" not in prompt.title
    assert "Early help has not been enough" in prompt.explanation
    assert "consultation" in prompt.next_step


def test_e1_early_help_counts_for_12_months_then_the_advice_is_early_help_again():
    # The help window's edge: a plan closed on the oldest day inside 12 months, and the day before.
    inside = child(*three_concerns(), events=[event(oldest_day_inside(365), "early-help-closed")])
    before = child(*three_concerns(),
                   events=[event(oldest_day_inside(365) - timedelta(days=1), "early-help-closed")])
    assert "social care" in run("E1", inside).title
    assert "consider an early help assessment" in run("E1", before).title


def test_e1_an_early_help_plan_open_for_years_is_still_in_place():
    plan = event(days_ago(900), "early-help-started")
    assert "social care" in run("E1", child(*three_concerns(), events=[plan])).title
    closed_long_ago = [plan, event(days_ago(800), "early-help-closed")]
    assert "early help assessment" in run("E1", child(*three_concerns(), events=closed_long_ago)).title


def test_e1_with_support_in_school_counts_only_the_concerns_since_it_began():
    # ELSA began 6 days ago: only the concern 5 days ago and the one 1 day ago came after it.
    elsa = support(days_ago(6))
    assert run("E1", child(*three_concerns(), events=[elsa])) is None
    started_at_the_first = support(days_ago(9))  # on the day of the first: all three count
    prompt = run("E1", child(*three_concerns(), events=[started_at_the_first]))
    assert prompt is not None
    assert "despite support" in prompt.title and "early help assessment" in prompt.title
    assert f"since help in school or from another agency began on {days_ago(9):%d/%m/%Y}" in prompt.explanation
    assert any(ref.startswith("life-event:") for ref in prompt.evidence)


def test_e1_support_that_ended_before_the_help_window_is_not_in_place():
    ended = support(days_ago(900), ended_on=days_ago(400))
    prompt = run("E1", child(*three_concerns(), events=[ended]))
    assert prompt is not None and "Small worries" in prompt.title
    # In place 300 days ago, inside the 12 months: the concerns continued despite it.
    still_on_a_year_ago = support(days_ago(900), ended_on=days_ago(300))
    assert "despite support" in run("E1", child(*three_concerns(), events=[still_on_a_year_ago])).title


def test_e1_a_referral_to_health_is_help_whose_start_counts_like_support():
    to_health = referral(days_ago(3), agency="health")
    assert run("E1", child(*three_concerns(), referrals=[to_health])) is None
    assert run("E1", child(*three_concerns(), reviews=[review(days_ago(3), "refer-health")])) is None


def test_e1_a_monitor_decision_is_not_early_help():
    concerns = [obs(days_ago(n), "hunger") for n in (1, 5, 9)]
    assert run("E1", child(*concerns, reviews=[review(days_ago(2), "monitor")])) is not None


@pytest.mark.parametrize("flag", ["child-in-need", "cp-plan-current"])
def test_e1_does_not_suggest_early_help_for_a_child_already_known_to_social_care(flag):
    concerns = [obs(days_ago(n), "hunger") for n in (1, 5, 9)]
    assert run("E1", child(*concerns, flags={flag})) is None


def test_e1_explanation_names_child_j_and_the_escalation_finding():
    prompt = run("E1", child(*(obs(days_ago(n), "hunger") for n in (1, 5, 9))))
    assert prompt is not None
    assert "Child J" in prompt.explanation
    assert "Child J, a girl whose weight and apparent malnourishment" in prompt.explanation
    assert "3 concerns in the last 30 days" in prompt.explanation
    assert "368 serious case reviews" in prompt.explanation
    assert "early help assessment" in prompt.next_step


# --- E2, E3 ------------------------------------------------------------------------------


def test_e2_fires_at_three_different_family_adversities_and_not_at_two():
    three = child(obs(days_ago(1), "poverty"), obs(days_ago(100), "housing"),
                  obs(days_ago(200), "parental-separation"))
    two = child(obs(days_ago(1), "poverty"), obs(days_ago(100), "housing"),
                obs(days_ago(200), "housing"))
    prompt = run("E2", three)
    assert prompt is not None and "42%" in prompt.explanation
    assert run("E2", two) is None


def test_e2_child_categories_are_not_family_adversities():
    records = child(obs(days_ago(1), "poverty", "hunger", "hygiene", "tiredness"))
    assert run("E2", records) is None


def test_e3_needs_all_three_commonest_adversities():
    two = [obs(days_ago(1), "domestic-abuse"), obs(days_ago(2), "parental-mental-health")]
    assert run("E3", child(*two)) is None
    prompt = run("E3", child(*two, obs(days_ago(3), "parental-substance-misuse")))
    assert prompt is not None and "64%" in prompt.explanation


# --- E4, E5 ------------------------------------------------------------------------------


def test_e4_fires_at_three_neglect_signs_in_8_weeks_and_not_at_two():
    assert run("E4", child(*(obs(days_ago(n), "hygiene") for n in (1, 20, 40)))) is not None
    assert run("E4", child(*(obs(days_ago(n), "hygiene") for n in (1, 20)))) is None


def test_e4_fires_for_the_same_sign_in_three_calendar_months_and_not_two():
    # Only one of these falls inside the 8-week branch, so the month branch is what fires.
    three_months = child(obs(date(2024, 1, 20), "hygiene"), obs(date(2024, 3, 5), "hygiene"),
                         obs(date(2024, 6, 1), "hygiene"))
    two_months = child(obs(date(2024, 3, 20), "hygiene"), obs(date(2024, 3, 5), "hygiene"),
                       obs(date(2024, 6, 1), "hygiene"))
    assert run("E4", three_months) is not None
    assert run("E4", two_months) is None


def test_e4_different_signs_in_three_months_are_not_the_same_sign():
    records = child(obs(date(2024, 1, 20), "hunger"), obs(date(2024, 3, 5), "hygiene"),
                    obs(date(2024, 6, 1), "clothing"))
    assert run("E4", records) is None


@pytest.mark.parametrize("partner", ["hunger", "not-brought", "parental-substance-misuse"])
def test_e5_fires_for_poverty_with_neglect_or_parental_substance_misuse(partner):
    # v1 counted a partner sign anywhere in the 12 months (it was 200 days ago here); v2 looks 6 months back.
    prompt = run("E5", child(obs(days_ago(1), "poverty"), obs(days_ago(150), partner)))
    assert prompt is not None and "Cara" in prompt.explanation
    assert "Cara, a two-year-old who died after swallowing her mother's methadone" in prompt.explanation


def test_e5_fades_six_months_after_the_last_sign_not_a_year_after_the_poverty():
    # The help worked: poverty last month, but the last neglect sign was 183 days ago, then 184.
    on_the_edge = child(obs(days_ago(30), "poverty"), obs(days_ago(182), "hunger"))
    faded = child(obs(days_ago(30), "poverty"), obs(days_ago(183), "hunger"))
    assert run("E5", on_the_edge) is not None
    assert run("E5", faded) is None


@pytest.mark.parametrize("records", [
    child(obs(days_ago(1), "poverty")),
    child(obs(days_ago(1), "hunger")),
    child(obs(days_ago(1), "poverty"), obs(days_ago(2), "domestic-abuse")),
])
def test_e5_needs_poverty_and_a_partner(records):
    assert run("E5", records) is None


# --- E6, E7, E8 --------------------------------------------------------------------------


def test_e6_any_missing_from_home_asks_for_the_return_interview():
    prompt = run("E6", child(obs(days_ago(1), "missing-home")))
    assert prompt is not None
    assert "return interview" in prompt.title
    assert "72 hours" in prompt.explanation


def test_e6_missing_from_education_once_alone_is_not_enough():
    assert run("E6", child(obs(days_ago(1), "missing-education"))) is None


def test_e6_missing_from_education_twice_asks_for_a_multi_agency_response():
    prompt = run("E6", child(obs(days_ago(1), "missing-education"),
                             obs(days_ago(30), "missing-education")))
    assert prompt is not None
    assert "multi-agency" in prompt.title
    assert "return interview" not in prompt.title


def test_e6_missing_from_education_with_sexual_exploitation_fires():
    prompt = run("E6", child(obs(days_ago(1), "missing-education"),
                             obs(days_ago(30), "sexual-exploitation")))
    assert prompt is not None and "exploitation" in prompt.explanation


def test_e7_fires_for_two_different_signs_and_not_one():
    assert run("E7", child(obs(days_ago(1), "missing-home"), obs(days_ago(2), "exclusion"),
                           dob=TEEN)) is not None
    assert run("E7", child(obs(days_ago(1), "exclusion"), obs(days_ago(2), "exclusion"),
                           dob=TEEN)) is None


def test_e7_an_explained_fracture_and_a_one_off_suspension_are_not_exploitation():
    # v1 counted injury as a sign, so these two fired E7; v2 does not.
    records = child(obs(days_ago(10), "injury", voice=True), obs(days_ago(40), "exclusion"), dob=TEEN)
    assert run("E7", records) is None
    from_violence = child(obs(days_ago(10), "injury", "criminal-exploitation"),
                          obs(days_ago(40), "exclusion"), dob=TEEN)
    assert run("E7", from_violence) is not None


def test_e7_missing_from_home_and_from_education_are_two_different_signs():
    # v1 grouped them as one sign, "going missing"; v2's list names each.
    records = child(obs(days_ago(1), "missing-home"), obs(days_ago(2), "missing-education"),
                    dob=TEEN)
    prompt = run("E7", records)
    assert prompt is not None
    assert "criminal" in prompt.explanation and "sexual exploitation" in prompt.explanation
    assert "police" in prompt.next_step and "exploitation procedure" in prompt.next_step


def test_e7_three_signs_when_the_school_asks_for_three():
    two = child(obs(days_ago(1), "missing-home"), obs(days_ago(2), "exclusion"), dob=TEEN)
    three = child(*two.observations, obs(days_ago(3), "substance-misuse-child"), dob=TEEN)
    four = child(*three.observations, obs(days_ago(4), "sexual-exploitation"), dob=TEEN)
    assert run("E7", two, min_signs=3) is None
    assert run("E7", three, min_signs=3) is not None
    assert run("E7", four, min_signs=3) is not None


def test_e7_counts_age_at_the_observation_not_at_the_as_of_date():
    eleventh_birthday = days_ago(30)
    dob = eleventh_birthday.replace(year=eleventh_birthday.year - 11)
    aged_ten = child(obs(eleventh_birthday - timedelta(days=1), "missing-home"),
                     obs(days_ago(1), "exclusion"), dob=dob)
    aged_eleven = child(obs(eleventh_birthday, "missing-home"), obs(days_ago(1), "exclusion"), dob=dob)
    assert run("E7", aged_ten) is None
    assert run("E7", aged_eleven) is not None


def test_e7_does_not_fire_for_a_younger_child():
    assert run("E7", child(obs(days_ago(1), "missing-home"), obs(days_ago(2), "exclusion"))) is None


@pytest.mark.parametrize("gender", ["male", "M", "Boy"])
def test_e8_for_a_boy_asks_whether_it_would_differ_for_a_girl(gender):
    prompt = run("E8", child(obs(days_ago(1), "sexual-exploitation"), gender=gender, dob=TEEN))
    assert prompt is not None
    assert "less likely to disclose" in prompt.explanation
    assert "if this child were a girl" in prompt.explanation


@pytest.mark.parametrize("gender", ["female", "F", "non-binary", ""])
def test_e8_fires_for_a_girl_as_for_a_boy_without_the_boys_sentence(gender):
    # v1 fired E8 only for a boy: a girl of 14 with an older "boyfriend" raised nothing.
    prompt = run("E8", child(obs(days_ago(1), "sexual-exploitation"), gender=gender, dob=TEEN))
    assert prompt is not None
    assert "even when the child calls it a relationship" in prompt.explanation
    assert "social care" in prompt.next_step
    assert "less likely to disclose" not in prompt.explanation
    assert "were a girl" not in prompt.explanation


def test_e8_online_safety_with_missing_from_home_in_90_days():
    online, missing = obs(days_ago(10), "online-safety"), obs(days_ago(89), "missing-home")
    assert run("E8", child(online, missing)) is not None
    assert run("E8", child(online, obs(days_ago(90), "missing-home"))) is None
    assert run("E8", child(online)) is None
    assert run("E8", child(missing)) is None


# --- E9, E10, E11 ------------------------------------------------------------------------


def test_e9_one_self_harm_refers_to_health():
    prompt = run("E9", child(obs(days_ago(1), "self-harm")))
    assert prompt is not None
    assert "refer to health" in prompt.title
    assert "escalate" not in prompt.title.lower()


def test_e9_more_than_one_self_harm_escalates():
    prompt = run("E9", child(obs(days_ago(1), "self-harm"), obs(days_ago(100), "self-harm")))
    assert prompt is not None
    assert "escalate" in prompt.title
    assert "twice" in prompt.explanation


def test_e9_nothing_without_self_harm():
    assert run("E9", child(obs(days_ago(1), "emotional-wellbeing"))) is None


def test_e10_fires_at_three_concerns_without_the_childs_words_and_not_at_two():
    assert run("E10", child(*(obs(days_ago(n)) for n in (1, 2, 3)))) is not None
    assert run("E10", child(*(obs(days_ago(n)) for n in (1, 2)))) is None


def test_e10_one_record_of_the_childs_words_in_the_window_is_enough():
    with_voice = child(obs(days_ago(1)), obs(days_ago(2)), obs(days_ago(3), voice=True))
    assert run("E10", with_voice) is None


def test_e10_the_childs_words_before_the_window_do_not_count():
    old_voice = obs(oldest_day_inside(90) - timedelta(days=1), voice=True)
    assert run("E10", child(obs(days_ago(1)), obs(days_ago(2)), obs(days_ago(3)),
                            old_voice)) is not None


@pytest.mark.parametrize("code", ["SLCN", "ASD", "MLD", "SLD", "PMLD", "HI", "VI", "MSI", "asd"])
def test_e11_fires_for_a_communication_or_learning_need_at_two_concerns_and_not_at_one(code):
    assert run("E11", child(obs(days_ago(1)), obs(days_ago(2)), sen=code)) is not None
    assert run("E11", child(obs(days_ago(1)), sen=code)) is None


def test_e11_three_concerns_when_the_school_asks_for_three():
    concerns = [obs(days_ago(n)) for n in (1, 2, 3, 4)]
    assert run("E11", child(*concerns[:2], sen="SLCN"), min_observations=3) is None
    assert run("E11", child(*concerns[:3], sen="SLCN"), min_observations=3) is not None
    assert run("E11", child(*concerns, sen="SLCN"), min_observations=3) is not None


@pytest.mark.parametrize("code", ["SpLD", "SEMH", "PD", "OTH", "NSA", ""])
def test_e11_not_for_dyslexia_semh_or_other_needs_even_with_the_send_flag(code):
    # v1 fired on the SEND flag alone: a dyslexic child with two ordinary concerns.
    assert run("E11", child(obs(days_ago(1)), obs(days_ago(2)), sen=code, flags={"send"})) is None


def test_e11_fires_for_a_child_recorded_as_having_communication_needs():
    prompt = run("E11", child(obs(days_ago(1)), obs(days_ago(2)), sen="SpLD", communication_needs=True))
    assert prompt is not None and "SENCO" in prompt.next_step


# --- E12, E13 ----------------------------------------------------------------------------


def test_e12_new_concern_after_a_referral_was_not_accepted_asks_to_press_for_reconsideration():
    closed = days_ago(20)
    refused = referral(days_ago(30), "not-accepted", outcome_on=closed, rid=7)
    prompt = run("E12", child(obs(closed + timedelta(days=1), "hunger", rid=8),
                              referrals=[refused]))
    assert prompt is not None
    assert "reconsideration" in prompt.title
    assert prompt.evidence == ("observation:8", "referral:7")


def test_e12_concerns_on_or_before_the_day_it_was_not_accepted_are_not_new():
    closed = days_ago(20)
    refused = referral(days_ago(30), "not-accepted", outcome_on=closed)
    records = child(obs(closed, "hunger"), obs(days_ago(25), "hunger"), referrals=[refused])
    assert run("E12", records) is None


def test_e12_an_accepted_referral_is_not_a_refusal():
    accepted = referral(days_ago(30), "accepted", outcome_on=days_ago(20))
    assert run("E12", child(obs(days_ago(1), "hunger"), referrals=[accepted])) is None


def test_e12_a_refusal_recorded_after_the_as_of_date_was_not_known_then():
    refused = referral(days_ago(30), "not-accepted", outcome_on=AS_OF + timedelta(days=5))
    assert run("E12", child(obs(days_ago(1), "hunger"), referrals=[refused])) is None


def test_e12_fires_the_day_after_the_follow_up_date_with_no_outcome_and_not_on_it():
    overdue = child(referrals=[referral(days_ago(30), follow_up_on=days_ago(1))])
    due_today = child(referrals=[referral(days_ago(30), follow_up_on=AS_OF)])
    prompt = run("E12", overdue)
    assert prompt is not None and "follow up" in prompt.title
    assert run("E12", due_today) is None


def test_e12_an_outcome_recorded_by_the_as_of_date_ends_the_follow_up_prompt():
    answered = referral(days_ago(30), "accepted", outcome_on=days_ago(5), follow_up_on=days_ago(10))
    answered_later = referral(days_ago(30), "accepted", outcome_on=AS_OF + timedelta(days=1),
                              follow_up_on=days_ago(10))
    assert run("E12", child(referrals=[answered])) is None
    assert run("E12", child(referrals=[answered_later])) is not None


def test_e13_a_new_concern_after_an_early_help_plan_closed_fires():
    closed = event(days_ago(60), "early-help-closed")
    prompt = run("E13", child(obs(days_ago(10), "hunger"), events=[closed]))
    assert prompt is not None and "Cara" in prompt.explanation


def test_e13_a_concern_on_the_closing_day_is_not_new():
    closed = event(days_ago(60), "early-help-closed")
    assert run("E13", child(obs(days_ago(60), "hunger"), events=[closed])) is None


def test_e13_a_referral_not_accepted_belongs_to_e12_not_e13():
    refused = referral(days_ago(90), "not-accepted", outcome_on=days_ago(60))
    records = child(obs(days_ago(10), "hunger"), referrals=[refused])
    assert run("E13", records) is None
    assert run("E12", records) is not None


def test_e13_settings_can_ask_for_more_than_one_new_concern():
    closed = event(days_ago(60), "early-help-closed")
    one = child(obs(days_ago(10), "hunger"), events=[closed])
    two = child(obs(days_ago(10), "hunger"), obs(days_ago(5), "hygiene"), events=[closed])
    assert run("E13", one, min_observations=2) is None
    assert run("E13", two, min_observations=2) is not None


# --- E14, E15 ----------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["wider-family", "community"])
def test_e14_fires_for_a_concern_from_wider_family_or_the_community(source):
    prompt = run("E14", child(obs(days_ago(1), source=source)))
    assert prompt is not None and "acted on" in prompt.title


@pytest.mark.parametrize("source", ["staff", "child", "parent-carer", "other-agency"])
def test_e14_ignores_other_sources(source):
    assert run("E14", child(obs(days_ago(1), source=source))) is None


def test_e15_fires_for_a_child_under_5_at_the_time_it_happened():
    last_day_aged_four = days_ago(30)
    dob = (last_day_aged_four + timedelta(days=1)).replace(year=last_day_aged_four.year - 5)
    four = child(obs(last_day_aged_four, "not-brought"), obs(days_ago(1), "poverty"), dob=dob)
    five = child(obs(last_day_aged_four + timedelta(days=1), "not-brought"),
                 obs(days_ago(1), "poverty"), dob=dob)
    assert run("E15", four) is not None
    assert run("E15", five) is None


def test_e15_does_not_fire_for_a_school_age_child():
    records = child(obs(days_ago(2), "not-brought"), obs(days_ago(1), "poverty"))
    assert run("E15", records) is None


def test_e15_needs_both_not_brought_and_poverty():
    assert run("E15", child(obs(days_ago(2), "not-brought"), dob=TODDLER)) is None
    assert run("E15", child(obs(days_ago(2), "poverty"), dob=TODDLER)) is None


# --- The child as a whole ----------------------------------------------------------------


@pytest.mark.parametrize("dob", [TODDLER, NINE_YEAR_OLD, TEEN])
@pytest.mark.parametrize("gender", ["male", "female"])
def test_a_quiet_child_with_one_explained_graze_gets_no_prompt(dob, gender):
    graze = obs(days_ago(3), "injury", source="staff", voice=True)
    assert evaluate(child(graze, dob=dob, gender=gender), AS_OF) == []


def test_a_busy_but_unconcerning_child_gets_no_prompt():
    records = child(obs(days_ago(183), "bullying", voice=True),
                    obs(days_ago(2), "emotional-wellbeing", voice=True))
    assert evaluate(records, AS_OF) == []


def test_strengths_are_not_counted_as_concerns():
    strengths = [obs(days_ago(n), "strength", strength=True) for n in (1, 2, 3, 4, 5)]
    filed_as_strength_only = [obs(days_ago(n), "strength") for n in (1, 2, 3)]
    assert evaluate(child(*strengths, flags={"send"}), AS_OF) == []
    assert evaluate(child(*filed_as_strength_only), AS_OF) == []
    community_strength = obs(days_ago(1), "strength", source="community", strength=True)
    assert run("E14", child(community_strength)) is None


def test_the_same_records_and_date_give_the_same_prompts_whatever_the_order():
    observations = [
        obs(days_ago(1), "hunger"), obs(days_ago(4), "poverty", source="community"),
        obs(days_ago(9), "hygiene"), obs(days_ago(10), "self-harm"),
        obs(days_ago(40), "domestic-abuse"), obs(days_ago(80), "housing"),
    ]
    first = evaluate(child(*observations), AS_OF)
    shuffled = observations[:]
    random.Random(4).shuffle(shuffled)
    assert first
    assert evaluate(child(*observations), AS_OF) == first
    assert evaluate(child(*shuffled), AS_OF) == first


def test_prompts_come_in_rule_number_order_and_evidence_in_record_number_order():
    records = child(*(obs(days_ago(n), "poverty" if n == 1 else "housing", rid=n)
                      for n in (1, 9, 10, 11)),
                    obs(days_ago(2), "parental-separation", rid=2),
                    obs(days_ago(3), "self-harm", rid=3))
    prompts = evaluate(records, AS_OF)
    rules = [p.rule for p in prompts]
    assert rules == sorted(rules, key=lambda r: int(r[1:]))
    assert rules[:2] == ["E1", "E2"] and "E10" in rules
    e2 = next(p for p in prompts if p.rule == "E2")
    assert e2.evidence == ("observation:1", "observation:2", "observation:9",
                           "observation:10", "observation:11")


def test_a_rule_switched_off_gives_no_prompt():
    records = child(obs(days_ago(1), "self-harm"))
    assert "E9" in fired_rules(records)
    assert evaluate(records, AS_OF, disabled=frozenset({"E9"})) == []


def test_switching_off_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="E20.*E1 to E19"):
        evaluate(child(), AS_OF, disabled=frozenset({"E20"}))


# --- Realistic chronologies --------------------------------------------------------------


def test_a_primary_child_drifting_into_neglect():
    records = child(
        obs(date(2024, 3, 4), "hygiene"),
        obs(date(2024, 4, 15), "hygiene", "tiredness"),
        obs(date(2024, 5, 20), "hunger", voice=True),
        obs(date(2024, 6, 3), "hygiene"),
        obs(date(2024, 6, 10), "clothing"),
    )
    # v2 adds E18: hygiene, tiredness, hunger and clothing are four different worries in 6 months.
    assert fired_rules(records) == ["E1", "E4", "E18"]


def test_an_adolescent_boy_drawn_into_criminal_exploitation():
    records = child(
        obs(date(2024, 1, 10), "exclusion"),
        obs(date(2024, 3, 2), "missing-education"),
        obs(date(2024, 4, 20), "substance-misuse-child", source="community"),
        obs(date(2024, 5, 28), "missing-home", voice=True),
        obs(date(2024, 6, 5), "injury", "criminal-exploitation", voice=True),
        events=[event(date(2024, 1, 10), "exclusion")],
        referrals=[referral(date(2024, 6, 6), agency="police", follow_up_on=date(2024, 6, 20))],
        gender="male", dob=date(2010, 2, 1),
    )
    # v2 adds E18: six different worries about him in 6 months.
    assert fired_rules(records) == ["E6", "E7", "E14", "E18"]


def test_a_family_under_strain_after_a_referral_was_not_accepted():
    records = child(
        obs(date(2023, 10, 2), "domestic-abuse", source="child", voice=True),
        obs(date(2023, 11, 15), "parental-mental-health", source="parent-carer"),
        obs(date(2024, 1, 22), "parental-substance-misuse", source="other-agency"),
        obs(date(2024, 2, 12), "emotional-wellbeing", voice=True),
        referrals=[referral(date(2023, 12, 1), "not-accepted", outcome_on=date(2023, 12, 8))],
    )
    assert fired_rules(records) == ["E2", "E3", "E12"]


# --- Settings ----------------------------------------------------------------------------


def test_defaults_are_the_thresholds_in_the_domain_reference():
    settings = defaults()
    assert (settings.e1.short_window_days, settings.e1.short_min_observations) == (30, 3)
    assert (settings.e1.long_window_days, settings.e1.long_min_observations) == (90, 5)
    assert settings.e4.short_window_days == 56
    assert settings.e7.min_age_years == 11
    assert settings.e15.under_age_years == 5
    assert (settings.e1.help_window_days, settings.e5.sign_window_days) == (365, 183)
    assert (settings.e16.window_days, settings.e16.under_age_years, settings.e16.baby_under_months) == (90, 2, 12)
    assert settings.e17.window_days == 365
    assert (settings.e18.window_days, settings.e18.min_categories) == (183, 4)
    assert settings.e19.below_percent == 90


def test_an_override_lowers_a_threshold():
    two = child(obs(days_ago(1), "hunger"), obs(days_ago(2), "hunger"))
    assert run("E1", two) is None
    assert run("E1", two, short_min_observations=2) is not None
    settings = settings_with({"E1": {"short_min_observations": "2"}})
    assert "E1" in [p.rule for p in evaluate(two, AS_OF, settings)]


def test_an_override_shortens_a_window():
    records = child(obs(days_ago(40), "self-harm"))
    assert run("E9", records) is not None
    # 40 days ago is the oldest day inside a 41-day window, and just outside a 40-day one.
    assert run("E9", records, window_days=41) is not None
    assert run("E9", records, window_days=40) is None


def test_an_override_changes_the_age_limit():
    records = child(obs(days_ago(1), "not-brought"), obs(days_ago(1), "poverty"),
                    dob=date(2019, 1, 1))
    assert run("E15", records) is None
    assert run("E15", records, under_age_years=6) is not None


def test_an_override_leaves_other_rules_and_the_base_alone():
    base = defaults()
    changed = settings_with({"E9": {"window_days": 30}}, base)
    assert changed.e9.window_days == 30
    assert base.e9.window_days == 365
    assert changed.e1 == base.e1


@pytest.mark.parametrize(("overrides", "key", "words"), [
    ({"E1": {"short_window_days": -3}}, "E1.short_window_days", "cannot be negative"),
    ({"E1": {"short_window_days": 0}}, "E1.short_window_days", "at least 1 day"),
    ({"E9": {"window_days": "abc"}}, "E9.window_days", "must be a whole number"),
    ({"E9": {"window_days": 2.5}}, "E9.window_days", "must be a whole number"),
    ({"E9": {"window_days": True}}, "E9.window_days", "must be a whole number"),
    ({"E9": {"window_days": None}}, "E9.window_days", "must be a whole number"),
    ({"E10": {"min_observations": 0}}, "E10.min_observations", "at least 1"),
    ({"E2": {"window_days": 100_000}}, "E2.window_days", "at most"),
    ({"E20": {"window_days": 3}}, "E20", "the rules are E1 to E19"),
    ({"E16": {"baby_under_months": 0}}, "E16.baby_under_months", "at least 1"),
    ({"E19": {"below_percent": 101}}, "E19.below_percent", "at most 100"),
    ({"E1": {"window": 3}}, "E1.window", "no setting called 'window'"),
])
def test_bad_settings_are_refused_with_a_clear_message(overrides, key, words):
    problems = settings_problems(overrides)
    assert list(problems) == [key]
    assert words in problems[key]
    assert key.split(".")[0] in problems[key]
    with pytest.raises(InvalidSettings) as refused:
        settings_with(overrides)
    assert refused.value.errors == problems


def test_every_bad_setting_is_reported_at_once():
    problems = settings_problems({"E1": {"short_window_days": 0, "long_window_days": "x"},
                                  "E9": {"escalate_at": -1}})
    assert set(problems) == {"E1.short_window_days", "E1.long_window_days", "E9.escalate_at"}


def test_good_settings_have_no_problems():
    good = {"E1": {"short_window_days": " 20 "}, "E7": {"min_age_years": 12}}
    assert settings_problems(good) == {}
    assert settings_with(good).e1.short_window_days == 20


# --- The window index every rule reads through -------------------------------------------

from hypothesis import given, settings as hypothesis_settings, strategies as st  # noqa: E402

_DAYS = st.integers(min_value=0, max_value=900).map(days_ago)
_OBSERVATION = st.builds(
    lambda i, day, cats: ObservationFact(i, day, frozenset(cats), "staff", False,
                                         frozenset(cats) == {"strength"}),
    st.integers(1, 10_000), _DAYS,
    st.sets(st.sampled_from(["hunger", "hygiene", "strength", "domestic-abuse", "missing"]), min_size=1),
)


@hypothesis_settings(max_examples=200, deadline=None)
@given(observations=st.lists(_OBSERVATION, max_size=60), first=_DAYS, last=_DAYS)
def test_concerns_in_a_window_are_exactly_those_a_pass_over_every_record_finds(observations, first, last):
    records = ChildRecords(date_of_birth=NINE_YEAR_OLD, gender="female", observations=observations)
    expected = [o for o in observations if o.is_concern and first <= o.occurred_on <= last]
    assert records.concerns_between(first, last) == expected


def test_a_long_history_gives_the_same_prompts_whatever_order_its_records_arrive_in():
    rng = random.Random(7)
    slugs = ["hunger", "hygiene", "domestic-abuse", "parental-mental-health", "parental-substance-misuse",
             "missing", "self-harm", "strength", "not-brought", "poverty"]
    observations = [ObservationFact(i, days_ago(rng.randrange(0, 800)), frozenset(rng.sample(slugs, 2)),
                                    "staff", rng.random() < 0.5, False) for i in range(1, 400)]
    forwards = ChildRecords(date_of_birth=NINE_YEAR_OLD, gender="male", observations=observations)
    backwards = ChildRecords(date_of_birth=NINE_YEAR_OLD, gender="male", observations=observations[::-1])
    fired = evaluate(forwards, AS_OF)
    assert fired, "a long, mixed history must fire some rules, or this test shows nothing"
    assert [(p.rule, p.evidence) for p in fired] == [(p.rule, p.evidence) for p in evaluate(backwards, AS_OF)]


@pytest.mark.parametrize("overrides, disabled", [
    ({}, frozenset()),
    ({"E1": {"long_window_days": 700}}, frozenset()),
    ({"E2": {"window_days": 40}, "E13": {"window_days": 900}}, frozenset({"E1"})),
    ({}, frozenset(rule for rule in RULE_IDS if rule != "E10")),
])
def test_what_the_app_leaves_unread_cannot_change_any_prompt(overrides, disabled):
    # The app reads only concerns inside the longest enabled window; that must never change a prompt.
    settings = settings_with(overrides)
    since = settings.longest_window_days(disabled)
    rng = random.Random(len(overrides) + len(disabled))
    slugs = ["hunger", "hygiene", "domestic-abuse", "parental-mental-health", "parental-substance-misuse",
             "missing", "self-harm", "strength", "sexual-exploitation", "poverty"]
    observations = [ObservationFact(i, days_ago(rng.randrange(0, 1500)), frozenset(rng.sample(slugs, 2)),
                                    "staff", rng.random() < 0.5, False) for i in range(1, 300)]
    decisions = ["monitor", "early-help", "refer-social-care", "speak-to-parent"]
    reviews = [ReviewFact(i, o.id, rng.choice(decisions), o.occurred_on + timedelta(days=rng.randrange(0, 3)))
               for i, o in enumerate(observations[::3], start=1) if o.occurred_on + timedelta(days=2) <= AS_OF]
    every = ChildRecords(date_of_birth=NINE_YEAR_OLD, gender="male", observations=observations, reviews=reviews)
    inside = AS_OF - timedelta(days=since)
    recent = ChildRecords(date_of_birth=NINE_YEAR_OLD, gender="male",
                          observations=[o for o in observations if o.occurred_on > inside],
                          reviews=[r for r in reviews if r.decided_on > inside and r.decision in REVIEW_DECISIONS_READ])
    assert len(recent.observations) < len(every.observations) and len(recent.reviews) < len(every.reviews)
    assert evaluate(every, AS_OF, settings, disabled) == evaluate(recent, AS_OF, settings, disabled)


def test_the_longest_window_is_that_of_the_enabled_rules():
    assert defaults().longest_window_days() == 365
    assert settings_with({"E4": {"long_window_days": 800}}).longest_window_days() == 800
    assert settings_with({"E4": {"long_window_days": 800}}).longest_window_days({"E4"}) == 365
