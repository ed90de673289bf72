"""Writing to the audit log: every login, view of a chronology, export and change."""

from __future__ import annotations

import json
from typing import Any

from flask import has_request_context, request

from ..extensions import db
from ..models import AuditEvent


def record(
    action: str,
    *,
    user_id: int | None,
    school_id: int | None,
    object_type: str = "",
    object_id: int | None = None,
    child_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the calling service commits it with its change."""
    event = AuditEvent(
        action=action,
        user_id=user_id,
        school_id=school_id,
        object_type=object_type,
        object_id=object_id,
        child_id=child_id,
        ip_address=_client_address(),
        detail=json.dumps(detail, sort_keys=True, default=str) if detail else "",
    )
    db.session.add(event)
    return event


def _client_address() -> str:
    if not has_request_context():
        return "cli"
    return request.remote_addr or ""
