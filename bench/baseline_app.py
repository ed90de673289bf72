"""The baseline for figure 1: a bare Flask + SQLAlchemy app that stores the same concern.

It reads the same form fields and performs the same single insert (one observation and its first
version, in one transaction) into the same tables, then redirects as the real app does. No sign-in,
CSRF, audit event, language advice or prompt evaluation. Served by gunicorn the same way:

    BENCH_DATABASE_URL=sqlite:////tmp/x.sqlite gunicorn -w 2 'bench.baseline_app:create_app()'
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, redirect, request
from sqlalchemy import MetaData, Table, create_engine, insert


def create_app() -> Flask:
    app = Flask(__name__)
    engine = create_engine(os.environ["BENCH_DATABASE_URL"], pool_pre_ping=True)
    meta = MetaData()
    observations = Table("observations", meta, autoload_with=engine)
    versions = Table("observation_versions", meta, autoload_with=engine)

    @app.post("/observations/new")
    def create():
        form = request.form
        day, month, year = (int(p) for p in form["occurred_on"].split("/"))
        now = datetime.now(timezone.utc)
        if engine.dialect.name == "sqlite":
            now = now.replace(tzinfo=None)
        author = int(form.get("author_id", "1"))
        with engine.begin() as connection:
            observation_id = connection.execute(insert(observations).values(
                school_id=int(form["school_id"]), child_id=int(form["child_id"]), created_by_id=author,
                created_at=now, urgent=False, origin="logged", submission_key=form["submission_key"],
                significant=False,
            )).inserted_primary_key[0]
            connection.execute(insert(versions).values(
                observation_id=observation_id, child_id=int(form["child_id"]), number=1, occurred_on=datetime(year, month, day).date(),
                occurred_time=None, occurred_approx=False, location=form.get("location", ""),
                categories=";".join(form.getlist("categories")), source=form["source"],
                first_hand=form.get("first_hand") == "yes", description=form["description"],
                child_voice=form.get("child_voice", ""), action_taken=form.get("action_taken", ""),
                recorded_at=now, recorded_by_id=author, reason="",
            ))
        return redirect(f"/observations/{observation_id}/submitted")

    return app
