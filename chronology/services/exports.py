"""The referral-ready PDFs: a child's chronology for a meeting, or a referral, rendered and audited."""

from __future__ import annotations

import mimetypes
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain.chronology import ChronologyFilter, Entry, assemble, category_counts
from ..domain.timeline import Period
from ..domain.vocabulary import CONSENT_NOT_NEEDED_HARM, REFERRAL_DECISIONS, STRENGTH_CATEGORY
from ..extensions import db
from ..models import (
    Child, Membership, Observation, Prompt, Referral, Review, School, User,
)
from ..models.prompt import split_refs
from ..models.types import utcnow
from . import ServiceError, audit, family
from . import referral_form as marf
from .export_words import STAFF_WITHHELD, WITHHELD, NameScreen, Wording  # noqa: F401 (the export's API)
from .casework import decisions_standing_alone, entries_from, load_child_records
from .timeline import pictures_for

KINDS: dict[str, str] = {
    "full": "Full chronology",
    "multi-agency": "Multi-agency chronology (significant events)",
    "referral": "Referral: what a multi-agency referral form asks",
}
# Exports that go to another agency, and the prompts they carry: those a DSL acknowledged or acted on.
SHARED_KINDS = frozenset({"multi-agency", "referral"})
SHARED_PROMPT_STATUSES = frozenset({"acknowledged", "actioned"})
# Kinds that show only the records a DSL marked significant.
SIGNIFICANT_ONLY = frozenset({"multi-agency", "referral"})
# Each name is matched whole and ignoring case; more than this is a list pasted by mistake.
MAX_WITHHELD_NAMES = 50
UK = ZoneInfo("Europe/London")
# The timeline is drawn at the width between the PDF's page margins (A4, 14 mm each side: 182 mm,
# 688 CSS px), so that it is never cut at the page's edge and its labels keep their size.
TIMELINE_WIDTH = 680
# PDF/UA-1 gives a tagged PDF that screen readers can follow; WeasyPrint renders it cleanly.
PDF_VARIANT = "pdf/ua-1"


class InvalidExport(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Some answers need attention.")
        self.errors = errors


class ConsentMissing(InvalidExport):
    """A referral to children's social care without its consent answers; the refusal is audited."""


class NotPermitted(ServiceError):
    """Only a DSL of the child's school may export; the refusal is already in the audit log."""


@dataclass(frozen=True)
class ExportOptions:
    kind: str
    reason: str = ""
    hide_staff_names: bool = False
    withheld_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportedPdf:
    export_id: str
    kind: str
    produced_at: datetime
    pdf: bytes

    @property
    def filename(self) -> str:
        # No name or UPN in the file name: file names travel in e-mails and logs.
        return f"chronology-{self.kind}-{self.produced_at:%Y-%m-%d}-{self.export_id[:8]}.pdf"


def split_names(raw: str) -> tuple[str, ...]:
    """Names typed one per line (or separated by semicolons), blanks and repeats dropped."""
    names = (n.strip() for n in re.split(r"[\n;]", raw or ""))
    return tuple(dict.fromkeys(n for n in names if n))


def options_problems(options: ExportOptions) -> dict[str, str]:
    errors: dict[str, str] = {}
    if options.kind not in KINDS:
        errors["kind"] = "Choose what to export: the full chronology, the multi-agency chronology or a referral."
    if options.kind == "multi-agency" and not options.reason.strip():
        errors["reason"] = ("Say in your own words why you are worried about this child. "
                            "A multi-agency chronology needs the reason for concern.")
    if options.kind == "referral" and not options.reason.strip():
        errors["reason"] = ("Say in your own words why you are referring this child. "
                            "A referral needs the reason for referral.")
    if len(options.withheld_names) > MAX_WITHHELD_NAMES:
        errors["withheld_names"] = f"Give at most {MAX_WITHHELD_NAMES} names to withhold."
    elif any(len(n) < 2 for n in options.withheld_names):
        errors["withheld_names"] = "Each name to withhold needs at least two letters."
    return errors


def may_export(user: User | None, school_id: int) -> bool:
    return user is not None and user.active and "dsl" in user.roles_at(school_id)


def record_refusal(school: School, user: User | None, *, child: Child | None, as_email: str, why: str) -> None:
    """Someone who may not export asked to: written to the audit log and committed."""
    audit.record("export.refused", user_id=user.id if user else None, school_id=school.id,
                 object_type="child" if child else "", object_id=child.id if child else None,
                 child_id=child.id if child else None, detail={"as": as_email, "why": why})
    db.session.commit()


# --- Loading what goes in ---------------------------------------------------------------------


@dataclass
class ExportContent:
    """Everything the PDF template reads, loaded in a fixed number of queries."""

    child: Child
    school: School
    kind: str
    options: ExportOptions
    export_id: str
    produced_at: datetime
    produced_by: str
    entries: list[Entry]
    summary: list[tuple[str, int, date, date]]
    reviews_of: dict[int, list[Review]]
    voices: list[tuple[date, Observation]]
    strengths: list[Observation]
    referrals: list[Referral]
    prompts: list[Prompt]
    people: marf.People
    role_of: dict[int, str] = field(default_factory=dict)
    total_entries: int = 0
    timelines: list[tuple[Period, Markup]] = field(default_factory=list)
    form: marf.ReferralForm | None = None
    observations: list[Observation] = field(default_factory=list)
    # A referral always names the person making it: the agency must be able to call them back.
    named_user_id: int | None = None

    @property
    def produced_on(self) -> date:
        return self.produced_at.astimezone(UK).date()

    def who(self, user: User | None) -> str:
        if user is None:
            return ""
        if self.options.hide_staff_names and user.id != self.named_user_id:
            return self.role_of.get(user.id, "Member of staff")
        return user.name


def _role_label(roles: frozenset[str]) -> str:
    return "Safeguarding lead" if "dsl" in roles else "Member of staff"


def load_content(child: Child, by: User, options: ExportOptions, *, export_id: str,
                 produced_at: datetime) -> ExportContent:
    school = db.session.get(School, child.school_id)
    assert school is not None
    records = load_child_records(child)
    reviews, referrals = records.reviews, records.referrals
    prompts = list(db.session.scalars(
        select(Prompt).where(Prompt.child_id == child.id)
        .options(selectinload(Prompt.acknowledged_by), selectinload(Prompt.actioned_by),
                 selectinload(Prompt.dismissed_by), selectinload(Prompt.review),
                 selectinload(Prompt.referral))
        .order_by(Prompt.raised_on, Prompt.id)
    ))
    if options.kind in SHARED_KINDS:
        # Another agency reads only what a DSL has weighed: a pattern nobody has looked at stays in school.
        prompts = [p for p in prompts if p.status in SHARED_PROMPT_STATUSES]
    # Reviews are the DSL's answer to an observation: they sit in its "outcome" column.
    entries = entries_from(records, with_reviews=False)
    everything = assemble(entries, ChronologyFilter())
    significant_only = options.kind in SIGNIFICANT_ONLY
    # A decision whose concern is not listed would be lost with it: some stand on their own line.
    alone = decisions_standing_alone(records) if significant_only else []
    shown = assemble(entries + alone, ChronologyFilter(significant_only=significant_only))
    # The summary counts every concern, so a multi-agency reader still sees the whole pattern.
    summary = [row for row in category_counts(everything) if row[0] != STRENGTH_CATEGORY.slug]
    reviews_of: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        reviews_of[review.observation_id].append(review)
    in_order = [e.record for e in everything if e.kind == "observation"]
    voices = [(o.current.occurred_on, o) for o in in_order if o.current.child_voice.strip()]
    strengths = [o for o in in_order if STRENGTH_CATEGORY.slug in o.current.categories]
    role_of: dict[int, str] = {}
    if options.hide_staff_names:
        role_of = _roles_at(child.school_id)
    referral = options.kind == "referral"
    named = by.id if referral else None
    produced_on = produced_at.astimezone(UK).date()
    content = ExportContent(
        child=child, school=school, kind=options.kind, options=options, export_id=export_id,
        produced_at=produced_at,
        produced_by=(_role_label(by.roles_at(child.school_id)) if options.hide_staff_names and not referral
                     else by.name),
        entries=shown, summary=summary, reviews_of=reviews_of, voices=voices, strengths=strengths,
        referrals=referrals, prompts=prompts, role_of=role_of, total_entries=len(everything) + len(alone),
        people=marf.load_people(child, school, produced_on),
        # The same picture as on the chronology page, drawn from the whole record; a referral
        # keeps to the form's questions and the significant events.
        timelines=[] if referral else pictures_for(everything, width=TIMELINE_WIDTH, chart_id="export-timeline"),
        named_user_id=named, observations=in_order,
    )
    if referral:
        content.form = marf.build_form(content, by, records, shown, family.details_of(child))
    return content


@dataclass(frozen=True)
class Readiness:
    """What the export page tells a DSL before a referral: empty sections, significance, consent."""

    sections: list[marf.SectionState]
    significant: int
    observations: int
    warning: str | None
    consent_referral: Referral | None
    consent_missing: list[str]

    @property
    def empty(self) -> list[marf.SectionState]:
        return [s for s in self.sections if s.empty]

    @property
    def gaps(self) -> list[marf.SectionState]:
        return [s for s in self.sections if s.gaps]


def referral_readiness(child: Child, by: User) -> Readiness:
    """How complete a referral would be if exported now; reads only (the export itself is audited)."""
    content = load_content(child, by, ExportOptions("referral"), export_id="", produced_at=utcnow())
    assert content.form is not None
    significant, total = marf.significant_share(content.observations)
    latest, missing = marf.consent_needed(content.referrals)
    return Readiness(
        # The reason is typed on the export page itself, so section 6 waits only on the chronology.
        sections=marf.section_states(content.form), significant=significant, observations=total,
        warning=marf.significant_warning(significant, total),
        consent_referral=latest if missing else None, consent_missing=missing,
    )


def _staff_of(school_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id).options(selectinload(User.memberships)).distinct()
    ))


def _roles_at(school_id: int) -> dict[int, str]:
    return {u.id: _role_label(u.roles_at(school_id)) for u in _staff_of(school_id)}


def name_screen(child: Child, options: ExportOptions, authors: list[User] | None = None,
                named: User | None = None) -> NameScreen:
    """`named` (a referral's referrer) keeps their name even when staff names are hidden."""
    replacements: dict[str, str] = {}
    if options.hide_staff_names:
        # Staff names can turn up inside the words too ("told Mr Test Staff"), not only as authors.
        for user in [*_staff_of(child.school_id), *(authors or [])]:
            if named is None or user.id != named.id:
                replacements[user.name] = STAFF_WITHHELD
    for name in options.withheld_names:
        replacements[name] = WITHHELD
    return NameScreen(replacements)


def _authors(content: ExportContent) -> list[User]:
    people: list[User | None] = []
    for entry in content.entries:
        record = entry.record
        people.append(record.created_by)
        if entry.kind == "observation":
            people.extend(v.recorded_by for v in record.versions)
    for reviews in content.reviews_of.values():
        people.extend(r.created_by for r in reviews)
    for prompt in content.prompts:
        people.extend((prompt.acknowledged_by, prompt.actioned_by, prompt.dismissed_by))
    return [p for p in people if p is not None]


# --- Rendering --------------------------------------------------------------------------------


def render_html(content: ExportContent) -> str:
    named = db.session.get(User, content.named_user_id) if content.named_user_id else None
    screen = name_screen(content.child, content.options, _authors(content), named)
    # Straight from the Jinja environment: the same filters, but no request needed (the CLI has none)
    # and none of the web pages' context, which a PDF has no use for.
    name = "exports/referral.html" if content.kind == "referral" else "exports/chronology.html"
    template = current_app.jinja_env.get_template(name)
    return template.render(c=content, words=Wording(screen), kinds=KINDS, marf=marf, refers=REFERRAL_DECISIONS,
                           evidence_count=lambda p: len(split_refs(p.evidence)),
                           # Fixed document dates, so the same records and options give the same bytes.
                           pdf_date=content.produced_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


def render_pdf(html: str, static_folder: str | Path) -> bytes:
    import weasyprint  # lazily: it loads Pango and fonts, which only an export needs

    base = Path(static_folder).resolve()
    document = weasyprint.HTML(string=html, base_url=base.as_uri() + "/",
                               url_fetcher=static_url_fetcher(base))
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def new_export_id() -> str:
    return uuid.uuid4().hex


def consent_refusal(child: Child, referrals: list[Referral]) -> dict[str, str]:
    """The error when the latest referral is to children's social care and lacks its consent answers."""
    latest, missing = marf.consent_needed(referrals)
    if not missing or latest is None:
        return {}
    return {"consent": (f"Before a referral to children's social care can be exported, record on the referral of "
                        f"{latest.referred_on:%d/%m/%Y} {' and '.join(missing)}. "
                        f"\"{CONSENT_NOT_NEEDED_HARM}\" is an answer too.")}


def export_pdf(child: Child, by: User, options: ExportOptions) -> ExportedPdf:
    """Check, load, render, audit, commit; the stored record is read and never changed.

    A referral export also records, in the same transaction as its audit event, that it is the
    written confirmation of any referral made by phone and not yet confirmed.
    """
    school = db.session.get(School, child.school_id)
    if not may_export(by, child.school_id):
        record_refusal(school, by, child=child, as_email=by.email, why="not a DSL of this school")
        raise NotPermitted("Only a designated safeguarding lead of this school can export a chronology.")
    options = ExportOptions(options.kind, options.reason.strip(), options.hide_staff_names,
                            tuple(n.strip() for n in options.withheld_names if n.strip()))
    errors = options_problems(options)
    if options.kind == "referral":
        consent = consent_refusal(child, load_child_records(child).referrals)
        if consent:
            record_refusal(school, by, child=child, as_email=by.email, why="consent answers missing")
            raise ConsentMissing({**errors, **consent})
    if errors:
        raise InvalidExport(errors)
    export_id = new_export_id()
    produced_at = utcnow()
    content = load_content(child, by, options, export_id=export_id, produced_at=produced_at)
    pdf = render_pdf(render_html(content), current_app.static_folder or "")
    confirmed = content.form.phone_referrals if content.form else []
    event = audit.record(
        "export.pdf", user_id=by.id, school_id=child.school_id, object_type="child", object_id=child.id,
        child_id=child.id,
        detail={"export_id": export_id, "kind": options.kind,
                # The audit log must not become another copy of third parties' names or concern text.
                "options": {"hide_staff_names": options.hide_staff_names,
                            "withheld_names": len(options.withheld_names),
                            "reason_given": bool(options.reason)},
                "entries": len(content.entries),
                **({"confirms_phone_referrals": [r.id for r in confirmed]} if confirmed else {})},
    )
    event.at = produced_at
    for referral in confirmed:
        referral.confirmed_in_writing_at = produced_at
        audit.record("referral.confirmed-in-writing", user_id=by.id, school_id=child.school_id,
                     object_type="referral", object_id=referral.id, child_id=child.id,
                     detail={"export_id": export_id})
    db.session.commit()  # the export's audit event and the confirmations, together
    return ExportedPdf(export_id=export_id, kind=options.kind, produced_at=produced_at, pdf=pdf)


# --- The renderer's only window on the world ---------------------------------------------------


def static_url_fetcher(static_folder: str | Path) -> Any:
    """A WeasyPrint URL fetcher that reads files under the static folder and refuses all else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = Path(static_folder).resolve()

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            path = static_path(url, root)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    # No network handler is ever used: fetch() above never calls urllib.
    return StaticFilesOnly(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=False)


def static_path(url: str, root: Path) -> Path:
    """The file a URL names, if it is a file under `root`; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise ValueError(f"refused: the PDF renderer reads only the app's static files, not {url!r}")
    path = Path(url2pathname(parts.path)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise ValueError(f"refused: {url!r} is not one of the app's static files")
    return path
