"""How much the PDF export adds to WeasyPrint's own rendering, for 20, 100 and 500 entries.

For each size the full export (load the records, build the HTML, render, audit, commit) is timed
against WeasyPrint rendering the very same HTML string directly, with the same PDF options, in the
same run, alternating the two. Times are this process's CPU time, so other work on a shared machine
does not skew the ratio (wall-clock times are recorded too). Target: overhead 1.2x or less.

Run: .venv/bin/python bench/bench_pdf.py [--repeat N] [--sizes 20,100,500]
Writes bench/results-pdf.json and prints a markdown table. Synthetic data in a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = 1.2
PASSWORD = "bench marmalade lantern otter"

PHRASES = (
    "Came in without breakfast and asked for toast twice before register.",
    "Had a bruise on the left forearm, about the size of a thumb; said she fell off her scooter.",
    "Mum said the CAMHS appointment was cancelled again and she is waiting for a new date.",
    "Was asleep at the desk in the first lesson; jumper smelled strongly of smoke.",
    "Shared her lunch with a friend and helped a younger pupil find their classroom.",
    "Late for the third time this week; Dad dropped her at 9:40 and left without speaking to the office.",
)
VOICES = ("I didn't have tea last night.", "", "Mum was shouting at the man again.", "", "I like coming to school.")
CATEGORIES = ("hunger", "injury", "emotional-wellbeing", "tiredness", "strength", "attendance")


def build(app, entries: int):
    """A school, a DSL, a teacher and one child with `entries` observations plus some casework."""
    from chronology.extensions import db
    from chronology.models import Child, Observation, ObservationVersion, Referral, Review
    from chronology.services import accounts

    school = accounts.create_school(f"Bench Primary {entries}", f"{900000 + entries}")
    dsl = accounts.create_user(school, f"dsl{entries}@bench.example.org", "Bench DSL", ["dsl"], PASSWORD)
    teacher = accounts.create_user(school, f"staff{entries}@bench.example.org", "Bench Teacher", ["staff"], PASSWORD)
    child = Child(school_id=school.id, upn=f"B{entries:012d}", legal_forename="Zoë", legal_surname="Nguyễn",
                  date_of_birth=date(2014, 3, 9), gender="female", year_group="6", send=True)
    child.refresh_search_key()
    db.session.add(child)
    db.session.flush()
    start = date.today() - timedelta(days=entries + 10)
    observations = []
    for i in range(entries):
        observation = Observation(school_id=school.id, child=child, created_by=teacher, significant=i % 7 == 0)
        observation.versions.append(ObservationVersion(
            number=1, occurred_on=start + timedelta(days=i), categories_text=CATEGORIES[i % len(CATEGORIES)],
            source="staff", description=f"{PHRASES[i % len(PHRASES)]} (entry {i})",
            child_voice=VOICES[i % len(VOICES)], action_taken="Told the DSL and gave breakfast.",
            recorded_by=teacher))
        db.session.add(observation)
        observations.append(observation)
    db.session.flush()
    for i, observation in enumerate(observations[::5]):
        db.session.add(Review(school_id=school.id, child_id=child.id, observation_id=observation.id,
                              decision="monitor", reason="Keep an eye at breakfast club.",
                              decided_on=observation.current.occurred_on, created_by=dsl))
        if i % 10 == 0:
            db.session.add(Referral(school_id=school.id, child_id=child.id, agency="early-help",
                                    referred_on=observation.current.occurred_on, status="accepted",
                                    outcome="Family support worker allocated.", created_by=dsl))
    db.session.commit()
    return child, dsl


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each, after one warm-up")
    parser.add_argument("--sizes", default="20,100,500")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory(prefix="chronology-bench-") as tmp:
        os.environ["CHRONOLOGY_INSTANCE"] = tmp
        from flask_migrate import upgrade

        from chronology import create_app
        from chronology.extensions import db
        from chronology.services import exports

        app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "bench",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})
        rows = []
        with app.app_context():
            import logging

            logging.getLogger("alembic").setLevel(logging.WARNING)
            upgrade()
            warnings.simplefilter("ignore")
            import weasyprint

            options = exports.ExportOptions("full")
            for n in sizes:
                child, dsl = build(app, n)
                html = exports.render_html(exports.load_content(
                    child, dsl, options, export_id="0" * 32, produced_at=exports.utcnow()))

                def direct() -> bytes:
                    return weasyprint.HTML(string=html).write_pdf(pdf_variant=exports.PDF_VARIANT)

                def export() -> bytes:
                    db.session.expire_all()  # read the records afresh, as a request would
                    return exports.export_pdf(child, dsl, options).pdf

                export(), direct()  # warm-up: fonts, Pango, template compilation
                export_times, direct_times, export_wall, direct_wall = [], [], [], []
                for _ in range(args.repeat):
                    # CPU time of this process: both sides run in it (SQLite included), and other
                    # work on a shared machine does not count against either.
                    w, t = time.perf_counter(), time.process_time()
                    pdf = export()
                    export_times.append(time.process_time() - t); export_wall.append(time.perf_counter() - w)
                    w, t = time.perf_counter(), time.process_time()
                    direct()
                    direct_times.append(time.process_time() - t); direct_wall.append(time.perf_counter() - w)
                from pypdf import PdfReader
                import io

                pages = len(PdfReader(io.BytesIO(pdf)).pages)
                export_s, direct_s = statistics.median(export_times), statistics.median(direct_times)
                rows.append({"entries": n, "pages": pages, "export_s": round(export_s, 3),
                             "weasyprint_s": round(direct_s, 3), "ratio": round(export_s / direct_s, 3),
                             "export_cpu_runs": [round(t, 3) for t in export_times],
                             "weasyprint_cpu_runs": [round(t, 3) for t in direct_times],
                             "export_wall_runs": [round(t, 3) for t in export_wall],
                             "weasyprint_wall_runs": [round(t, 3) for t in direct_wall]})
            db.session.remove()
            db.engine.dispose()

    result = {
        "what": "export_pdf() (load, HTML, render, audit, commit) vs WeasyPrint rendering the same HTML "
                f"with the same options (pdf_variant={exports.PDF_VARIANT!r}); process CPU seconds, "
                f"median of {args.repeat} alternating runs after one warm-up; wall-clock runs kept for reference",
        "target_ratio": TARGET,
        "weasyprint": weasyprint.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "results": rows,
        "within_target": all(r["ratio"] <= TARGET for r in rows),
    }
    (ROOT / "bench" / "results-pdf.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"| entries | pages | export (CPU s) | WeasyPrint alone (CPU s) | ratio (target <= {TARGET}) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['entries']} | {r['pages']} | {r['export_s']:.3f} | {r['weasyprint_s']:.3f} | {r['ratio']:.2f} |")
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
