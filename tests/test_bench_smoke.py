"""The benchmark data generator must not rot: a tiny school on SQLite, counts as asked, same seed same data.

The benchmarks themselves are not part of the test suite (bench/README.md); only this check is.
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
