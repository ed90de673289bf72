"""The stable words of the domain: categories, sources, decisions, agencies, life events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    slug: str
    label: str
    hint: str = ""


# Slugs are stable: a school may add its own, but never renames these, because
# prompts and exports refer to them by slug.
CHILD_CATEGORIES: tuple[Term, ...] = (
    Term("hunger", "Hunger", "hungry, not fed, weight loss, malnourished"),
    Term("hygiene", "Hygiene", "unwashed, smells, head lice left untreated"),
    Term("clothing", "Clothing", "dirty, ill-fitting, not suited to the weather"),
    Term("tiredness", "Tiredness"),
    Term("health-neglect", "Health needs not met",
         "missed health or dental appointments, untreated conditions, dental decay, incomplete vaccinations"),
    Term("not-brought", "Not brought", "not brought to nursery, school or an appointment"),
    Term("attendance", "Attendance", "lateness, irregular or falling attendance"),
    Term("missing-education", "Missing from education", "absent and not known where"),
    Term("missing-home", "Missing from home or care"),
    Term("injury", "Injury", "marks or injuries, explained or not"),
    Term("disclosure", "Disclosure", "the child told someone something worrying"),
    Term("behaviour-change", "Change in behaviour", "withdrawn, aggressive, a sudden change"),
    Term("emotional-wellbeing", "Emotional wellbeing", "low mood, anxiety, loneliness"),
    Term("self-harm", "Self-harm", "self-harm or talk of suicide"),
    Term("substance-misuse-child", "Child's use of drugs or alcohol"),
    Term("sexual-exploitation", "Sexual exploitation",
         "older 'boyfriend' or 'girlfriend', gifts, money, going missing with unknown adults"),
    Term("criminal-exploitation", "Criminal exploitation",
         "carrying drugs or money, county lines, gang association, unexplained injuries from violence"),
    Term("harmful-sexual-behaviour", "Harmful sexual behaviour"),
    Term("online-safety", "Online safety", "sexting, grooming, online bullying"),
    Term("radicalisation", "Radicalisation"),
    Term("bullying", "Bullying"),
    Term("exclusion", "Exclusion", "suspension or permanent exclusion"),
    Term("developmental-delay", "Developmental delay"),
)

FAMILY_CATEGORIES: tuple[Term, ...] = (
    Term("domestic-abuse", "Domestic abuse"),
    Term("parental-mental-health", "Parent's mental health"),
    Term("parental-substance-misuse", "Parent's use of drugs or alcohol"),
    Term("poverty", "Poverty", "no food at home, unpaid fees, no heating, debt"),
    Term("housing", "Housing", "overcrowding, moves, temporary housing, transient lifestyle"),
    Term("parental-separation", "Parents separating"),
    Term("social-isolation", "Social isolation"),
    Term("family-criminality", "Crime in the family"),
    Term("young-carer", "Young carer"),
)

# A chronology that shows only risk is not a fair picture, so strengths are a
# category of their own rather than a separate record type.
STRENGTH_CATEGORY = Term("strength", "Strength or protective factor",
                         "something that is going well or keeps the child safe")

CATEGORIES: tuple[Term, ...] = CHILD_CATEGORIES + FAMILY_CATEGORIES + (STRENGTH_CATEGORY,)
CATEGORY_SLUGS: frozenset[str] = frozenset(t.slug for t in CATEGORIES)
FAMILY_CATEGORY_SLUGS: frozenset[str] = frozenset(t.slug for t in FAMILY_CATEGORIES)
NEGLECT_SIGNS: frozenset[str] = frozenset(
    {"hunger", "hygiene", "clothing", "tiredness", "health-neglect", "not-brought"}
)

SOURCES: tuple[Term, ...] = (
    Term("staff", "Seen or heard by me or another member of staff"),
    Term("child", "The child told us"),
    Term("parent-carer", "A parent or carer"),
    Term("wider-family", "Wider family"),
    Term("community", "Neighbour, community or anonymous"),
    Term("other-agency", "Another agency"),
)
SOURCE_SLUGS: frozenset[str] = frozenset(t.slug for t in SOURCES)

REVIEW_DECISIONS: tuple[Term, ...] = (
    Term("monitor", "Monitor"),
    Term("speak-to-child", "Speak to the child"),
    Term("speak-to-parent", "Speak to parent or carer"),
    Term("early-help", "Early help assessment"),
    Term("refer-social-care", "Referral to children's social care"),
    Term("refer-police", "Referral to police"),
    Term("refer-health", "Referral to health"),
    Term("other", "Other"),
)
REVIEW_DECISION_SLUGS: frozenset[str] = frozenset(t.slug for t in REVIEW_DECISIONS)
# A decision to refer leads to the referral form, with the agency it names already chosen.
REFERRAL_AGENCY: dict[str, str] = {"refer-social-care": "social-care", "refer-police": "police",
                                   "refer-health": "health"}
REFERRAL_DECISIONS: frozenset[str] = frozenset(REFERRAL_AGENCY)

AGENCIES: tuple[Term, ...] = (
    Term("early-help", "Early help"),
    Term("social-care", "Children's social care"),
    Term("police", "Police"),
    Term("health", "Health or school nurse"),
    Term("camhs", "Child and adolescent mental health services (CAMHS)"),
    Term("young-carers", "The local young carers service"),
    Term("other", "Other"),
)
AGENCY_SLUGS: frozenset[str] = frozenset(t.slug for t in AGENCIES)

REFERRAL_STATUSES: tuple[Term, ...] = (
    Term("awaiting-response", "Awaiting response"),
    Term("accepted", "Accepted"),
    Term("not-accepted", "Not accepted (no further action)"),
    # Early help is voluntary: a family may say no, which is not the agency turning it down.
    Term("declined-by-the-family", "Declined by the family"),
    Term("escalated", "Escalated"),
    Term("closed", "Closed"),
)
REFERRAL_STATUS_SLUGS: frozenset[str] = frozenset(t.slug for t in REFERRAL_STATUSES)

# What a referral asks for, where it is more than a general referral to the agency.
REFERRAL_KINDS: tuple[Term, ...] = (
    Term("", "A referral about the concerns"),
    Term("young-carers-assessment", "A young carer's assessment"),
)
REFERRAL_KIND_SLUGS: frozenset[str] = frozenset(t.slug for t in REFERRAL_KINDS)

LIFE_EVENT_KINDS: tuple[Term, ...] = (
    Term("cp-plan-started", "Child protection plan started"),
    Term("cp-plan-ended", "Child protection plan ended"),
    Term("early-help-started", "Early help plan started"),
    Term("early-help-closed", "Early help plan closed"),
    Term("moved-house", "Moved house"),
    Term("parent-left", "Parent left the home"),
    Term("bereavement", "Bereavement"),
    Term("exclusion", "Exclusion"),
    Term("return-home-interview", "Return-home interview"),
    Term("school-support", "Support in school", "ELSA, mentoring, counselling, school nurse"),
    Term("other", "Other"),
)
LIFE_EVENT_SLUGS: frozenset[str] = frozenset(t.slug for t in LIFE_EVENT_KINDS)

# How a DSL shared information with another agency, outside a referral.
SHARING_METHODS: tuple[Term, ...] = (
    Term("phone", "Phone call"),
    Term("email", "Email"),
    Term("secure-email", "Secure email"),
    Term("meeting", "Meeting"),
    Term("letter", "Letter"),
)
SHARING_METHOD_SLUGS: frozenset[str] = frozenset(t.slug for t in SHARING_METHODS)

SCHOOL_SUPPORTS: tuple[Term, ...] = (
    Term("elsa", "Emotional literacy support (ELSA)"),
    Term("mentoring", "Mentoring"),
    Term("counselling", "Counselling"),
    Term("school-nurse", "School nurse"),
    Term("other", "Other support"),
)
SCHOOL_SUPPORT_SLUGS: frozenset[str] = frozenset(t.slug for t in SCHOOL_SUPPORTS)

PROFESSIONAL_ROLES: tuple[Term, ...] = (
    Term("gp", "GP (family doctor)"),
    Term("health-visitor", "Health visitor"),
    Term("school-nurse", "School nurse"),
    Term("social-worker", "Social worker"),
    Term("early-help-worker", "Early help worker"),
    Term("police", "Police officer"),
    Term("camhs", "Mental health worker (CAMHS)"),
    Term("other", "Other"),
)
PROFESSIONAL_ROLE_SLUGS: frozenset[str] = frozenset(t.slug for t in PROFESSIONAL_ROLES)

# The SEN primary need codes an MIS exports (the school census's list).
SEN_NEEDS: tuple[Term, ...] = (
    Term("SpLD", "Specific learning difficulty"),
    Term("MLD", "Moderate learning difficulty"),
    Term("SLD", "Severe learning difficulty"),
    Term("PMLD", "Profound and multiple learning difficulty"),
    Term("SEMH", "Social, emotional and mental health"),
    Term("SLCN", "Speech, language and communication needs"),
    Term("HI", "Hearing impairment"),
    Term("VI", "Visual impairment"),
    Term("MSI", "Multi-sensory impairment"),
    Term("PD", "Physical disability"),
    Term("ASD", "Autistic spectrum disorder"),
    Term("OTH", "Other difficulty or disability"),
    Term("NSA", "SEN support but no specialist assessment of type of need"),
)
SEN_NEED_CODES: frozenset[str] = frozenset(t.slug for t in SEN_NEEDS)

PARENTS_TOLD: tuple[Term, ...] = (Term("yes", "Yes"), Term("no", "No"))
CONSENT_ANSWERS: tuple[Term, ...] = (
    Term("given", "Consent to share was given"),
    Term("refused", "Consent to share was refused"),
    Term("not-needed", "Consent was not needed", "for example, a risk of significant harm"),
)
CONSENT_SLUGS: frozenset[str] = frozenset(t.slug for t in CONSENT_ANSWERS)
# The reason that most often stands behind "not needed", offered as the answer's default wording.
CONSENT_NOT_NEEDED_HARM = "Not needed: risk of significant harm"

ROLES: tuple[str, ...] = ("staff", "dsl", "admin")

CP_PLAN_STATES: tuple[str, ...] = ("none", "current", "past")


def label_for(terms: tuple[Term, ...], slug: str) -> str:
    """The human label for a slug, or the slug itself when it is a school's own."""
    for term in terms:
        if term.slug == slug:
            return term.label
    return slug
