"""The one-time key a writing form carries: made when the form is first shown, kept on an error."""

from __future__ import annotations

import re
import uuid

from werkzeug.datastructures import MultiDict

_KEY = re.compile(r"[0-9a-f]{32}")


def new_key() -> str:
    return uuid.uuid4().hex


def key_from(data: MultiDict) -> str:
    """The key the form was shown with; a missing or malformed one is replaced (that send still writes)."""
    key = str(data.get("submission_key", ""))
    return key if _KEY.fullmatch(key) else new_key()
