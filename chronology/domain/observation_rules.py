"""What makes an observation complete and believable, before it is written down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from .vocabulary import CATEGORY_SLUGS, SOURCE_SLUGS

MAX_LOCATION = 200
MAX_TEXT = 20_000


@dataclass(frozen=True)
class ObservationDraft:
    """What the writer gave us, already parsed into Python values."""

    occurred_on: date | None
    occurred_time: time | None
    occurred_approx: bool
    location: str
    categories: tuple[str, ...]
    source: str
    first_hand: bool | None
    description: str
    child_voice: str = ""
    action_taken: str = ""
    urgent: bool = False
    extra_categories: frozenset[str] = field(default_factory=frozenset)


def problems(draft: ObservationDraft, *, date_of_birth: date, today: date) -> dict[str, str]:
    """Each field at fault, with a message the writer can act on. Empty when all is well."""
    found: dict[str, str] = {}
    if draft.occurred_on is None:
        found["occurred_on"] = "Enter the date it happened, for example 27/03/2026."
    elif draft.occurred_on > today:
        found["occurred_on"] = "The date it happened cannot be in the future."
    elif draft.occurred_on < date_of_birth:
        found["occurred_on"] = (
            f"The date it happened is before the child's date of birth ({date_of_birth:%d/%m/%Y})."
        )
    allowed = CATEGORY_SLUGS | draft.extra_categories
    if not draft.categories:
        found["categories"] = "Choose at least one category."
    elif any(c not in allowed for c in draft.categories):
        bad = ", ".join(c for c in draft.categories if c not in allowed)
        found["categories"] = f"Unknown category: {bad}."
    if draft.source not in SOURCE_SLUGS:
        found["source"] = "Choose who the information came from."
    if draft.first_hand is None:
        found["first_hand"] = "Say whether you saw or heard it yourself, or were told it by someone else."
    if not draft.description.strip():
        found["description"] = "Describe what you saw or heard, in your own words."
    for name in ("description", "child_voice", "action_taken"):
        if len(getattr(draft, name)) > MAX_TEXT:
            found[name] = f"This is longer than {MAX_TEXT:,} characters; please split it into two records."
    if len(draft.location) > MAX_LOCATION:
        found["location"] = f"Keep where it happened under {MAX_LOCATION} characters."
    return found
