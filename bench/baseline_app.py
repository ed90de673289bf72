"""The baselines for figure 1: bare Flask + SQLAlchemy apps that store the same concern.

`create_app()` (the baseline the goal is measured against) reads the same form fields and performs
the same single insert (one observation and its first version, in one transaction) into the same
tables, then redirects as the real app does. No sign-in, CSRF, audit event, language advice or
prompt evaluation. Served by gunicorn the same way:

    BENCH_DATABASE_URL=sqlite:////tmp/x.sqlite gunicorn -w 2 'bench.baseline_app:create_app()'

Two more rungs put back, one at a time, what the brief requires of every write, written as plainly
as Flask and SQLAlchemy allow, so a reader sees what each costs before any of the app's own code:

- `create_app("signed-in")`: the signed session cookie is read; the server-side session is checked
  in one query as the app checks it (not ended, idle or too old, its own user, active, with a role
  that may log a concern at the school); and the CSRF token is checked by Flask-WTF. It accepts
  the real app's cookie and form as they are.
- `create_app("audited")`: as "signed-in", and the write also appends the app's own audit event
  for a new concern to the chain, with the app's `append_events` (the chain's lock, the newest
  event's hash, one INSERT), in the same transaction.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta, timezone

from flask import Flask, abort, redirect, request, session
from sqlalchemy import MetaData, Table, and_, bindparam, create_engine, exists, insert, select
from sqlalchemy.orm import Session

# The audit chain is appended by the app's own code, so a rung's event verifies with the app's
# `audit-verify` and contends for the same lock.
from chronology.models.audit import append_events
from chronology.services import audit
from config import Config

LAYERS = ("bare", "signed-in", "audited")


def create_app(layers: str = "bare") -> Flask:
    if layers not in LAYERS:
        raise ValueError(f"layers must be one of {LAYERS}, not {layers!r}")
    app = Flask(__name__)
    engine = create_engine(os.environ["BENCH_DATABASE_URL"], pool_pre_ping=True)
    app.extensions["bench_engine"] = engine  # for whoever must close it (the tests)
    meta = MetaData()
    observations = Table("observations", meta, autoload_with=engine)
    versions = Table("observation_versions", meta, autoload_with=engine)
    signed_in = layers != "bare"
    audited = layers == "audited"
    if audited:
        # Sealed with the app's own audit key (the same environment or instance file), so the
        # app's audit-verify accepts the rung's events.
        from chronology import PROJECT_ROOT

        instance = os.environ.get("CHRONOLOGY_INSTANCE") or str(PROJECT_ROOT / "instance")
        app.config["AUDIT_KEY"] = Config.from_environment(instance)["AUDIT_KEY"]
    if signed_in:
        from flask_wtf.csrf import CSRFProtect

        app.secret_key = os.environ["SECRET_KEY"]
        app.config["WTF_CSRF_TIME_LIMIT"] = None
        CSRFProtect(app)
        sessions = Table("user_sessions", meta, autoload_with=engine)
        users = Table("users", meta, autoload_with=engine)
        memberships = Table("memberships", meta, autoload_with=engine)
        idle = timedelta(minutes=Config.SESSION_IDLE_MINUTES)
        oldest = timedelta(hours=Config.SESSION_ABSOLUTE_HOURS)
        # What the app asks of every request, in one query: a session neither ended, idle too long
        # nor too old, an active user, and a role that may log a concern at this school. (The app
        # also notes the session's last use, at most once a minute: left out here.)
        live = (select(users.c.id).join(sessions, sessions.c.user_id == users.c.id)
                .where(sessions.c.token_hash == bindparam("token_hash"), sessions.c.user_id == bindparam("user_id"),
                       sessions.c.ended_at.is_(None), sessions.c.last_seen_at > bindparam("idle_since"),
                       sessions.c.created_at > bindparam("born_since"), users.c.active.is_(True),
                       exists().where(and_(memberships.c.user_id == users.c.id,
                                           memberships.c.school_id == bindparam("school_id"),
                                           memberships.c.role.in_(("staff", "dsl"))))))

    def author(connection, school_id: int, now: datetime) -> int:  # noqa: ANN001
        if not signed_in:
            return int(request.form.get("author_id", "1"))
        token, user_id = session.get("sid"), str(session.get("_user_id", ""))
        if not token or not user_id.isdigit():
            abort(401)
        found = connection.execute(live, {"token_hash": hashlib.sha256(token.encode()).hexdigest(),
                                          "user_id": int(user_id), "school_id": school_id,
                                          "idle_since": now - idle, "born_since": now - oldest}).scalar()
        if found is None:
            abort(401)
        return found

    def append_event(connection, user_id: int, school_id: int, child_id: int, observation_id: int) -> None:  # noqa: ANN001
        # The app's own event for a new concern, appended by the app's own code (its lock, its head
        # read, its hash), on this request's connection and in its transaction.
        # Closing the session leaves the request's own transaction to commit as before.
        with Session(bind=connection) as session_:
            append_events(session_, [audit.values(
                "observation.create", user_id=user_id, school_id=school_id, object_type="observation",
                object_id=observation_id, child_id=child_id, detail={"urgent": False})])

    @app.post("/observations/new")
    def create():
        form = request.form
        day, month, year = (int(p) for p in form["occurred_on"].split("/"))
        now = datetime.now(timezone.utc)
        if engine.dialect.name == "sqlite":
            now = now.replace(tzinfo=None)
        school_id, child_id = int(form["school_id"]), int(form["child_id"])
        # One connection and one transaction for the request, as the app has: the sign-in look-up
        # costs one query, not a second checkout of the pool.
        with engine.begin() as connection:
            author_id = author(connection, school_id, now)
            observation_id = connection.execute(insert(observations).values(
                school_id=school_id, child_id=child_id, created_by_id=author_id,
                created_at=now, urgent=False, origin="logged", submission_key=form["submission_key"],
                significant=False,
            )).inserted_primary_key[0]
            connection.execute(insert(versions).values(
                observation_id=observation_id, child_id=child_id, number=1, occurred_on=datetime(year, month, day).date(),
                occurred_time=None, occurred_approx=False, location=form.get("location", ""),
                categories=";".join(form.getlist("categories")), source=form["source"],
                first_hand=form.get("first_hand") == "yes", description=form["description"],
                child_voice=form.get("child_voice", ""), action_taken=form.get("action_taken", ""),
                recorded_at=now, recorded_by_id=author_id, reason="",
            ))
            if audited:
                append_event(connection, author_id, school_id, child_id, observation_id)
        return redirect(f"/observations/{observation_id}/submitted")

    return app
