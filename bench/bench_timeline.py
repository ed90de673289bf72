"""Benchmark: the timeline of a child with 1,000 chronology entries, rendered to SVG (target under 200 ms).

Run as `.venv/bin/python bench/bench_timeline.py`. It prints the timings and writes
bench/results-timeline.json. It needs no database: the entries are built in memory, as
`chronology_for` hands them to the page, so this measures the timeline alone (domain + pygal
+ the CSP filter), not loading the records.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chronology.domain.chronology import Entry  # noqa: E402
from chronology.services.timeline import timeline_for, timeline_svg  # noqa: E402

TARGET_MS = 200.0
ENTRIES = 1000
RUNS = 40
CATEGORIES = ["hunger", "hygiene", "clothing", "tiredness", "attendance", "injury", "disclosure",
              "behaviour-change", "emotional-wellbeing", "domestic-abuse", "poverty", "housing", "strength"]


def entries(count: int = ENTRIES, seed: int = 8) -> list[Entry]:
    """A busy two years: mostly observations, with the DSL's reviews, referrals and life events among them."""
    rng = random.Random(seed)
    start = date(2024, 9, 2)
    made: list[Entry] = []
    for n in range(count):
        day = start + timedelta(days=rng.randrange(730))
        at = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
        roll = rng.random()
        if roll < 0.85:
            cats = frozenset(rng.sample(CATEGORIES, rng.choice([1, 1, 1, 2, 3])))
            record = SimpleNamespace(id=n + 1, urgent=rng.random() < 0.05)
            made.append(Entry("observation", day, None, at, cats, False, record))
        elif roll < 0.93:
            made.append(Entry("review", day, None, at, frozenset(), False, SimpleNamespace(id=n + 1, decision="monitor")))
        elif roll < 0.97:
            made.append(Entry("referral", day, None, at, frozenset(), True,
                              SimpleNamespace(id=n + 1, agency="social-care")))
        else:
            made.append(Entry("life-event", day, None, at, frozenset(), True,
                              SimpleNamespace(id=n + 1, kind="moved-house")))
    return sorted(made, key=lambda e: e.occurred_on)


def main() -> int:
    chronology = entries()
    svg = timeline_svg(chronology)  # warm-up: imports pygal, fills its caches
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        svg = timeline_svg(chronology)
        timings.append((time.perf_counter() - began) * 1000)
    timeline = timeline_for(chronology)
    timings.sort()
    result = {
        "benchmark": "timeline_svg for one child",
        "entries": len(chronology),
        "marks": len(timeline.marks),
        "rows": len(timeline.rows),
        "clusters": len(timeline.clusters),
        "svg_bytes": len(svg.encode()),
        "runs": RUNS,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (RUNS - 1))], 1),
        "max_ms": round(timings[-1], 1),
        "target_ms": TARGET_MS,
        "within_target": statistics.median(timings) < TARGET_MS,
        "python": platform.python_version(),
        "pygal": __import__("pygal").__version__,
        "cpus": os.cpu_count(),
        # The machine is shared: a high load average inflates every figure above.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    out = Path(__file__).with_name("results-timeline.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"timeline of {result['entries']} entries ({result['marks']} marks, {result['rows']} rows, "
          f"{result['clusters']} clusters, {result['svg_bytes']} bytes of SVG)")
    print(f"median {result['median_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms "
          f"(target under {TARGET_MS:.0f} ms): {'ok' if result['within_target'] else 'TOO SLOW'}")
    print(f"written to {out.relative_to(ROOT)}")
    print(f"load average (1 min) while measuring: {result['load_average_1m']} on {result['cpus']} cores")
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
