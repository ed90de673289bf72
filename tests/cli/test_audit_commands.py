"""audit-verify and audit-log, on SQLite and PostgreSQL.

The tampering here is real: the test lifts the database's guard on audit_events (raw SQL), changes
rows as an attacker with database access would, and puts the guard back in the same transaction.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from datetime import timedelta

from sqlalchemy import select, text

from chronology.extensions import db
from chronology.models import AuditEvent
from chronology.models.audit import GENESIS, canonical_at
from chronology.models.types import utcnow
from chronology.services import audit
from tests.factories import make_child, make_school, make_user
from tests.web.test_authorization_matrix import sign_in

COLUMNS = ("at", "user_id", "school_id", "action", "object_type", "object_id", "child_id",
           "ip_address", "detail", "prev_hash", "hash")
KEYS = {"id", "at", "user", "action", "object_type", "object_id", "child_upn", "ip_address", "detail"}


def tamper(*statements: str, params: dict | None = None) -> None:
    """Run raw SQL on audit_events with its UPDATE/DELETE triggers dropped, then recreate them."""
    db.session.commit()
    engine = db.engine
    with engine.begin() as conn:
        pg = engine.dialect.name == "postgresql"
        for action in ("update", "delete"):
            conn.execute(text(f"DROP TRIGGER audit_events_no_{action}" + (" ON audit_events" if pg else "")))
        for statement in statements:
            conn.execute(text(statement), params or {})
        for action, message in (("UPDATE", "audit events are never changed"),
                                ("DELETE", "audit events are never deleted")):
            name = f"audit_events_no_{action.lower()}"
            if pg:
                conn.execute(text(f"CREATE TRIGGER {name} BEFORE {action} ON audit_events FOR EACH ROW "
                                  f"EXECUTE FUNCTION chronology_refuse_change('{message}')"))
            else:
                conn.execute(text(f"CREATE TRIGGER {name} BEFORE {action} ON audit_events "
                                  f"BEGIN SELECT RAISE(ABORT, '{message}'); END"))


def some_events():
    school = make_school()
    dsl = make_user(school, "dsl", email="dsl@oakfield.example.org")
    child = make_child(school, upn="A123456789012")
    rows = db.session.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).all()
    return school, dsl, child, [SimpleNamespace(**row._mapping) for row in rows]


def named(event_id: int) -> str:
    row = db.session.execute(select(AuditEvent.__table__).where(AuditEvent.id == event_id)).one()
    return f"event {row.id} ({row.action}, at {canonical_at(row.at)})"


def verify(runner):
    db.session.commit()
    return runner.invoke(args=["audit-verify"])


# --- audit-verify ---------------------------------------------------------------------------------


def test_verify_passes_an_intact_chain_and_an_empty_one(runner):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "empty" in result.output
    _school, _dsl, _child, events = some_events()
    assert len(events) >= 3
    assert events[0].prev_hash == GENESIS
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash and after.id > before.id
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert f"intact: {len(events)} event(s)" in result.output
    assert events[-1].hash in result.output


def test_verify_names_an_altered_event(runner):
    _school, _dsl, _child, events = some_events()
    target = events[1]
    tamper("UPDATE audit_events SET detail = :detail WHERE id = :id",
           params={"detail": '{"email": "someone-else@example.org"}', "id": target.id})
    result = verify(runner)
    assert result.exit_code == 1
    assert named(target.id) in result.output
    assert "altered" in result.output


def test_verify_names_an_event_whose_time_or_author_was_changed(runner):
    _school, dsl, _child, events = some_events()
    target = events[-1]
    tamper("UPDATE audit_events SET user_id = :user WHERE id = :id", params={"user": dsl.id, "id": target.id})
    assert named(target.id) in verify(runner).output
    tamper("UPDATE audit_events SET user_id = NULL WHERE id = :id", params={"id": target.id})
    assert verify(runner).exit_code == 0  # put back exactly as it was: intact again
    earlier = utcnow() - timedelta(days=3)
    if db.engine.dialect.name == "sqlite":
        earlier = earlier.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy stores it there
    tamper("UPDATE audit_events SET at = :at WHERE id = :id", params={"at": earlier, "id": target.id})
    result = verify(runner)
    assert result.exit_code == 1 and named(target.id) in result.output


def test_verify_names_the_event_after_a_removed_one(runner):
    _school, _dsl, _child, events = some_events()
    removed, following = events[1], events[2]
    tamper("DELETE FROM audit_events WHERE id = :id", params={"id": removed.id})
    result = verify(runner)
    assert result.exit_code == 1
    assert named(following.id) in result.output
    assert "removed" in result.output


def swap(a: int, b: int, columns) -> None:
    """Exchange the given columns of events a and b, through a copy of the two rows."""
    def sets(other: int) -> str:
        return ", ".join(f"{c} = (SELECT {c} FROM swap_copy WHERE id = {other})" for c in columns)

    tamper(
        f"CREATE TEMPORARY TABLE swap_copy AS SELECT * FROM audit_events WHERE id IN ({a}, {b})",
        # prev_hash is unique, so move a's out of the way before b takes it.
        f"UPDATE audit_events SET prev_hash = 'moving' WHERE id = {a}",
        f"UPDATE audit_events SET {sets(a)} WHERE id = {b}",
        f"UPDATE audit_events SET {sets(b)} WHERE id = {a}",
        "DROP TABLE swap_copy",
    )


def test_verify_names_the_first_of_two_reordered_events(runner):
    _school, _dsl, _child, events = some_events()
    first, second = events[1], events[2]
    swap(first.id, second.id, COLUMNS)  # everything but the ids: each now stands in the other's place
    swapped = db.session.execute(select(AuditEvent.__table__).where(AuditEvent.id == first.id)).one()
    assert swapped.hash == second.hash  # the swap really happened
    result = verify(runner)
    assert result.exit_code == 1
    assert named(first.id) in result.output


def test_verify_catches_a_swap_of_contents_that_keeps_the_hashes_in_place(runner):
    _school, _dsl, _child, events = some_events()
    first, second = events[1], events[2]
    swap(first.id, second.id, [c for c in COLUMNS if c not in ("prev_hash", "hash")])
    result = verify(runner)
    assert result.exit_code == 1
    assert named(first.id) in result.output


def test_the_database_still_refuses_changes_to_audit_events(app):
    some_events()
    db.session.commit()
    for statement in ("UPDATE audit_events SET detail = 'x'", "DELETE FROM audit_events"):
        try:
            with db.engine.begin() as conn:
                conn.execute(text(statement))
        except Exception as error:  # noqa: BLE001 (either driver's integrity error)
            assert "never" in str(error)
        else:
            raise AssertionError(f"{statement} was allowed")


# --- audit-log ------------------------------------------------------------------------------------


def run_json(runner, *args: str):
    result = runner.invoke(args=["audit-log", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_audit_log_lists_who_viewed_and_changed_what_about_a_child(app, client, runner):
    school, dsl, child, _events = some_events()
    other = make_child(school, forename="Sam", surname="Other", upn="B123456789012")
    sign_in(client, dsl)
    assert client.get(f"/children/{child.id}/chronology").status_code == 200
    assert client.get(f"/children/{other.id}/chronology").status_code == 200

    events = run_json(runner, "--upn", child.upn)
    assert events and all(set(e) == KEYS for e in events)
    assert [e["action"] for e in events] == ["chronology.view"]
    view = events[0]
    assert view["user"] == dsl.email and view["child_upn"] == child.upn
    assert view["object_type"] == "child" and view["object_id"] == child.id
    assert view["ip_address"] == "127.0.0.1"
    assert view["at"].endswith("+00:00")

    by_user = run_json(runner, "--user", dsl.email.upper())
    assert {"login", "chronology.view"} <= {e["action"] for e in by_user}
    assert all(e["user"] == dsl.email for e in by_user)

    everything = run_json(runner)
    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)
    created = next(e for e in everything if e["action"] == "user.create")
    assert created["user"] is None and created["detail"] == {"email": dsl.email}


def test_audit_log_filters_by_day_and_records_its_own_use(runner):
    some_events()
    today = utcnow().date()
    assert run_json(runner, "--since", (today + timedelta(days=2)).isoformat()) == []
    events = run_json(runner, "--since", (today - timedelta(days=1)).isoformat())
    assert {"school.create", "user.create", "audit-log.export"} <= {e["action"] for e in events}
    export = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit-log.export")
                                .order_by(AuditEvent.id.desc())).first()
    assert export.ip_address == "cli" and json.loads(export.detail)["since"] is not None
    assert verify(runner).exit_code == 0


def test_audit_log_refuses_bad_filters_clearly(runner):
    some_events()
    for args, words in [
        (["--since", "27/03/2026"], "not a date in the form YYYY-MM-DD"),
        (["--since", "2026-02-30"], "not a date in the form YYYY-MM-DD"),
        (["--upn", "Z999999999999"], "no child has the UPN"),
        (["--user", "nobody@example.org"], "no user has the email address"),
    ]:
        result = runner.invoke(args=["audit-log", *args, "--json"])
        assert result.exit_code != 0, args
        assert words in result.output, result.output


def test_audit_log_without_json_prints_one_line_per_event(runner):
    school, dsl, child, _events = some_events()
    audit.record("chronology.view", user_id=dsl.id, school_id=school.id, object_type="child",
                 object_id=child.id, child_id=child.id)
    db.session.commit()
    result = runner.invoke(args=["audit-log", "--user", dsl.email])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and dsl.email in lines[0] and "chronology.view" in lines[0] and child.upn in lines[0]


def test_denied_access_shows_in_the_audit_log(app, client, runner):
    school, _dsl, child, _events = some_events()
    elsewhere = make_school("Elm Street Primary")
    intruder = make_user(elsewhere, "dsl", email="dsl@elmstreet.example.org")
    teacher = make_user(school, "staff", email="teacher@oakfield.example.org")
    sign_in(client, intruder)
    assert client.get(f"/children/{child.id}/chronology").status_code == 404
    sign_in(client, teacher)
    assert client.get("/dsl/queue").status_code == 403

    about_child = run_json(runner, "--upn", child.upn)
    assert [(e["action"], e["user"]) for e in about_child] == [("access-denied", intruder.email)]
    assert about_child[0]["detail"]["status"] == 404
    assert about_child[0]["detail"]["path"] == f"/children/{child.id}/chronology"
    denied = [e for e in run_json(runner, "--user", teacher.email) if e["action"] == "access-denied"]
    assert len(denied) == 1
    assert denied[0]["detail"] == {"status": 403, "reason": "role", "method": "GET", "path": "/dsl/queue",
                                   "endpoint": "dsl.queue", "required_roles": ["dsl"]}
    assert verify(runner).exit_code == 0
