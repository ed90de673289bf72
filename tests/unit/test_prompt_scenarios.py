"""Combinations: realistic multi-month chronologies, each firing exactly the prompts a DSL
would expect, and no others.

Every child here is made up. Dates count back from a fixed "as of" day (the last day of the
spring term), so each chronology reads the same whenever the tests run.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from chronology.domain.prompts import (
    ChildRecords,
    LifeEventFact,
    ObservationFact,
    Prompt,
    ReferralFact,
    ReviewFact,
    evaluate,
)

AS_OF = date(2025, 3, 28)
_ids = itertools.count(1)


# --- Factories ---------------------------------------------------------------------------


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def born_years_ago(years: int, extra_days: int = 100) -> date:
    """A date of birth making the child `years` old on AS_OF, birthday well clear of it."""
    return date(AS_OF.year - years, AS_OF.month, AS_OF.day) - timedelta(days=extra_days)


def obs(on: date, *categories: str, source: str = "staff", voice: bool = False,
        strength: bool = False) -> ObservationFact:
    return ObservationFact(id=next(_ids), occurred_on=on, categories=frozenset(categories),
                           source=source, has_child_voice=voice, is_strength=strength)


def review(on: date, of: ObservationFact, decision: str) -> ReviewFact:
    return ReviewFact(next(_ids), observation_id=of.id, decision=decision, decided_on=on)


def referral(on: date, agency: str, status: str, *, outcome_on: date | None = None,
             follow_up_on: date | None = None) -> ReferralFact:
    return ReferralFact(next(_ids), agency, on, status, outcome_on, follow_up_on)


def event(on: date, kind: str) -> LifeEventFact:
    return LifeEventFact(next(_ids), kind, on)


def by_rule(records: ChildRecords, as_of: date = AS_OF) -> dict[str, Prompt]:
    prompts = evaluate(records, as_of)
    found = {p.rule: p for p in prompts}
    assert len(found) == len(prompts), "a rule fired twice"
    return found


def refs(*records: ObservationFact | ReferralFact | LifeEventFact) -> set[str]:
    return {r.ref for r in records}


# --- 1. A primary child's neglect building over a term -----------------------------------


def test_a_seven_year_old_neglected_through_the_spring_term_with_no_early_help():
    # Girl, 7. No early help or referral yet; the DSL has only decided to "monitor".
    # Took food from others' lunchboxes: "there's no food till Friday"
    no_breakfast = obs(days_ago(80), "hunger", voice=True)
    # Came in without a coat in the snow, shoes split open
    no_coat = obs(days_ago(65), "clothing")
    # Untreated head lice, unwashed, classmates moving away
    head_lice = obs(days_ago(50), "hygiene")
    # Ate two school dinners, asked to take bread home
    hungry_again = obs(days_ago(35), "hunger")
    # DSL reviewed: monitor, no action
    monitor = review(days_ago(34), hungry_again, "monitor")
    # Proud of her reading certificate
    reading_award = obs(days_ago(30), "strength", strength=True)
    # School nurse: second dental appointment missed, visible decay
    dentist = obs(days_ago(20), "health-neglect", "not-brought", source="other-agency")
    # Mum at the office: electricity cut off, no food until payday
    no_electricity = obs(days_ago(10), "poverty", source="parent-carer")
    # Fell asleep in phonics, said she slept on the sofa
    asleep = obs(days_ago(5), "tiredness")

    records = ChildRecords(
        date_of_birth=born_years_ago(7), gender="female",
        observations=(no_breakfast, no_coat, head_lice, hungry_again, reading_award, dentist,
                      no_electricity, asleep),
        reviews=(monitor,),
    )
    prompts = by_rule(records)

    # E1: 3 concerns in 30 days (dentist, electricity, asleep) and 7 in 90; "monitor" is not help.
    # E4: 4 neglect signs in 8 weeks. E5: poverty with neglect signs.
    # Not E10 (her words are recorded), not E15 (not brought, but she is 7, not under 5),
    # Not E2 (poverty is the only family adversity), not E14 (no wider family or community).
    # (v2) E18: six different worries about her in 6 months (hunger, clothing, hygiene, health,
    # not brought, tiredness), to be looked at together.
    assert set(prompts) == {"E1", "E4", "E5", "E18"}
    concerns = refs(no_breakfast, no_coat, head_lice, hungry_again, dentist, no_electricity,
                    asleep)
    assert set(prompts["E1"].evidence) == concerns  # the reading award is not a worry
    assert set(prompts["E4"].evidence) == refs(head_lice, hungry_again, dentist, asleep)
    assert set(prompts["E5"].evidence) == concerns


# --- 2. A 14-year-old boy drawn towards an older "friend" --------------------------------


def test_a_fourteen_year_old_boy_excluded_missing_injured_and_given_gifts():
    # Boy, 14. Social care accepted a referral after he went missing overnight.
    # Five-day suspension for fighting at the bus stop
    suspended = event(days_ago(150), "exclusion")
    # Not in school, mum did not know where he was
    truant = obs(days_ago(120), "missing-education", source="parent-carer")
    # Reported missing overnight, found by police in another town
    missing_overnight = obs(days_ago(75), "missing-home", source="parent-carer")
    # Accepted: assessment under way
    to_social_care = referral(days_ago(74), "social-care", "accepted", outcome_on=days_ago(70))
    # Deep cut on his hand, "I fell over", would not say where
    cut_hand = obs(days_ago(60), "injury", voice=True)
    # New phone and trainers from a 19-year-old "friend" who collects him by car
    new_phone = obs(days_ago(40), "sexual-exploitation")
    # Left at lunchtime, not seen again that day
    gone_at_lunch = obs(days_ago(30), "missing-education")

    records = ChildRecords(
        date_of_birth=born_years_ago(14), gender="male",
        observations=(truant, missing_overnight, cut_hand, new_phone, gone_at_lunch),
        referrals=(to_social_care,), life_events=(suspended,),
    )
    prompts = by_rule(records)

    # E6: missing from home in 90 days, and from education with an exploitation sign.
    # E7: exclusion, missing from education and from home, and a sexual exploitation sign in
    # 6 months, aged 11 or over (v2: the cut hand is an injury, no longer a sign on its own).
    # E8: a sexual exploitation sign (v2: for a child of any sex; the wording adds the boys' line).
    # E18 (v2): four different worries in 6 months.
    # Not E1 (only 4 concerns in 90 days, and a referral in that time), not E10 (his words
    # Are recorded), not E12/E13 (the referral was accepted and is still open).
    assert set(prompts) == {"E6", "E7", "E8", "E18"}
    # The truancy 120 days ago is outside E6's 90 days but inside E7's 6 months.
    assert set(prompts["E6"].evidence) == refs(missing_overnight, new_phone, gone_at_lunch)
    assert set(prompts["E7"].evidence) == refs(suspended, truant, missing_overnight, new_phone,
                                               gone_at_lunch)
    assert set(prompts["E8"].evidence) == refs(new_phone)
    assert "less likely to disclose" in prompts["E8"].explanation
    # No return-home interview is recorded: E6 gives the episode's date and the 72-hour deadline.
    assert f"{days_ago(75):%d/%m/%Y} (the interview was due by {days_ago(72):%d/%m/%Y})" in prompts["E6"].explanation


# --- 3. A teenager who self-harms again after CAMHS took her on --------------------------


def test_a_fifteen_year_old_who_self_harms_twice_after_camhs_accepted_her():
    # Girl, 15. CAMHS answered the school's referral: accepted, first appointment offered.
    # Dad moved out after the separation
    dad_left = event(days_ago(210), "parent-left")
    # Crying in form time: "nobody listens to me at home"
    low_mood = obs(days_ago(200), "emotional-wellbeing", voice=True)
    # Cuts on her forearm seen in PE: "it helps me cope"
    cuts = obs(days_ago(150), "self-harm", voice=True)
    # DSL: refer to CAMHS today
    refer = review(days_ago(150), cuts, "refer-health")
    # Chased after the follow-up date; CAMHS then accepted her
    to_camhs = referral(days_ago(149), "camhs", "accepted", outcome_on=days_ago(120),
                        follow_up_on=days_ago(135))
    # A friend told her tutor she had said she wanted to die
    wants_to_die = obs(days_ago(40), "self-harm")
    # Eating alone, "I'm just tired of everything"
    withdrawn = obs(days_ago(20), "emotional-wellbeing", voice=True)

    records = ChildRecords(
        date_of_birth=born_years_ago(15), gender="female",
        observations=(low_mood, cuts, wants_to_die, withdrawn),
        reviews=(refer,), referrals=(to_camhs,), life_events=(dad_left,),
    )
    prompts = by_rule(records)

    # E9 only: twice in 12 months, so escalate. The CAMHS outcome came 15 days after the
    # Follow-up date, but it was recorded long before today, so E12 has nothing to chase.
    # Not E1 or E10 (2 concerns in 90 days), not E7 (self-harm is not one of its signs).
    assert set(prompts) == {"E9"}
    assert "escalate" in prompts["E9"].title
    assert set(prompts["E9"].evidence) == refs(cuts, wants_to_die)


# --- 4. Domestic abuse, a parent's mental health and drinking, told by a grandmother ----


def test_a_six_year_old_living_with_the_toxic_trio_reported_by_his_grandmother():
    # Boy, 6. The family has had an early help plan since the autumn.
    # Police notification: incident at home overnight, he was present
    police_notice = obs(days_ago(300), "domestic-abuse", source="other-agency")
    # Mum told the teacher she is off work with depression
    mum_signed_off = obs(days_ago(200), "parental-mental-health", source="parent-carer")
    # Early help plan agreed with mum
    early_help = event(days_ago(190), "early-help-started")
    # Grandmother phoned: dad drinking all day, mum "not coping"
    nan_phoned = obs(days_ago(60), "parental-substance-misuse", source="wider-family")
    # Hides under the table at raised voices: "Daddy shouts at Mummy"
    hides = obs(days_ago(45), "behaviour-change", voice=True)
    # Second police notification: dad arrested
    second_notice = obs(days_ago(20), "domestic-abuse", source="other-agency")

    records = ChildRecords(
        date_of_birth=born_years_ago(6), gender="male",
        observations=(police_notice, mum_signed_off, nan_phoned, hides, second_notice),
        life_events=(early_help,),
    )
    prompts = by_rule(records)

    # E2: 3 family adversities in 12 months. E3: all three of the commonest.
    # E14: the grandmother's call, within 90 days.
    # Not E1 (3 concerns in 90 days, 1 in 30), not E10 (his words are recorded),
    # Not E5 (no poverty), not E13 (the early help plan has not closed).
    assert set(prompts) == {"E2", "E3", "E14"}
    assert set(prompts["E14"].evidence) == refs(nan_phoned)
    adversities = refs(police_notice, mum_signed_off, nan_phoned, second_notice)
    assert set(prompts["E3"].evidence) == adversities  # his hiding is not a family adversity
    assert set(prompts["E2"].evidence) == adversities


# --- 5. New injuries after social care took no further action ----------------------------


def test_a_ten_year_old_with_new_injuries_after_a_referral_was_not_accepted():
    # Girl, 10.
    # Told a TA: "mum's boyfriend hit me with his belt"
    belt = obs(days_ago(160), "disclosure", voice=True)
    # Linear bruising on her upper arm, body map completed
    bruising = obs(days_ago(160), "injury")
    # No further action: mum gave an account
    to_social_care = referral(days_ago(159), "social-care", "not-accepted",
                              outcome_on=days_ago(150))
    # Bruise on her cheek: "I walked into a door"
    cheek = obs(days_ago(60), "injury", voice=True)
    # Flinched when a teacher raised a hand to point
    flinches = obs(days_ago(25), "behaviour-change")

    records = ChildRecords(
        date_of_birth=born_years_ago(10), gender="female",
        observations=(belt, bruising, cheek, flinches), referrals=(to_social_care,),
    )
    prompts = by_rule(records)

    # E12 only: new concerns after a referral was not accepted, so press for reconsideration.
    # Not E13 (not accepted is E12's business), not E7 (she is 10), not E1 or E10
    # (2 concerns in 90 days).
    assert set(prompts) == {"E12"}
    e12 = prompts["E12"]
    assert "press for reconsideration" in e12.title
    assert "follow up" not in e12.title  # its outcome is recorded, nothing is overdue
    # The disclosure and bruising that led to the referral are not "new".
    assert set(e12.evidence) == refs(to_social_care, cheek, flinches)


# --- 6. Concerns that stopped once early help began --------------------------------------


def test_an_eight_year_old_whose_concerns_stopped_after_early_help_gets_no_prompt_now():
    # Boy, 8. A cluster of neglect over a year ago, early help, then a good year.
    # Told his teacher: "there wasn't any tea last night"
    no_tea = obs(days_ago(425), "hunger", voice=True)
    # Same unwashed PE kit all week, no coat
    same_kit = obs(days_ago(415), "clothing")
    # Smelled strongly of urine, teased by classmates
    smells = obs(days_ago(405), "hygiene")
    # Dad lost his job, gas meter empty
    gas_meter = obs(days_ago(395), "poverty", source="parent-carer")
    # Ate his snack before registration, asked for more
    hungry = obs(days_ago(390), "hunger")
    # Asleep on the carpet at story time
    tired = obs(days_ago(385), "tiredness")
    # DSL: early help assessment
    decide = review(days_ago(378), tired, "early-help")
    # Early help team took the family on; closed when the plan did
    to_early_help = referral(days_ago(377), "early-help", "closed",
                             outcome_on=days_ago(200))
    # Plan agreed: breakfast club, food bank, debt advice
    plan_started = event(days_ago(375), "early-help-started")
    # Plan closed, goals met
    plan_closed = event(days_ago(200), "early-help-closed")
    # Attendance 97%, at breakfast club daily
    attendance = obs(days_ago(150), "strength", strength=True)
    # Joined the football club, dad at every match
    football = obs(days_ago(60), "strength", strength=True)
    # Grazed knee in the playground: "I tripped over Sam's bag"
    graze = obs(days_ago(10), "injury", voice=True)

    records = ChildRecords(
        date_of_birth=born_years_ago(8), gender="male",
        observations=(no_tea, same_kit, smells, gas_meter, hungry, tired, attendance, football,
                      graze),
        reviews=(decide,), referrals=(to_early_help,), life_events=(plan_started, plan_closed),
    )

    # Today: the cluster is older than 12 months, the plan closed over 6 months ago (and the
    # Graze came 190 days after it closed), and one explained graze is not a pattern.
    assert by_rule(records) == {}

    # The same chronology, as of the day before the DSL decided on early help, was a
    # Neglect picture: 4 concerns in 30 days, 5 neglect signs in 8 weeks, poverty with them.
    then = by_rule(records, as_of=days_ago(379))
    assert set(then) == {"E1", "E4", "E5", "E18"}  # (v2) E18: four different worries
    assert set(then["E5"].evidence) == refs(no_tea, same_kit, smells, gas_meter, hungry, tired)


# --- 7. The cases a practising DSL found version 1 got wrong (issue 16) ------------------


def test_a_bruised_five_month_old_sibling_at_pick_up_calls_for_the_health_visitor_or_social_care():
    from chronology.domain.prompts import HouseholdMemberFact

    # Girl, 6. At pick-up, her baby brother in the pram had a bruise on his cheek; mum said he rolled.
    bruised_baby = obs(days_ago(3), "injury", voice=True)
    records = ChildRecords(
        date_of_birth=born_years_ago(6), gender="female", observations=(bruised_baby,),
        household=(HouseholdMemberFact(days_ago(150), None, True),),
    )
    prompts = by_rule(records)
    assert set(prompts) == {"E16"}  # v1 raised nothing here, and "consider early help" with more
    assert "health visitor or children's social care today" in prompts["E16"].next_step
    assert f"born {days_ago(150):%d/%m/%Y}" in prompts["E16"].explanation


def test_concerns_ten_weeks_after_an_early_help_plan_closed_ask_for_social_care_beside_e13():
    plan = (event(days_ago(300), "early-help-started"), event(days_ago(70), "early-help-closed"))
    concerns = tuple(obs(days_ago(d), "hunger", voice=True) for d in (20, 12, 5))
    prompts = by_rule(ChildRecords(date_of_birth=born_years_ago(8), gender="male",
                                   observations=concerns, life_events=plan))
    assert {"E1", "E13"} <= set(prompts)
    assert "children's social care" in prompts["E1"].title  # not "consider early help" again
