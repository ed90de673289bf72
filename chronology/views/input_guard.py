"""Refuse a request carrying a NUL character: no person types one, and PostgreSQL cannot store it."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import BadRequest


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class NulCharacter(BadRequest):
    description = ("Something you sent contains an invisible null character, which cannot be saved. "
                   "Remove it (retyping the text usually does) and try again.")


def register(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        values = list(request.args.values()) + list(request.form.values())
        if request.is_json:
            values.append(request.get_json(silent=True))
        if any(_has_nul(v) for v in values):
            raise NulCharacter()
