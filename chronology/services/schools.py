"""A school's own settings that are not about prompts: the names of its local threshold levels of need."""

from __future__ import annotations

from ..extensions import db
from ..models import School, User
from ..models.school import DEFAULT_NEED_LEVELS
from . import audit
from .casework import InvalidRecord

MAX_LEVELS = 10
MAX_LEVEL_NAME = 100  # the size of Referral.level_of_need


def need_level_problems(names: list[str]) -> dict[str, str]:
    if len(names) > MAX_LEVELS:
        return {"need_levels": f"Give at most {MAX_LEVELS} levels, one per line; this has {len(names)}."}
    for number, name in enumerate(names, start=1):
        if len(name) > MAX_LEVEL_NAME:
            return {"need_levels": f"Line {number} is too long: keep each level's name under {MAX_LEVEL_NAME} characters."}
    seen: set[str] = set()
    for number, name in enumerate(names, start=1):
        if name.casefold() in seen:
            return {"need_levels": f"Line {number} repeats {name!r}: give each level once."}
        seen.add(name.casefold())
    return {}


def set_need_levels(school: School, by: User, text: str) -> bool:
    """Save the names of the local threshold document's levels, one per line; empty means the default.

    Returns whether anything changed. A referral already recorded keeps the level it was judged at.
    """
    names = [line.strip() for line in (text or "").splitlines() if line.strip()]
    errors = need_level_problems(names)
    if errors:
        raise InvalidRecord(errors)
    stored = "" if names == list(DEFAULT_NEED_LEVELS) else "\n".join(names)
    if stored == school.need_levels:
        return False
    before = school.need_level_names
    school.need_levels = stored
    audit.record("school.need-levels", user_id=by.id, school_id=school.id, object_type="school",
                 object_id=school.id, detail={"from": before, "to": school.need_level_names})
    db.session.commit()
    return True
