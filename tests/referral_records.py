"""A child whose records answer every question of a referral form, for the referral export's tests.

Every name is made up. Records are written through the services, as the pages would write them.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from pypdf import PdfReader

from chronology.domain.family import AttendanceDraft, DetailsDraft, MemberDraft, ProfessionalDraft
from chronology.domain.observation_rules import ObservationDraft
from chronology.domain.vocabulary import CONSENT_NOT_NEEDED_HARM
from chronology.extensions import db
from chronology.models import Child, FamilyMember, Observation, Referral, School, User
from chronology.services import accounts, casework, clock, family
from chronology.services import observations as observation_service
from tests.factories import make_child, make_school, make_user

TODAY = clock.today()
REASON = "Zoë told her teacher that mum's partner hit mum, and she is frightened to go home."
CHILD_VIEWS = "Zoë said she wants someone to help mum and does not want to move house."
WHY_NOT_TOLD = "Telling mum now could put Zoë and mum at more risk from mum's partner."


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def observe(school: School, child: Child, author: User, description: str, *, categories=("emotional-wellbeing",),
            child_voice: str = "", n: int = 5, significant: bool = False) -> Observation:
    draft = ObservationDraft(
        occurred_on=days_ago(n), occurred_time=None, occurred_approx=False, location="Year 5 classroom",
        categories=tuple(categories), source="staff", first_hand=True, description=description,
        child_voice=child_voice, action_taken="Told the safeguarding lead.",
    )
    observation = observation_service.record_observation(school, child, author, draft, today=TODAY)
    if significant:
        casework.mark_significant(child, author, "observation", observation.id, True)
    return observation


def referral(child: Child, dsl: User, agency: str, n: int, **answers) -> Referral:
    draft = casework.ReferralDraft(
        agency=agency, agency_detail="", referred_on=days_ago(n), their_reference=answers.pop("ref", ""),
        status=answers.pop("status", "awaiting-response"), outcome=answers.pop("outcome", ""),
        outcome_on=answers.pop("outcome_on", None), follow_up_on=None, **answers,
    )
    return casework.record_referral(child, dsl, draft, today=TODAY)


@dataclass
class Setting:
    school: School
    teacher: User
    dsl: User
    child: Child
    sister: Child
    partner: FamilyMember
    phone_referral: Referral


def referral_ready_child() -> Setting:
    """Zoë Nguyễn, with a family, professionals, attendance, help tried, and a referral made by phone."""
    school = make_school("Oakfield Primary")
    teacher = make_user(school, "staff", name="Bartholomew Quince")
    dsl = make_user(school, "dsl", name="Henrietta Marlow")
    accounts.set_profile(dsl, job_title="Deputy headteacher and designated safeguarding lead",
                         phone="0113 496 0000", secure_email="h.marlow@oakfield.sch.uk")
    child = make_child(school)
    sister = make_child(school, "Mia", "Nguyễn", date_of_birth=date(2018, 1, 9), year_group="2")
    family.save_details(child, dsl, DetailsDraft(
        address="12 Elm Row, Leeds LS1 1AA", ethnicity="Mixed: White and Asian", religion="Buddhist",
        first_language="Vietnamese", interpreter_needed=True, sen_primary_need="SLCN",
        communication_needs="Uses short sentences; give her time to answer.", nhs_number="943 476 5919"))
    member = lambda **kw: family.save_member(child, dsl, MemberDraft(**kw), today=TODAY)  # noqa: E731
    member(name="Linh Nguyễn", relationship="mother", date_of_birth=date(1990, 6, 1), lives_with_child=True,
           parental_responsibility=True, phone="07700 900123")
    partner = member(name="Dale Ormsby", relationship="mother's partner", approximate_age="about 35",
                     lives_with_child=True, parental_responsibility=False)
    member(name="Baby Ormsby", relationship="half-brother", date_of_birth=days_ago(120), lives_with_child=True,
           parental_responsibility=False)
    member(name="Mia Nguyễn", relationship="sister", lives_with_child=True, parental_responsibility=False,
           sibling_child_id=sister.id)
    member(name="Thi Pham", relationship="grandmother", lives_with_child=False, parental_responsibility=False,
           note="Collects Zoë on Fridays.")
    family.save_professional(child, dsl, ProfessionalDraft(name="Dr Ada Field", role="gp", agency="Elm Surgery",
                                                           phone="0113 496 0101"))
    family.save_professional(child, dsl, ProfessionalDraft(name="Pat Greaves", role="health-visitor",
                                                           agency="Leeds community health",
                                                           email="pat.greaves@nhs.example.org",
                                                           from_on=days_ago(100)))
    family.record_attendance(child, dsl, AttendanceDraft(date(2025, 9, 1), date(2025, 12, 19), 140, 119))

    observe(school, child, teacher, "Zoë was crying in the toilets and would not say why.", n=40)
    observe(school, child, teacher, "Zoë arrived with a bruise on her cheek.", categories=("injury",),
            child_voice="Dale pushed mum and I got in the way.", n=6, significant=True)
    observe(school, child, teacher, "Zoë read her poem to the class and smiled.", categories=("strength",), n=20)
    observe(school, child, teacher, "Forgot her PE kit again.", categories=("clothing",), n=30)
    casework.record_life_event(child, dsl, "early-help-started", days_ago(200), "Family support worker visits weekly.",
                               False, today=TODAY)
    casework.record_life_event(child, dsl, "school-support", days_ago(90), "Weekly sessions with Mrs Lane.",
                               False, today=TODAY, support="elsa", ended_on=days_ago(10))
    referral(child, dsl, "early-help", 150, status="declined-by-the-family", outcome="Mum said no to a second plan.",
             outcome_on=days_ago(140))
    phoned = referral(child, dsl, "social-care", 1, by_phone=True, parents_told="no", why_not_told=WHY_NOT_TOLD,
                      consent="not-needed", consent_reason=CONSENT_NOT_NEEDED_HARM, child_views=CHILD_VIEWS,
                      level_of_need="Level 4")
    family.mark_withheld(child, dsl, "family-member", partner.id, True,
                         "Mum's partner must not learn that Zoë told us.")
    db.session.commit()
    return Setting(school, teacher, dsl, child, sister, partner, phoned)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, in NFC, with line breaks and runs of spaces made single spaces."""
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def pdf_pages(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", unicodedata.normalize("NFC", p.extract_text() or ""))
            for p in PdfReader(io.BytesIO(pdf)).pages]


def section(text: str, number: int, title: str, following: str) -> str:
    """The text of one numbered section: from its heading to the next one."""
    start = text.index(f"{number}. {title}")
    return text[start:text.index(following, start)]
