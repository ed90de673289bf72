"""What a local authority's multi-agency referral form asks, answered from a child's records.

The eleven sections follow DOMAIN.md's "(v2) A referral is what a local authority's multi-agency
referral form (MARF) asks". Building the answers reads and never writes; an empty answer is "",
which the PDF prints as "Not recorded" (never a blank) and the export page lists before export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ..domain.chronology import Entry
from ..domain.prompts import age_on
from ..domain.vocabulary import (
    AGENCIES, CONSENT_ANSWERS, LIFE_EVENT_KINDS, PROFESSIONAL_ROLES, REFERRAL_STATUSES, REVIEW_DECISIONS,
    CATEGORIES, SCHOOL_SUPPORTS, SEN_NEEDS, label_for,
)
from ..models import (
    AttendancePeriod, Child, ChildDetails, FamilyMember, Observation, Professional, Prompt, Referral, School, User,
)
from . import family
from .casework import ChildRecords, consent_missing

if TYPE_CHECKING:
    from .exports import ExportContent

NOT_RECORDED = "Not recorded"

SECTION_TITLES: tuple[str, ...] = (
    "The person making this referral",
    "Consent, and whether the family knows",
    "What the child thinks",
    "The child",
    "Household and family",
    "Why the school is making this referral",
    "What has been tried already",
    "Strengths and what keeps the child safe, as well as the risks",
    "Information that must not be shared with the family",
    "Level of need",
    "Other professionals involved, and attendance",
)

# A relationship that makes a family member a brother or sister, whatever else it says
# ("half-sister", "step brother", "twin").
_SIBLING = re.compile(r"\b(brother|sister|sibling|twin)s?\b", re.IGNORECASE)


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def _uk(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def age_text(date_of_birth: date, day: date) -> str:
    """"10 years old", or months for a child under two, on `day`."""
    if date_of_birth > day:
        return ""
    years = age_on(date_of_birth, day)
    if years >= 2:
        return f"{years} years old"
    months = (day.year - date_of_birth.year) * 12 + day.month - date_of_birth.month - (day.day < date_of_birth.day)
    return f"{months} month{'' if months == 1 else 's'} old"


# --- the people around the child (every kind of export shows these) -------------------------


@dataclass(frozen=True)
class Sibling:
    name: str
    relationship: str
    born: str
    school: str  # "" when the school does not know


@dataclass(frozen=True)
class People:
    members: list[FamilyMember]
    siblings: list[Sibling]
    professionals: list[Professional]
    attendance: list[AttendancePeriod]


def born_text(member: FamilyMember, today: date) -> str:
    """How old a family member is, as far as the school knows: a date, an age, or a baby's due date."""
    if member.date_of_birth:
        age = age_text(member.date_of_birth, today)
        return f"{_uk(member.date_of_birth)}" + (f" ({age})" if age else "")
    if member.due_date:
        return f"Baby due {_uk(member.due_date)}"
    if member.approximate_age:
        age = member.approximate_age.strip()
        return age[:1].upper() + age[1:] if re.match(r"(about|around|approx)", age, re.I) else f"About {age}"
    return ""


def sibling_school(member: FamilyMember, school: School, today: date) -> str:
    """Where a brother or sister goes to school, as far as the school knows."""
    if member.sibling_child_id is not None:
        return f"{school.name} (this school)"
    born = member.date_of_birth or member.due_date
    # In England a child starts school in the September after turning four.
    if born and age_on(born, today) < 4:
        return "Not yet of school age"
    return ""


def is_sibling(member: FamilyMember) -> bool:
    return member.sibling_child_id is not None or bool(_SIBLING.search(member.relationship_to_child or ""))


def load_people(child: Child, school: School, today: date) -> People:
    """The household, the professionals and the attendance, as they stand now."""
    members = family.current(FamilyMember, child)
    at_school = family.siblings_at_school(child)
    here = f"{school.name} (this school)"
    siblings = [
        Sibling(m.name, m.relationship_to_child, born_text(m, today), sibling_school(m, school, today))
        for m in members if is_sibling(m)
    ]
    linked_here = {m.sibling_child_id for m in members}
    # A brother or sister who names this child in their own household, but not the other way round.
    siblings += [Sibling(c.display_name, "Brother or sister (from their own record)",
                         f"{_uk(c.date_of_birth)} ({age_text(c.date_of_birth, today)})", here)
                 for c in at_school if c.id not in linked_here]
    professionals = sorted(family.current(Professional, child),
                           key=lambda p: (p.to_on is not None, p.from_on or date.min, p.id))
    return People(members, siblings, professionals, family.attendance_of(child))


def professional_role(p: Professional) -> str:
    role = label_for(PROFESSIONAL_ROLES, p.role)
    return f"{role} ({p.role_detail})" if p.role_detail else role


# --- the eleven sections ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    label: str
    value: str  # "" is printed "Not recorded"


@dataclass(frozen=True)
class Tried:
    """One thing that was tried: early help, the school's own support, or a referral."""

    on: str
    what: str
    outcome: str


@dataclass(frozen=True)
class WithheldRow:
    record: str  # "12/01/2026 — Concern: Injury"
    reason: str
    marked_on: str


@dataclass
class ReferralForm:
    referrer: list[Answer]
    phone_referrals: list[Referral]
    consent_from: Referral | None
    consent: list[Answer]
    child_views: str
    voices: list[tuple[date, Observation]]
    child: list[Answer]
    people: People
    with_parental_responsibility: list[FamilyMember]
    living_with_child: list[FamilyMember]
    significant_others: list[FamilyMember]
    reason: str
    significant_count: int
    early_help: list[Tried]
    school_support: list[Tried]
    earlier_referrals: list[Referral]
    strengths: list[Observation]
    risks: list[tuple[str, int, date, date]]
    prompts_seen: list[Prompt]
    withheld: list[WithheldRow]
    level_of_need: str
    levels: list[str]
    professionals: list[Professional] = field(default_factory=list)
    attendance: list[AttendancePeriod] = field(default_factory=list)

    def empty(self) -> list[bool]:
        """For each section, in order: does the school hold nothing for it?"""
        return [
            not any(a.value for a in self.referrer[1:]),
            not any(a.value for a in self.consent),
            not self.child_views.strip() and not self.voices,
            not any(a.value for a in self.child),
            not self.people.members and not self.people.siblings,
            not self.reason.strip() and not self.significant_count,
            not self.early_help and not self.school_support and not self.earlier_referrals,
            not self.strengths and not self.risks,
            not self.withheld,
            not self.level_of_need,
            not self.professionals and not self.attendance,
        ]


    def gaps(self) -> list[list[str]]:
        """For each section, the questions with a one-line answer that it leaves "Not recorded"."""
        asked = {1: self.referrer, 2: self.consent, 4: self.child}
        return [[a.label for a in asked.get(n, []) if not a.value] for n in range(1, len(SECTION_TITLES) + 1)]


@dataclass(frozen=True)
class SectionState:
    number: int
    title: str
    empty: bool
    gaps: tuple[str, ...]  # within a section that is not empty


def section_states(form: ReferralForm) -> list[SectionState]:
    return [SectionState(n, title, empty, () if empty else tuple(gaps))
            for n, (title, empty, gaps) in enumerate(zip(SECTION_TITLES, form.empty(), form.gaps()), start=1)]


def significant_warning(significant: int, total: int) -> str | None:
    """A warning when fewer than half of a child's observations are marked significant."""
    if total == 0 or significant * 2 >= total:
        return None
    records = f"{significant} of {total} record{'' if total == 1 else 's'}"
    verb = "is" if significant == 1 or total == 1 else "are"
    seen = "none of them" if significant == 0 else ("only this one" if significant == 1 else "only these")
    return f"{records} {verb} marked significant: the receiving social worker will see {seen}."


def consent_referral(referrals: list[Referral]) -> Referral | None:
    """The referral whose consent answers a referral form gives: the latest to social care, else the latest."""
    ordered = sorted(referrals, key=lambda r: (r.referred_on, r.id))
    to_social_care = [r for r in ordered if r.agency == "social-care"]
    if to_social_care:
        return to_social_care[-1]
    return ordered[-1] if ordered else None


def consent_needed(referrals: list[Referral]) -> tuple[Referral | None, list[str]]:
    """The child's latest referral and what it still lacks, when it is to children's social care."""
    ordered = sorted(referrals, key=lambda r: (r.referred_on, r.id))
    latest = ordered[-1] if ordered else None
    if latest is None or latest.agency != "social-care":
        return latest, []
    return latest, consent_missing(latest)


def unconfirmed_phone_referrals(referrals: list[Referral]) -> list[Referral]:
    return [r for r in referrals if r.by_phone and r.confirmed_in_writing_at is None]


def _referrer(by: User, school: School, produced_on: date) -> list[Answer]:
    return [
        Answer("Name", by.name),
        Answer("Job title", by.job_title.strip()),
        Answer("School", school.name),
        Answer("Phone", by.phone.strip()),
        Answer("Secure email", (by.secure_email or by.email).strip()),
        Answer("Date of this referral", _uk(produced_on)),
    ]


def _consent(referral: Referral | None) -> list[Answer]:
    if referral is None:
        return [Answer("Were the parents or carers told about this referral?", ""),
                Answer("Consent to share information", "")]
    told = {"yes": "Yes", "no": "No"}.get(referral.parents_told, "")
    answers = [Answer("Were the parents or carers told about this referral?", told)]
    if referral.parents_told == "no":
        answers.append(Answer("Why they were not told", referral.why_not_told.strip()))
    answers.append(Answer("Consent to share information",
                          label_for(CONSENT_ANSWERS, referral.consent) if referral.consent else ""))
    if referral.consent == "given":
        answers += [Answer("Consent given by", referral.consent_by.strip()),
                    Answer("Whose information the consent covers", referral.consent_covers.strip())]
    elif referral.consent == "refused":
        answers += [Answer("Refused by", referral.consent_by.strip())]
        if referral.consent_reason.strip():
            answers.append(Answer("What was said", referral.consent_reason.strip()))
    elif referral.consent == "not-needed":
        answers.append(Answer("Why consent was not needed", referral.consent_reason.strip()))
    return answers


def _child(child: Child, school: School, details: ChildDetails | None, produced_on: date) -> list[Answer]:
    d = details
    other = child.preferred_forename if child.preferred_forename and child.preferred_forename != child.legal_forename else ""
    sen = ""
    if d and d.sen_primary_need:
        sen = f"{d.sen_primary_need}: {label_for(SEN_NEEDS, d.sen_primary_need)}"
    flags = [("Special educational needs or communication needs", child.send), ("Disability", child.disability)]
    nhs = d.nhs_number if d else ""
    return [
        Answer("Legal name", child.full_legal_name),
        Answer("Other names (known as)", other),
        Answer("Date of birth", _uk(child.date_of_birth)),
        Answer("Age", age_text(child.date_of_birth, produced_on)),
        Answer("Sex", (child.gender or "").strip().capitalize()),
        Answer("Ethnicity", d.ethnicity if d else ""),
        Answer("Religion", d.religion if d else ""),
        Answer("First language", d.first_language if d else ""),
        Answer("Needs an interpreter", yes_no(d.interpreter_needed) if d else ""),
        Answer("Address", d.address if d else ""),
        Answer("School and year group", f"{school.name}, year {child.year_group}" if child.year_group else school.name),
        Answer("Unique pupil number", child.upn),
        Answer("Special educational needs: main need", sen),
        Answer("Communication needs", d.communication_needs if d else ""),
        Answer("Flagged on the school roll", "; ".join(f"{label}: {'yes' if on else 'no'}" for label, on in flags)),
        Answer("Other things to know", "; ".join(l for l in child.flags() if l not in {f for f, _ in flags})),
        Answer("National Health Service (NHS) number",
               f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" if len(nhs) == 10 else nhs),
    ]


def _tried(records: ChildRecords) -> tuple[list[Tried], list[Tried], list[Referral]]:
    early: list[tuple[date, int, Tried]] = []
    for e in records.life_events:
        if e.kind in ("early-help-started", "early-help-closed"):
            early.append((e.occurred_on, 0, Tried(_uk(e.occurred_on), label_for(LIFE_EVENT_KINDS, e.kind),
                                                  e.note.strip())))
    for r in records.reviews:
        if r.decision == "early-help":
            early.append((r.decided_on, 1, Tried(_uk(r.decided_on), "The safeguarding lead decided: "
                                                 + label_for(REVIEW_DECISIONS, r.decision), r.reason.strip())))
    for r in records.referrals:
        if r.agency == "early-help":
            outcome = label_for(REFERRAL_STATUSES, r.status)
            if r.outcome.strip():
                outcome += f". {_uk(r.outcome_on) + ': ' if r.outcome_on else ''}{r.outcome.strip()}"
            early.append((r.referred_on, 2, Tried(_uk(r.referred_on), "Referral to early help", outcome)))
    support = [
        Tried(f"{_uk(e.occurred_on)} to {_uk(e.ended_on) if e.ended_on else 'now (still in place)'}",
              label_for(SCHOOL_SUPPORTS, e.support) if e.support else label_for(LIFE_EVENT_KINDS, e.kind),
              e.note.strip())
        for e in sorted(records.life_events, key=lambda e: (e.occurred_on, e.id)) if e.kind == "school-support"
    ]
    others = [r for r in records.referrals if r.agency != "early-help"]
    return [t for _, _, t in sorted(early, key=lambda x: (x[0], x[1]))], support, others


def _categories(slugs: list[str]) -> str:
    return ", ".join(label_for(CATEGORIES, s) for s in slugs)


def withheld_rows(child: Child, records: ChildRecords) -> list[WithheldRow]:
    """Each record marked not for the family, named by its date and kind (never a database id)."""
    observations = {o.id: o for o in records.observations}
    reviews = {r.id: r for r in records.reviews}
    referrals = {r.id: r for r in records.referrals}
    events = {e.id: e for e in records.life_events}
    shared = {i.id: i for i in records.shared}
    rows: list[tuple[date, WithheldRow]] = []
    for mark in family.withheld_marks(child):
        when: date | None = None
        what = "A record"
        if mark.record_type == "observation" and (o := observations.get(mark.record_id)):
            when, what = o.current.occurred_on, f"Concern: {_categories(o.current.categories)}"
        elif mark.record_type == "review" and (rv := reviews.get(mark.record_id)):
            when, what = rv.decided_on, f"The safeguarding lead's decision: {label_for(REVIEW_DECISIONS, rv.decision)}"
        elif mark.record_type == "referral" and (rf := referrals.get(mark.record_id)):
            when, what = rf.referred_on, f"Referral to {label_for(AGENCIES, rf.agency)}"
        elif mark.record_type == "life-event" and (ev := events.get(mark.record_id)):
            when, what = ev.occurred_on, f"Life event: {label_for(LIFE_EVENT_KINDS, ev.kind)}"
        elif mark.record_type == "information-shared" and (sh := shared.get(mark.record_id)):
            when, what = sh.shared_on, f"Information shared with {sh.with_agency}"
        elif mark.record_type == "family-member" and (m := family.as_it_stands(FamilyMember, child, mark.record_id)):
            when, what = m.recorded_at.date(), f"Family member: {m.name} ({m.relationship_to_child})"
        elif mark.record_type == "professional" and (p := family.as_it_stands(Professional, child, mark.record_id)):
            when, what = p.recorded_at.date(), f"Professional: {p.name} ({professional_role(p)})"
        rows.append((when or mark.marked_on, WithheldRow(f"{_uk(when or mark.marked_on)} — {what}", mark.reason,
                                                         _uk(mark.marked_on))))
    return [row for _, row in sorted(rows, key=lambda x: x[0])]


def build_form(c: ExportContent, by: User, records: ChildRecords, significant: list[Entry],
               details: ChildDetails | None) -> ReferralForm:
    """The eleven sections' answers, from what `load_content` already loaded."""
    produced_on = c.produced_on
    chosen = consent_referral(records.referrals)
    members = c.people.members
    early, support, others = _tried(records)
    return ReferralForm(
        referrer=_referrer(by, c.school, produced_on),
        phone_referrals=unconfirmed_phone_referrals(records.referrals),
        consent_from=chosen,
        consent=_consent(chosen),
        child_views=chosen.child_views.strip() if chosen else "",
        voices=c.voices,
        child=_child(c.child, c.school, details, produced_on),
        people=c.people,
        with_parental_responsibility=[m for m in members if m.parental_responsibility],
        living_with_child=[m for m in members if m.lives_with_child],
        significant_others=[m for m in members if not m.parental_responsibility and not m.lives_with_child
                            and not is_sibling(m)],
        reason=c.options.reason,
        significant_count=len(significant),
        early_help=early,
        school_support=support,
        earlier_referrals=others,
        strengths=c.strengths,
        risks=c.summary,
        # A pattern nobody has looked at yet is not sent to another agency.
        prompts_seen=[p for p in c.prompts if p.status in ("acknowledged", "actioned")],
        withheld=withheld_rows(c.child, records),
        level_of_need=chosen.level_of_need.strip() if chosen else "",
        levels=c.school.need_level_names,
        professionals=c.people.professionals,
        attendance=c.people.attendance,
    )


def significant_share(observations: list[Observation]) -> tuple[int, int]:
    return sum(1 for o in observations if o.significant), len(observations)
