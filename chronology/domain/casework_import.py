"""Reading a DSL's past casework (reviews, referrals, life events) out of CSV, checking each row's format."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from .observation_rules import MAX_TEXT
from .pupil_import import (
    ImportFile, RowError, extra_cells_error, heading_key, open_file, parse_yes_no, read_optional_date, read_text,
    read_upn,
)
from .vocabulary import (
    AGENCIES, CONSENT_ANSWERS, LIFE_EVENT_KINDS, REFERRAL_STATUSES, REVIEW_DECISIONS, SCHOOL_SUPPORTS, Term,
)

RECORDS = ("review", "referral", "life-event")
REQUIRED = ("upn", "record", "date", "recorded_by")
CONSENT = ("parents_told", "why_not_told", "consent", "consent_by", "consent_covers", "consent_reason",
           "child_views", "level_of_need")
# Which columns each kind of record has; a cell filled in a column the record does not have is
# refused, so nothing in the file is silently left behind.
APPLIES: dict[str, frozenset[str]] = {
    "review": frozenset({"kind", "note", "concern_date"}),
    "referral": frozenset({"agency", "agency_detail", "their_reference", "status", "outcome", "outcome_on",
                           "follow_up_on", "significant", *CONSENT}),
    "life-event": frozenset({"kind", "note", "support", "ended_on", "significant"}),
}
OPTIONAL = tuple(sorted(set().union(*APPLIES.values())))
ALIASES: dict[str, str] = {heading_key(name): name for name in REQUIRED + OPTIONAL}
ALIASES.update({
    "record type": "record",
    "type": "record",
    "recorded by": "recorded_by",
    "author": "recorded_by",
    "decision": "kind",
    "event": "kind",
    "reference": "their_reference",
    "their ref": "their_reference",
    "outcome date": "outcome_on",
    "follow up date": "follow_up_on",
    "follow up": "follow_up_on",
    "end date": "ended_on",
    "concern": "concern_date",
    "observation": "concern_date",
    "observation date": "concern_date",
    "reason": "note",
    "notes": "note",
    "parents or carers told": "parents_told",
    "consent given by": "consent_by",
    "child's views": "child_views",
    "childs views": "child_views",
})
MAX_LENGTH = {"agency_detail": 200, "their_reference": 100, "consent_by": 200, "level_of_need": 100}
# Free text is kept exactly as written (line breaks too), as it is for past concerns.
TEXTS = ("note", "outcome", "why_not_told", "consent_covers", "consent_reason", "child_views")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class CaseworkRow:
    """One past review, referral or life event, its format checked; the child and writer are the service's."""

    line: int
    upn: str
    record: str
    on: date
    recorded_by: str
    kind: str = ""
    note: str = ""
    concern_date: date | None = None
    agency: str = ""
    agency_detail: str = ""
    their_reference: str = ""
    status: str = ""
    outcome: str = ""
    outcome_on: date | None = None
    follow_up_on: date | None = None
    support: str = ""
    ended_on: date | None = None
    significant: bool = True
    # A referral's consent answers as (ReferralDraft field name, answer) pairs, "" where not given.
    consent: tuple[tuple[str, str], ...] = ()

    @property
    def consent_answers(self) -> dict[str, str]:
        return dict(self.consent)


CaseworkFile = ImportFile[CaseworkRow]


def slug(text: str) -> str:
    """"Speak to child", "speak_to_child" and "SPEAK-TO-CHILD" are all the slug speak-to-child."""
    return "-".join(text.casefold().replace("_", " ").replace("-", " ").split())


def _one_of(terms: tuple[Term, ...], what: str):  # noqa: ANN202
    allowed = [t.slug for t in terms]

    def read(raw: str) -> str:
        text = raw.strip()
        if not text:
            raise ValueError(f"The {what} is missing; use one of: {', '.join(allowed)}.")
        if (found := slug(text)) not in allowed:
            raise ValueError(f"{text!r} is not a {what}; use one of: {', '.join(allowed)}.")
        return found

    return read


_SLUGS = {
    ("review", "kind"): _one_of(REVIEW_DECISIONS, "review decision"),
    ("life-event", "kind"): _one_of(LIFE_EVENT_KINDS, "life event"),
    ("referral", "agency"): _one_of(AGENCIES, "referral agency"),
    ("referral", "status"): _one_of(REFERRAL_STATUSES, "referral status"),
    ("referral", "consent"): _one_of(CONSENT_ANSWERS, "consent answer"),
    ("life-event", "support"): _one_of(SCHOOL_SUPPORTS, "kind of support"),
}
# A record may leave these unanswered; the others are needed by every record of their kind.
_OPTIONAL_SLUGS = frozenset({"consent", "support"})
_WHEN = {"review": "the date of the decision", "referral": "the date the referral was made",
         "life-event": "the date it happened"}


def parse_casework(text: str, *, today: date) -> CaseworkFile:
    """Every row of the file, or every problem with it; a caller writes nothing unless errors is empty."""
    opened = open_file(text, ALIASES, REQUIRED, "records")
    if isinstance(opened, ImportFile):
        return opened
    headings = opened.headings
    errors = opened.errors
    rows: list[CaseworkRow] = []
    first_line: dict[CaseworkRow, int] = {}
    for line, cells in opened.table.rows:
        row, row_errors = _read_row(line, opened.cells(cells), headings, today)
        if extra := extra_cells_error(line, cells, len(opened.table.header)):
            row_errors.insert(0, extra)
        if row is not None:
            # The same record twice is almost always a copy-and-paste slip; a person decides which stays.
            key = replace(row, line=0)
            if key in first_line:
                row_errors.append(RowError(line, "", f"This row repeats line {first_line[key]} exactly; "
                                                     "remove one of them."))
            else:
                first_line[key] = line
        if row_errors:
            errors.extend(row_errors)
        elif row is not None:
            rows.append(row)
    return CaseworkFile(rows=tuple(rows), errors=tuple(errors), headings=headings, ignored_columns=opened.ignored)


def _read_row(line: int, raw: dict[str, str], headings: dict[str, str],
              today: date) -> tuple[CaseworkRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(name: str, reason: str) -> None:
        errors.append(RowError(line, headings.get(name, name), reason))

    def read(name: str, reader, *, needed: bool = False):  # noqa: ANN001, ANN202
        """The cell read; None (and the problem reported) when it cannot be. A needed column may be absent."""
        if name not in raw and not needed:
            return None
        try:
            return reader(raw.get(name, ""))
        except ValueError as problem:
            fail(name, str(problem))
            return None

    upn = read("upn", read_upn)
    record = slug(raw["record"])
    if record not in RECORDS:
        fail("record", f"{raw['record'].strip()!r} is not a kind of record; use one of: {', '.join(RECORDS)}."
             if raw["record"].strip() else f"Say what the row is: one of {', '.join(RECORDS)}.")
        return None, errors
    on = read("date", read_optional_date)
    if on is None and not raw["date"].strip():
        fail("date", f"{_WHEN[record].capitalize()} is missing; write it as DD/MM/YYYY.")
    elif on is not None and on > today:
        fail("date", f"{_WHEN[record].capitalize()} ({on:%d/%m/%Y}) is in the future.")
    recorded_by = raw["recorded_by"].strip().lower()
    if not _EMAIL.match(recorded_by):
        fail("recorded_by", f"{raw['recorded_by'].strip()!r} is not an email address."
             if recorded_by else "The email of the person who recorded it is missing.")

    for name in sorted(set(raw) - set(REQUIRED) - APPLIES[record]):
        if raw[name].strip():
            advice = ("put what the agency said in the outcome column instead" if (record, name) == ("referral", "note")
                      else "leave this cell empty")
            fail(name, f"A {record.replace('-', ' ')} has no {headings[name]}; {advice}.")

    values: dict[str, object] = {}
    for (kind, name), reader in _SLUGS.items():
        if kind == record and (name not in _OPTIONAL_SLUGS or raw.get(name, "").strip()):
            values[name] = read(name, reader, needed=True)
    for name in TEXTS:
        if name in APPLIES[record] and name in raw:
            values[name] = read(name, lambda r: r if len(r) <= MAX_TEXT else _too_long(MAX_TEXT))
    for name, limit in MAX_LENGTH.items():
        if name in APPLIES[record] and name in raw:
            values[name] = read(name, lambda r, n=limit: read_text(r, limit=n))
    for name in ("concern_date", "outcome_on", "follow_up_on", "ended_on"):
        if name in APPLIES[record] and name in raw:
            values[name] = read(name, read_optional_date)
    if "significant" in APPLIES[record] and raw.get("significant", "").strip():
        values["significant"] = read("significant", parse_yes_no)
    if record == "referral" and raw.get("parents_told", "").strip():
        told = read("parents_told", parse_yes_no)
        values["parents_told"] = "" if told is None else ("yes" if told else "no")

    _check_record(record, on, values, fail, today)
    if errors or upn is None or on is None:
        return None, errors
    consent = tuple((name, str(values.pop(name, "") or "")) for name in CONSENT)
    row = CaseworkRow(line=line, upn=str(upn), record=record, on=on, recorded_by=recorded_by,
                      consent=consent if record == "referral" else (),
                      **{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]
    return row, errors


def _too_long(limit: int) -> str:
    raise ValueError(f"This is longer than {limit:,} characters; please split it into two records.")


def _check_record(record: str, on: date | None, values: dict[str, object], fail, today: date) -> None:  # noqa: ANN001
    """What a review, referral or life event needs, as the DSL's forms ask for it."""
    note = str(values.get("note") or "")
    if record == "review":
        if not note.strip():
            fail("note", "Give the reason for this decision. A decision not to refer needs its reason recorded too.")
        concern = values.get("concern_date")
        if isinstance(concern, date) and concern > today:
            fail("concern_date", "The concern's date cannot be in the future.")
        elif isinstance(concern, date) and on and concern > on:
            fail("concern_date", "The concern's date is after the date of the decision about it.")
    elif record == "referral":
        if values.get("agency") == "other" and not str(values.get("agency_detail") or "").strip():
            fail("agency_detail", "Say which agency, since the agency is other.")
        outcome_on, follow_up_on = values.get("outcome_on"), values.get("follow_up_on")
        if isinstance(outcome_on, date):
            if outcome_on > today:
                fail("outcome_on", "The outcome date cannot be in the future.")
            elif on and outcome_on < on:
                fail("outcome_on", "The outcome date cannot be before the referral date.")
            if not str(values.get("outcome") or "").strip():
                fail("outcome", "Describe the outcome, since its date is given.")
        if isinstance(follow_up_on, date) and on and follow_up_on < on:
            fail("follow_up_on", "The follow-up date cannot be before the referral date.")
    else:
        kind = values.get("kind")
        if kind == "other" and not note.strip():
            fail("note", "Describe what happened, since the kind is other.")
        if kind == "school-support" and not values.get("support"):
            fail("support", "Say which support the school gives: one of "
                            + ", ".join(t.slug for t in SCHOOL_SUPPORTS) + ".")
        if kind != "school-support":
            for name in ("support", "ended_on"):
                if values.get(name):
                    fail(name, "Only in-school support (school-support) has this; leave it empty.")
        ended_on = values.get("ended_on")
        if isinstance(ended_on, date) and on and ended_on < on:
            fail("ended_on", "The support cannot end before it started.")
