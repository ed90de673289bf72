"""A synthetic demo school: made-up children and a few months of made-up concerns."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from ..domain.family import AttendanceDraft, DetailsDraft, MemberDraft, ProfessionalDraft
from ..domain.observation_rules import ObservationDraft
from ..domain.upn import synthetic_upn
from ..extensions import db
from ..models import Child, Observation, School
from . import accounts, casework, family, observations

DEMO_URN = "999001"
DEMO_PASSWORD = "demo-only-password"
DEMO_USERS = (
    ("dsl@demo.example.org", "Priya Shah (demo DSL)", ["dsl", "staff"]),
    ("teacher@demo.example.org", "Tom Byrne (demo teacher)", ["staff"]),
    ("office@demo.example.org", "Ama Mensah (demo admin)", ["admin"]),
)

FORENAMES = ["Zoë", "Siobhán", "Jay", "Amira", "Callum", "Nguyễn Lan", "Oskar", "Maya", "Ife", "Reuben",
             "Leah", "Tomasz", "Aaliyah", "Finn", "Grace", "Kofi", "Isla", "Mateo", "Ruby", "Dev"]
SURNAMES = ["O'Neill", "Murphy", "Nguyễn", "Kowalski", "Okafor", "Hughes", "Patel", "Evans", "Ahmed",
            "Clarke", "Dubois", "Walsh", "Begum", "Jones", "Novak"]

# Each demo concern is written the way the product asks: what was seen, and the child's own words.
STORIES = [
    (["hunger"], "staff", "Came into class at 08:50 and asked twice if there was any toast left from breakfast club. Ate two slices quickly and put an apple in their bag.",
     "I didn't have tea last night because mum was asleep.", "Gave breakfast and told the DSL."),
    (["clothing", "hygiene"], "staff", "Wearing the same polo shirt as Monday and Tuesday, with the same food stain on the collar. Trousers are above the ankle and the shoes have a split sole.",
     "", "Found a spare uniform in lost property."),
    (["tiredness"], "staff", "Fell asleep during phonics at 10:15 and was hard to wake. Said they were up late.",
     "Baby was crying all night and I had to hold him.", "Let them rest in the reading corner; noted for the DSL."),
    (["injury"], "staff", "A round bruise about 2cm across on the left upper arm, seen when changing for PE. Explained straight away.",
     "I banged it on the climbing frame at the park.", "Recorded on body map and told the DSL."),
    (["attendance"], "staff", "Arrived at 09:40, the third late arrival this week. Mum said the car broke down.",
     "", "Spoke to mum at the office."),
    (["domestic-abuse"], "child", "During circle time said that dad shouted at mum and threw a plate, and that they hid upstairs.",
     "Daddy threw the plate and it broke and I hid under my bed with Max.", "Listened, did not ask leading questions, told the DSL at once."),
    (["strength"], "staff", "Grandma collected from school and spoke warmly with the class teacher about reading together every evening.",
     "Nana reads me Gruffalo.", "Shared with the DSL as a protective factor."),
    (["poverty"], "parent-carer", "Mum asked at the office whether the school knows of a food bank. Said the electricity has been on the emergency credit for a week.",
     "", "Gave the food bank leaflet and told the DSL."),
    (["health-neglect"], "staff", "Complained of toothache again. Two front teeth look brown and broken. This is the third time this month.",
     "It hurts when I eat.", "Phoned mum to suggest a dentist appointment."),
    (["emotional-wellbeing"], "staff", "Sat alone at lunch and play for the whole week. Cried when asked to choose a partner in PE.",
     "Nobody wants me.", "Spoke with them kindly and arranged a lunch buddy."),
]


def seed_demo(seed: int = 20260401, children: int = 30, today: date | None = None) -> tuple[School, bool]:
    """Create the demo school once; running it again changes nothing and says so."""
    existing = db.session.scalar(select(School).where(School.urn == DEMO_URN))
    if existing is not None:
        return existing, False
    rng = random.Random(seed)
    today = today or date.today()
    school = accounts.create_school("Demo Primary (synthetic data)", DEMO_URN, "Demo Learning Trust")
    users = [accounts.create_user(school, email, name, roles, DEMO_PASSWORD) for email, name, roles in DEMO_USERS]
    dsl, teacher = users[0], users[1]
    pupils = []
    for n in range(children):
        age_years = rng.randint(5, 10)
        child = Child(
            school_id=school.id, upn=synthetic_upn(9000 + n, establishment="9001"),
            legal_forename=rng.choice(FORENAMES), legal_surname=rng.choice(SURNAMES),
            date_of_birth=today - timedelta(days=365 * age_years + rng.randint(0, 364)),
            gender=rng.choice(["female", "male"]), year_group=str(age_years - 4),
            send=rng.random() < 0.15, eal=rng.random() < 0.2, young_carer=rng.random() < 0.05,
        )
        child.refresh_search_key()
        pupils.append(child)
    db.session.add_all(pupils)
    db.session.commit()
    # A handful of children carry most concerns, as in a real school.
    for child in pupils[:8]:
        for _ in range(rng.randint(2, 7)):
            categories, source, description, voice, action = rng.choice(STORIES)
            draft = ObservationDraft(
                occurred_on=today - timedelta(days=rng.randint(1, 120)), occurred_time=None,
                occurred_approx=False, location=rng.choice(["Classroom", "Playground", "School gate", "Dinner hall"]),
                categories=tuple(categories), source=source, first_hand=source == "staff",
                description=description, child_voice=voice, action_taken=action,
            )
            observation = observations.record_observation(school, child, rng.choice([teacher, dsl]), draft, today=today)
            if rng.random() < 0.5:
                casework.record_review(observation, dsl, "monitor",
                                       "Monitor for two weeks and speak to the class teacher on Friday.",
                                       observation.current.occurred_on, today=today)
    accounts.set_profile(dsl, job_title="Designated safeguarding lead and deputy head", phone="0113 496 0123",
                         secure_email="dsl.secure@demo.example.org")
    _add_families(pupils, dsl, rng, today)
    _add_a_referral(school, pupils[0], dsl, today)
    return school, True


# Made-up people for the demo families. Phone numbers are in Ofcom's range kept for drama (0113 496 0xxx).
PARENT_FORENAMES = ["Dana", "Kerry", "Sam", "Marta", "Chidi", "Leanne", "Gareth", "Noor", "Beata", "Jonah"]


def _add_families(pupils: list[Child], dsl, rng: random.Random, today: date) -> None:  # noqa: ANN001
    """Every demo child gets a household, a GP, details and attendance, so a referral has something to say."""
    for n, child in enumerate(pupils):
        surname = child.legal_surname
        mother = rng.choice(PARENT_FORENAMES)
        family.save_member(child, dsl, MemberDraft(
            name=f"{mother} {surname}", relationship="Mother", approximate_age=f"about {rng.randint(26, 42)}",
            lives_with_child=True, parental_responsibility=True, phone=f"0113 496 0{100 + n:03d}",
            email=f"parent{n}@demo.example.org"), today=today)
        if rng.random() < 0.5:
            family.save_member(child, dsl, MemberDraft(
                name=f"{rng.choice(PARENT_FORENAMES)} {surname}", relationship="Father", lives_with_child=False,
                parental_responsibility=True, note="Sees the children on alternate weekends."), today=today)
        if rng.random() < 0.3:
            family.save_member(child, dsl, MemberDraft(
                name=f"Baby {surname}", relationship="Half-brother, a baby at home",
                date_of_birth=today - timedelta(days=rng.randint(60, 300)), lives_with_child=True,
                parental_responsibility=False), today=today)
        family.save_professional(child, dsl, ProfessionalDraft(
            name=f"Dr {rng.choice(['Field', 'Ashworth', 'Iqbal', 'Moreno'])}", role="gp",
            agency="Elm Street Surgery (synthetic)", phone="0113 496 0900"))
        family.save_details(child, dsl, DetailsDraft(
            address=f"{10 + n} Example Road, Demotown, DT1 {n % 9}AA",
            first_language="Polish" if child.eal else "English", interpreter_needed=bool(child.eal and n % 2),
            sen_primary_need="SLCN" if child.send else "", religion=rng.choice(["", "Christian", "Muslim", "None"]),
            ethnicity=rng.choice(["White British", "Mixed White and Black African", "Asian British", "White Other"])))
        for start, end, possible in ((date(today.year - 1, 9, 1), date(today.year - 1, 12, 19), 140),
                                     (date(today.year, 1, 5), date(today.year, 3, 27), 118)):
            if end < today:
                attended = possible - rng.randint(0, 30 if n < 8 else 8)
                family.record_attendance(child, dsl, AttendanceDraft(start, end, possible, attended))
    # Two children of the roll are brother and sister, linked both ways.
    older, younger = pupils[0], pupils[1]
    family.save_member(older, dsl, MemberDraft(
        name=younger.display_name, relationship="Sister (at this school)", date_of_birth=younger.date_of_birth,
        lives_with_child=True, sibling_child_id=younger.id), today=today)


def _add_a_referral(school: School, child: Child, dsl, today: date) -> None:  # noqa: ANN001
    """One child with the whole story: support in school, a phone referral with its consent answers."""
    family.save_professional(child, dsl, ProfessionalDraft(
        name="Jo Whitfield", role="health-visitor", agency="Demotown health visiting team (synthetic)",
        phone="0113 496 0950", from_on=today - timedelta(days=200)))
    casework.record_life_event(child, dsl, "school-support", today - timedelta(days=90),
                               "Weekly sessions with the school's ELSA, Tuesdays after lunch.", True,
                               today=today, support="elsa")
    observation_ids = list(db.session.scalars(
        select(Observation.id).where(Observation.child_id == child.id).order_by(Observation.id)))
    for observation_id in observation_ids[:3]:
        casework.mark_significant(child, dsl, "observation", observation_id, True)
    casework.record_referral(child, dsl, casework.ReferralDraft(
        agency="social-care", agency_detail="", referred_on=today - timedelta(days=1),
        their_reference="", status="awaiting-response", outcome="", outcome_on=None, follow_up_on=today + timedelta(days=3),
        parents_told="yes", consent="given", consent_by="Mother", consent_covers="The child and the household",
        child_views="Said they want things at home to be calmer and are happy for school to ask for help.",
        level_of_need="Level 3", by_phone=True), today=today)
