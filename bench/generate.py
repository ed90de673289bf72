"""Deterministic synthetic data for the benchmarks: a school (or a trust of schools) of made-up children.

Same seed and sizes, same rows: every value (names, dates, texts, timestamps, ids) comes from a
seeded `random.Random` and a fixed anchor day, never from the clock. Names are syllables strung
together, so no real person is described; UPNs are well formed (`synthetic_upn`).

Rows are bulk-inserted with SQLAlchemy core (executemany) on SQLite and with COPY on PostgreSQL,
with ids assigned here so versions, reviews and referrals can point at their observations without
a round trip; PostgreSQL's sequences are moved past them afterwards.

Use inside an app context:  generate.school(seed=1, children=2000, observations=100_000)
or from the command line:   python bench/generate.py --database-url sqlite:////tmp/x.sqlite --children 200 ...
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from chronology.domain.names import search_key  # noqa: E402
from chronology.domain.upn import synthetic_upn  # noqa: E402
from chronology.domain.vocabulary import CATEGORIES, SOURCES  # noqa: E402

ANCHOR = date(2026, 7, 17)  # "today" for the data: the end of a summer term, fixed for determinism
PASSWORD_HASH_PLACEHOLDER = "!bench-no-password"  # bench users sign in only through set_password()

SYLLABLES = ("ka", "lo", "mi", "ren", "tav", "zu", "bel", "dor", "fi", "ga", "hul", "jin", "mar", "nes",
             "ol", "pra", "qui", "sa", "ti", "vo", "wen", "yar", "el", "is", "an", "ro", "ve", "lin")
SURNAME_ENDS = ("son", "well", "by", "ford", "ley", "ton", "wick", "more", "dale", "er")
PHRASES = (
    "Came in without breakfast and asked for toast twice before register.",
    "Had a bruise on the left forearm about the size of a thumb; said they fell off a scooter.",
    "Was asleep at the desk in the first lesson; jumper smelled strongly of smoke.",
    "Late for the third time this week; dropped at the gate at 9:40 with no adult coming in.",
    "Said nobody was home last night and they made their own tea.",
    "Shared lunch with a friend and helped a younger pupil find their classroom.",
    "Cried at the end of the day and did not want to go home; would not say why.",
    "Uniform has not been washed for two weeks; other children have commented on the smell.",
)
VOICES = ("I didn't have tea last night.", "", "Mum was shouting again.", "", "I like coming to school.", "")
ACTIONS = ("Told the DSL and gave breakfast.", "Passed to the DSL at break.", "Spoke to the class teacher.")
CATEGORY_SLUGS = tuple(t.slug for t in CATEGORIES)
COMMON = ("hunger", "hygiene", "clothing", "tiredness", "attendance", "injury", "emotional-wellbeing",
          "behaviour-change", "strength", "poverty", "domestic-abuse", "disclosure")
SOURCE_SLUGS = tuple(t.slug for t in SOURCES)
DECISIONS = ("monitor", "monitor", "monitor", "speak-to-child", "speak-to-parent", "early-help")
AGENCIES = ("early-help", "social-care", "health", "camhs", "police")
LIFE_EVENTS = ("moved-house", "parent-left", "bereavement", "early-help-started", "exclusion")
YEARS = 5


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(8 + rng.randrange(9), rng.randrange(60)), tzinfo=timezone.utc)


@dataclass
class Counts:
    schools: int = 0
    users: int = 0
    children: int = 0
    observations: int = 0
    versions: int = 0
    reviews: int = 0
    referrals: int = 0
    life_events: int = 0
    school_ids: list[int] = field(default_factory=list)
    staff_emails: dict[int, list[str]] = field(default_factory=dict)
    dsl_emails: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("schools", "users", "children", "observations", "versions",
                                              "reviews", "referrals", "life_events")}


class _Writer:
    """Collects rows per table and writes them in bulk: COPY on PostgreSQL, executemany elsewhere."""

    BATCH = 20_000

    def __init__(self, connection) -> None:  # noqa: ANN001
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.pending: dict[str, list[dict]] = {}

    def add(self, table: str, row: dict) -> None:
        rows = self.pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= self.BATCH:
            self.flush()  # every table, parents first (the order tables were first added), for the foreign keys

    def flush(self, table: str | None = None) -> None:
        from chronology.extensions import db

        for name in ([table] if table else list(self.pending)):
            rows = self.pending.get(name) or []
            if not rows:
                continue
            self.pending[name] = []
            t = db.metadata.tables[name]
            if self.postgres:
                columns = list(rows[0])
                raw = self.connection.connection.dbapi_connection
                with raw.cursor() as cursor:
                    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row([row[c] for c in columns])
            else:
                self.connection.execute(insert(t), rows)


def _next_id(connection, table: str) -> int:  # noqa: ANN001
    return (connection.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one() or 0) + 1


def _fix_sequences(connection) -> None:  # noqa: ANN001
    if connection.dialect.name != "postgresql":
        return
    for table in ("schools", "organisations", "users", "memberships", "children", "observations",
                  "observation_versions", "reviews", "referrals", "life_events"):
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def _spread(rng: random.Random, total: int, buckets: int) -> list[int]:
    """`total` split over `buckets` with a long tail (a few children have many entries), summing exactly."""
    weights = [rng.paretovariate(1.6) for _ in range(buckets)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    short = total - sum(counts)
    for i in range(short):
        counts[i % buckets] += 1
    return counts


def trust(*, seed: int = 1, schools: int = 1, children: int = 2000, observations: int = 100_000,
          staff: int = 12, anchor: date = ANCHOR, name: str = "Bench", urn_base: int = 700000) -> Counts:
    """`schools` schools of `children` children and about `observations` observations each, committed."""
    from chronology.extensions import db

    counts = Counts()
    with db.engine.begin() as connection:
        w = _Writer(connection)
        ids = {t: _next_id(connection, t) for t in ("organisations", "schools", "users", "memberships", "children",
                                                     "observations", "observation_versions", "reviews",
                                                     "referrals", "life_events")}
        created = datetime.combine(anchor - timedelta(days=365 * YEARS + 30), time(7), tzinfo=timezone.utc)
        org_id = ids["organisations"]
        w.add("organisations", {"id": org_id, "name": f"{name} Trust {org_id}", "created_at": created})
        w.flush("organisations")
        for s in range(schools):
            rng = random.Random(f"{seed}:{s}")
            school_id = ids["schools"] + s
            w.add("schools", {"id": school_id, "organisation_id": org_id, "name": f"{name} School {school_id}",
                              "urn": str(urn_base + school_id), "created_at": created})
            w.flush("schools")
            counts.schools += 1
            counts.school_ids.append(school_id)
            # Staff and one DSL; the DSL's second factor is set by the benchmark that signs in as them.
            emails = []
            for u in range(staff + 1):
                user_id = ids["users"]
                ids["users"] += 1
                role = "dsl" if u == 0 else "staff"
                email = f"{role}{u}.s{school_id}@bench.example.org"
                w.add("users", {"id": user_id, "email": email, "name": f"{_name(rng, 2)} {_name(rng, 3)}",
                                "password_hash": PASSWORD_HASH_PLACEHOLDER, "active": True, "created_at": created,
                                "failed_logins": 0})
                w.add("memberships", {"id": ids["memberships"], "user_id": user_id, "school_id": school_id,
                                      "role": role, "created_at": created})
                ids["memberships"] += 1
                emails.append((user_id, email))
                counts.users += 1
            w.flush("users")
            w.flush("memberships")
            counts.dsl_emails[school_id] = emails[0][1]
            counts.staff_emails[school_id] = [e for _, e in emails[1:]]
            staff_ids = [uid for uid, _ in emails[1:]]
            dsl_id = emails[0][0]

            child_rows = []
            for c in range(children):
                child_id = ids["children"]
                ids["children"] += 1
                year = rng.randrange(0, 7)  # reception .. year 6
                dob = anchor - timedelta(days=365 * (5 + year) + rng.randrange(365))
                forename, surname = _name(rng, 2), _name(rng, 2) + rng.choice(SURNAME_ENDS)
                preferred = _name(rng, 2) if rng.random() < 0.05 else None
                child_rows.append((child_id, dob))
                w.add("children", {
                    "id": child_id, "school_id": school_id,
                    "upn": synthetic_upn(c + 1, establishment=f"{(2000 + school_id) % 10000:04d}"),
                    "legal_forename": forename, "preferred_forename": preferred, "legal_surname": surname,
                    "date_of_birth": dob, "gender": rng.choice(("female", "male")),
                    "year_group": "R" if year == 0 else str(year),
                    "send": rng.random() < 0.15, "disability": rng.random() < 0.04, "eal": rng.random() < 0.2,
                    "looked_after": rng.random() < 0.01, "child_in_need": rng.random() < 0.03,
                    "early_help_plan": rng.random() < 0.04, "young_carer": rng.random() < 0.02,
                    "cp_plan": rng.choices(("none", "current", "past"), (97, 1, 2))[0],
                    "search_key": search_key(forename, preferred, surname),
                    "joined_on": None, "left_on": None, "created_at": created, "updated_at": created,
                })
                counts.children += 1
            w.flush("children")

            first_day = anchor - timedelta(days=365 * YEARS)
            for (child_id, dob), n in zip(child_rows, _spread(rng, observations, children), strict=True):
                start = max(first_day, dob + timedelta(days=365 * 3))
                span = max((anchor - start).days, 1)
                for _ in range(n):
                    obs_id = ids["observations"]
                    ids["observations"] += 1
                    day = start + timedelta(days=rng.randrange(span + 1))
                    at = _at(day, rng)
                    author = rng.choice(staff_ids)
                    cats = rng.sample(COMMON, rng.choice((1, 1, 1, 2, 3)))
                    recent = (anchor - day).days <= 7
                    head = {
                        "id": obs_id, "school_id": school_id, "child_id": child_id, "created_by_id": author,
                        "created_at": at, "urgent": rng.random() < 0.03, "origin": "logged",
                        "submission_key": None, "significant": rng.random() < 0.1, "reviewed_at": None,
                    }
                    rows = []
                    versions = 2 if rng.random() < 0.05 else 1
                    for number in range(1, versions + 1):
                        rows.append(("observation_versions", {
                            "id": ids["observation_versions"], "observation_id": obs_id, "child_id": child_id,
                            "number": number,
                            "occurred_on": day, "occurred_time": None, "occurred_approx": False, "location": "",
                            "categories": ";".join(cats), "source": rng.choice(SOURCE_SLUGS),
                            "first_hand": True, "description": rng.choice(PHRASES),
                            "child_voice": rng.choice(VOICES), "action_taken": rng.choice(ACTIONS),
                            "recorded_at": at + timedelta(hours=number - 1), "recorded_by_id": author,
                            "reason": "" if number == 1 else "Corrected the date.",
                        }))
                        ids["observation_versions"] += 1
                        counts.versions += 1
                    counts.observations += 1
                    # The DSL keeps up: all but about half of the last week's concerns are reviewed.
                    if not recent or rng.random() < 0.5:
                        reviewed_at = at + timedelta(hours=2)
                        head["reviewed_at"] = reviewed_at  # as casework.record_review marks the first review
                        rows.append(("reviews", {
                            "id": ids["reviews"], "school_id": school_id, "child_id": child_id,
                            "observation_id": obs_id, "decision": rng.choice(DECISIONS),
                            "reason": "Seen; keep an eye at breakfast club.", "decided_on": day,
                            "created_at": reviewed_at, "created_by_id": dsl_id,
                        }))
                        ids["reviews"] += 1
                        counts.reviews += 1
                    # The head is added once its review is known; the random draws keep their order.
                    w.add("observations", head)
                    for table, row in rows:
                        w.add(table, row)
                    if rng.random() < 0.01:
                        w.add("referrals", {
                            "id": ids["referrals"], "school_id": school_id, "child_id": child_id,
                            "observation_id": obs_id, "agency": rng.choice(AGENCIES), "agency_detail": "",
                            "referred_on": day, "their_reference": "", "status": "accepted",
                            "outcome": "Family support worker allocated.", "outcome_on": None, "follow_up_on": None,
                            "significant": True, "created_at": at + timedelta(hours=3), "created_by_id": dsl_id,
                            "updated_at": at + timedelta(hours=3),
                        })
                        ids["referrals"] += 1
                        counts.referrals += 1
                if n and rng.random() < 0.15:
                    day = start + timedelta(days=rng.randrange(span + 1))
                    w.add("life_events", {
                        "id": ids["life_events"], "school_id": school_id, "child_id": child_id,
                        "kind": rng.choice(LIFE_EVENTS), "occurred_on": day, "note": "Told us at the gate.",
                        "significant": True, "created_at": _at(day, rng), "created_by_id": dsl_id,
                    })
                    ids["life_events"] += 1
                    counts.life_events += 1
            for table in ("observations", "observation_versions", "reviews", "referrals", "life_events"):
                w.flush(table)
        _fix_sequences(connection)
    return counts


def school(*, seed: int = 1, children: int = 2000, observations: int = 100_000, **kw) -> Counts:
    return trust(seed=seed, schools=1, children=children, observations=observations, **kw)


def child_with_entries(school_id: int, entries: int, *, seed: int = 2, anchor: date = ANCHOR) -> int:
    """One more child at a school with exactly `entries` chronology entries (half concerns, the rest
    mostly DSL reviews of them, with some referrals and life events); returns the child's id."""
    from chronology.extensions import db

    rng = random.Random(f"{seed}:{entries}")
    with db.engine.begin() as connection:
        w = _Writer(connection)
        ids = {t: _next_id(connection, t) for t in ("children", "observations", "observation_versions",
                                                     "reviews", "referrals", "life_events")}
        users = connection.execute(text(
            "SELECT user_id, role FROM memberships WHERE school_id = :s ORDER BY id"), {"s": school_id}).all()
        dsl_id = next(u for u, r in users if r == "dsl")
        staff_ids = [u for u, r in users if r == "staff"]
        child_id = ids["children"]
        created = datetime.combine(anchor - timedelta(days=800), time(7), tzinfo=timezone.utc)
        forename, surname = _name(rng, 2), _name(rng, 3)
        w.add("children", {"id": child_id, "school_id": school_id,
                           "upn": synthetic_upn(90000 + entries, establishment="9999"),
                           "legal_forename": forename, "preferred_forename": None, "legal_surname": surname,
                           "date_of_birth": anchor - timedelta(days=365 * 10), "gender": "female",
                           "year_group": "5", "send": True, "disability": False, "eal": False,
                           "looked_after": False, "child_in_need": True, "early_help_plan": False,
                           "young_carer": False, "cp_plan": "none",
                           "search_key": search_key(forename, None, surname), "joined_on": None, "left_on": None,
                           "created_at": created, "updated_at": created})
        w.flush("children")
        n_obs = max(1, entries // 2)  # half concerns; the rest mostly their reviews, as a DSL keeps up
        rest = entries - n_obs
        obs_ids = []
        # Which concerns the reviews below answer (i % n_obs), so each head carries its review time.
        reviewed = {i % n_obs for i in range(rest) if i % 20 < 18}
        for i in range(n_obs):
            day = anchor - timedelta(days=rng.randrange(730))
            at = _at(day, rng)
            author = rng.choice(staff_ids)
            w.add("observations", {"id": ids["observations"], "school_id": school_id, "child_id": child_id,
                                   "created_by_id": author, "created_at": at, "urgent": False, "origin": "logged",
                                   "submission_key": None, "significant": i % 7 == 0,
                                   "reviewed_at": at + timedelta(hours=2) if i in reviewed else None})
            w.add("observation_versions", {
                "id": ids["observation_versions"], "observation_id": ids["observations"], "child_id": child_id,
                "number": 1,
                "occurred_on": day, "occurred_time": None, "occurred_approx": False, "location": "",
                "categories": ";".join(rng.sample(COMMON, rng.choice((1, 2)))), "source": "staff",
                "first_hand": True, "description": rng.choice(PHRASES), "child_voice": rng.choice(VOICES),
                "action_taken": rng.choice(ACTIONS), "recorded_at": at, "recorded_by_id": author, "reason": ""})
            obs_ids.append((ids["observations"], day, at))
            ids["observations"] += 1
            ids["observation_versions"] += 1
        for i in range(rest):
            obs_id, day, at = obs_ids[i % len(obs_ids)]
            kind = i % 20
            if kind < 18:
                w.add("reviews", {"id": ids["reviews"], "school_id": school_id, "child_id": child_id,
                                  "observation_id": obs_id, "decision": "monitor", "reason": "Keep an eye.",
                                  "decided_on": day, "created_at": at + timedelta(hours=2),
                                  "created_by_id": dsl_id})
                ids["reviews"] += 1
            elif kind == 18:
                w.add("referrals", {"id": ids["referrals"], "school_id": school_id, "child_id": child_id,
                                    "observation_id": obs_id, "agency": "early-help", "agency_detail": "",
                                    "referred_on": day, "their_reference": "", "status": "accepted",
                                    "outcome": "Allocated.", "outcome_on": None, "follow_up_on": None,
                                    "significant": True, "created_at": at + timedelta(hours=3),
                                    "created_by_id": dsl_id, "updated_at": at + timedelta(hours=3)})
                ids["referrals"] += 1
            else:
                w.add("life_events", {"id": ids["life_events"], "school_id": school_id, "child_id": child_id,
                                      "kind": "moved-house", "occurred_on": day, "note": "", "significant": True,
                                      "created_at": at, "created_by_id": dsl_id})
                ids["life_events"] += 1
        w.flush()
        _fix_sequences(connection)
    return child_id


def pupils_csv(count: int, *, seed: int = 3, establishment: str = "5000", anchor: date = ANCHOR) -> str:
    """An MIS-style pupil export of `count` made-up pupils."""
    rng = random.Random(f"pupils:{seed}")
    lines = ["UPN,Forename,Surname,DOB,Gender,Year,SEN"]
    for i in range(count):
        year = rng.randrange(0, 7)
        dob = anchor - timedelta(days=365 * (5 + year) + rng.randrange(365))
        lines.append(f"{synthetic_upn(i + 1, establishment=establishment)},{_name(rng, 2)},"
                     f"{_name(rng, 2) + rng.choice(SURNAME_ENDS)},{dob:%d/%m/%Y},{rng.choice('MF')},"
                     f"{'R' if year == 0 else year},{rng.choice('NNNNK')}")
    return "\n".join(lines) + "\n"


def observations_csv(upns: list[str], emails: list[str], count: int, *, seed: int = 4,
                     anchor: date = ANCHOR) -> str:
    """A history export of `count` past concerns spread over the given pupils (born 5+ years ago)."""
    rng = random.Random(f"observations:{seed}")
    lines = ["upn,occurred_on,categories,source,description,child_voice,action_taken,recorded_by"]
    for _ in range(count):
        day = anchor - timedelta(days=1 + rng.randrange(365 * 2))
        lines.append(f"{rng.choice(upns)},{day.isoformat()},{';'.join(rng.sample(COMMON, rng.choice((1, 2))))},"
                     f"{rng.choice(SOURCE_SLUGS)},\"{rng.choice(PHRASES)} ({rng.randrange(10**6)})\","
                     f"\"{rng.choice(VOICES)}\",{rng.choice(ACTIONS)},{rng.choice(emails)}")
    return "\n".join(lines) + "\n"


def table_counts() -> dict[str, int]:
    from chronology.extensions import db
    from chronology.models import Child, LifeEvent, Observation, ObservationVersion, Referral, Review, School

    return {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in (
        ("schools", School), ("children", Child), ("observations", Observation),
        ("versions", ObservationVersion), ("reviews", Review), ("referrals", Referral), ("life_events", LifeEvent))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an already migrated database")
    parser.add_argument("--schools", type=int, default=1)
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--observations", type=int, default=100_000, help="per school")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from chronology import create_app

    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.database_url})
    with app.app_context():
        counts = trust(seed=args.seed, schools=args.schools, children=args.children, observations=args.observations)
        print(counts.as_dict())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
