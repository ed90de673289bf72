"""Reading the log-a-concern form while keeping every value the writer typed."""

from __future__ import annotations

from ..domain.ids import record_id

import uuid
from dataclasses import dataclass, field
from datetime import date

from werkzeug.datastructures import MultiDict

from ..domain.dates import DateProblem, clock_time, parse_date, parse_time, uk_date
from ..domain.observation_rules import ObservationDraft

TEXT_FIELDS = ("child_query", "occurred_on", "occurred_time", "location", "source", "first_hand",
               "description", "child_voice", "action_taken", "reason")


@dataclass
class ObservationForm:
    """What was typed (to show again if anything is wrong) and the draft read from it."""

    values: dict[str, object]
    errors: dict[str, str] = field(default_factory=dict)
    draft: ObservationDraft | None = None

    @classmethod
    def blank(cls) -> "ObservationForm":
        values: dict[str, object] = {name: "" for name in TEXT_FIELDS}
        values.update(categories=[], occurred_approx=False, urgent=False, child_id="",
                      submission_key=uuid.uuid4().hex)
        return cls(values=values)

    @classmethod
    def for_today(cls, today: date) -> "ObservationForm":
        """A new concern: most are written the day they happen, so the date starts as today."""
        form = cls.blank()
        form.values["occurred_on"] = uk_date(today)
        return form

    @classmethod
    def from_draft(cls, draft: ObservationDraft) -> "ObservationForm":
        form = cls.blank()
        form.values.update(
            occurred_on=uk_date(draft.occurred_on) if draft.occurred_on else "",
            occurred_time=clock_time(draft.occurred_time) if draft.occurred_time else "",
            occurred_approx=draft.occurred_approx, location=draft.location,
            categories=list(draft.categories), source=draft.source,
            first_hand="yes" if draft.first_hand else "no", description=draft.description,
            child_voice=draft.child_voice, action_taken=draft.action_taken, urgent=draft.urgent,
        )
        return form

    @classmethod
    def read(cls, data: MultiDict) -> "ObservationForm":
        values: dict[str, object] = {name: data.get(name, "") for name in TEXT_FIELDS}
        values["categories"] = data.getlist("categories")
        values["occurred_approx"] = data.get("occurred_approx") == "yes"
        values["urgent"] = data.get("urgent") == "yes"
        # Without JavaScript a child is chosen from a list of radios named `child_choice`: a choice made
        # there is the latest one, and the hidden `child_id` beside it is empty or left from before.
        choice = str(data.get("child_choice", ""))
        values["child_id"] = choice if record_id(choice) else data.get("child_id", "")
        key = str(data.get("submission_key", ""))
        values["submission_key"] = key if len(key) == 32 and key.isalnum() else uuid.uuid4().hex
        form = cls(values=values)
        occurred_on = occurred_time = None
        try:
            occurred_on = parse_date(str(values["occurred_on"]))
            values["occurred_on"] = uk_date(occurred_on)  # shown again as it was read: "2 Dec 26" is 02/12/2026
        except DateProblem as problem:
            form.errors["occurred_on"] = str(problem) if values["occurred_on"] else \
                "Enter the date it happened, for example 27/03/2026."
        try:
            occurred_time = parse_time(str(values["occurred_time"]))
            values["occurred_time"] = clock_time(occurred_time) if occurred_time else ""
        except DateProblem as problem:
            form.errors["occurred_time"] = str(problem)
        first_hand = {"yes": True, "no": False}.get(str(values["first_hand"]))
        form.draft = ObservationDraft(
            occurred_on=occurred_on,
            occurred_time=occurred_time,
            occurred_approx=bool(values["occurred_approx"]),
            location=str(values["location"]),
            categories=tuple(values["categories"]),  # type: ignore[arg-type]
            source=str(values["source"]),
            first_hand=first_hand,
            description=str(values["description"]),
            child_voice=str(values["child_voice"]),
            action_taken=str(values["action_taken"]),
            urgent=bool(values["urgent"]),
        )
        return form


def restorable_values(data: MultiDict) -> dict[str, object]:
    """Everything typed into the form, ready to keep as a draft (the CSRF token is not worth keeping)."""
    return dict(ObservationForm.read(data).values)
