"""The benchmarks must not rot: the data generator (a tiny school, counts as asked, same seed same
data), and the whole suite at its smoke size on both databases. The school and trust sizes run on
request only (bench/README.md).
"""

from __future__ import annotations

import hashlib
import logging

from flask_migrate import upgrade
from sqlalchemy import text

from bench import generate
from chronology import create_app
from chronology.domain.upn import upn_problem
from chronology.extensions import db

TABLES = ("children", "observations", "observation_versions", "reviews", "referrals", "life_events")


def _generate(path, seed: int, instance_dir) -> tuple[dict, dict[str, str], list[str]]:  # noqa: ARG001
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade()
        counts = generate.school(seed=seed, children=30, observations=400)
        child = generate.child_with_entries(counts.school_ids[0], 40)
        digests = {}
        for table in TABLES:
            rows = db.session.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        upns = list(db.session.scalars(text("SELECT upn FROM children")))
        entries = sum(db.session.execute(text(f"SELECT COUNT(*) FROM {t} WHERE child_id = :c"), {"c": child}).scalar_one()
                      for t in ("observations", "reviews", "referrals", "life_events"))
        table_counts = generate.table_counts()
        # Each concern carries its first review's time, as casework.record_review would have set it.
        marker_disagrees = db.session.execute(text(
            "SELECT COUNT(*) FROM observations o WHERE (o.reviewed_at IS NULL) <> "
            "(NOT EXISTS (SELECT 1 FROM reviews r WHERE r.observation_id = o.id)) "
            "OR o.reviewed_at <> (SELECT MIN(r.created_at) FROM reviews r WHERE r.observation_id = o.id)")).scalar_one()
        db.session.remove()
        db.engine.dispose()
    return ({"asked": counts.as_dict(), "stored": table_counts, "entries": entries,
             "marker_disagrees": marker_disagrees}, digests, upns)


def test_generator_counts_and_determinism(tmp_path, instance_dir):
    first, digests, upns = _generate(tmp_path / "a.sqlite", 7, instance_dir)
    assert first["asked"]["children"] == 30 and first["asked"]["observations"] == 400
    # The generated school plus the one child with exactly 40 chronology entries.
    assert first["stored"]["children"] == 31
    assert first["stored"]["observations"] == 400 + 20
    assert first["stored"]["versions"] == first["asked"]["versions"] + 20
    assert first["stored"]["reviews"] == first["asked"]["reviews"] + 18
    assert first["entries"] == 40
    assert 0 < first["asked"]["reviews"] <= 400
    assert first["marker_disagrees"] == 0
    assert all(upn_problem(u) is None for u in upns) and len(set(upns)) == len(upns)

    again, same_digests, _ = _generate(tmp_path / "b.sqlite", 7, instance_dir)
    assert again == first and same_digests == digests

    _, other_digests, _ = _generate(tmp_path / "c.sqlite", 8, instance_dir)
    assert other_digests["observation_versions"] != digests["observation_versions"]


def test_the_smoke_benchmark_measures_every_figure_on_both_databases(tmp_path):
    """`make bench` must not rot either: the smallest size, end to end, into a scratch folder.

    Goals are not asserted here (times on a shared machine are noise); that every figure was
    measured, on both databases, against its baseline, is.
    """
    import json
    import math
    import os
    import shutil
    import subprocess
    import sys

    from chronology import PROJECT_ROOT

    has_wrk = shutil.which("wrk") is not None
    assert has_wrk or os.environ.get("CI") != "true", "scripts/system-deps.sh installs wrk for CI"
    run = subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "run.py"), "--size", "smoke", "--skip-pdf",
                          "--output", str(tmp_path)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())["results"]
    assert (tmp_path / "results.md").read_text().count("| sqlite |") > 5
    for backend in ("sqlite", "postgresql"):
        mine = [r for r in results if r["backend"] == backend]
        figures = {r["figure"] for r in mine}
        assert {"2", "3", "4", "6", "7"} <= figures and ("1" in figures or not has_wrk), (backend, figures)
        for r in mine:
            if r.get("skipped"):
                continue
            assert math.isfinite(r["value"]) and r["value"] > 0, r
            assert r["baseline"] is None or r["ratio"] is not None, r
        same_queries = [r for r in mine if "SQL queries" in r["name"]]
        assert same_queries and all(r["met"] for r in same_queries), same_queries
        if has_wrk:
            assert all(r["errors"] == 0 and r["stored"] >= r["requests"] for r in mine if r["figure"] == "1")
            # Both rungs between the bare baseline and the app, at every number of clients.
            rungs = [r for r in mine if r["figure"] == "1" and "app_to_rung" in r]
            assert len(rungs) == 2 * 3 and all(r["app_to_rung"] > 0 for r in rungs), rungs
