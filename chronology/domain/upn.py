"""Unique Pupil Numbers: checking real ones and making synthetic ones for demos and tests."""

from __future__ import annotations

from stdnum.gb import upn as _upn
from stdnum.exceptions import (
    InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError,
)

# In the words a school office uses: a UPN's first character is its check letter.
_REASONS = (
    (InvalidChecksum, "the check letter at the start does not match the 12 characters after it; "
                      "check it was copied exactly"),
    (InvalidLength, "a UPN has 13 characters"),
    (InvalidFormat, "a UPN is a check letter, 11 digits, then a digit or a letter"),
    (InvalidComponent, "characters 2 to 4 are not the number of a local authority"),
)


def upn_problem(value: str) -> str | None:
    """Why this is not a valid UPN, or None when it is."""
    try:
        _upn.validate(value)
    except ValidationError as error:
        reason = next((words for kind, words in _REASONS if isinstance(error, kind)),
                      error.message.lower().rstrip("."))
        if isinstance(error, InvalidLength):
            reason += f", not {len(_upn.compact(value))}"
        return f"{value!r} is not a valid UPN: {reason}."
    return None


def clean_upn(value: str) -> str:
    return _upn.compact(value)


def synthetic_upn(serial: int, la_code: str = "801", establishment: str = "2000") -> str:
    """A well-formed UPN for made-up children: LA code, school number, year digits, serial."""
    body = f"{la_code}{establishment}{serial % 100:02d}{serial // 100 % 1000:03d}"
    return _upn.calc_check_digit(body) + body
