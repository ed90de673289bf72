"""Unique Pupil Numbers: checking real ones and making synthetic ones for demos and tests."""

from __future__ import annotations

from stdnum.gb import upn as _upn
from stdnum.exceptions import ValidationError


def upn_problem(value: str) -> str | None:
    """Why this is not a valid UPN, or None when it is."""
    try:
        _upn.validate(value)
    except ValidationError as error:
        return f"{value!r} is not a valid UPN: {error.message.lower().rstrip('.')}."
    return None


def clean_upn(value: str) -> str:
    return _upn.compact(value)


def synthetic_upn(serial: int, la_code: str = "801", establishment: str = "2000") -> str:
    """A well-formed UPN for made-up children: LA code, school number, year digits, serial."""
    body = f"{la_code}{establishment}{serial % 100:02d}{serial // 100 % 1000:03d}"
    return _upn.calc_check_digit(body) + body
