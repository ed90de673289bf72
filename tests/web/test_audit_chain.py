"""The audit log's hash chain: built at flush time, never forked under real concurrency, backfilled by
the migration; and every denied access is on it."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select

from chronology import create_app
from chronology.extensions import db
from chronology.models import AuditEvent
from chronology.models.audit import GENESIS, key_id
from chronology.models.types import UTCDateTime, utcnow
from chronology.services import audit
from tests.factories import make_child, make_school, make_user
from tests.web.test_authorization_matrix import sign_in


def chain() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def assert_linked(events: list[AuditEvent]) -> None:
    """Each school's events (and the system's) form a chain of their own: 1, 2, 3... each after the last."""
    chains: dict[int, list[AuditEvent]] = {}
    for event in events:
        chains.setdefault(event.chain, []).append(event)
    for chain, members in chains.items():
        assert chain == (event.school_id or 0 for event in members).__next__()
        assert all(e.chain == (e.school_id or 0) for e in members)
        assert members[0].prev_hash == GENESIS and members[0].seq == 1
        for before, after in zip(members, members[1:]):
            assert after.prev_hash == before.hash, f"event {after.id} does not follow event {before.id}"
            assert after.seq == before.seq + 1 and after.at >= before.at
    for event in events:
        assert event.hash == event.computed_hash() and len(event.hash) == 64


def test_events_from_several_flushes_and_one_flush_form_one_chain(app):
    school = make_school()
    make_user(school, ["staff", "dsl"])  # user.create and two grant-role events in one flush
    for n in range(3):
        audit.record("test.event", user_id=None, school_id=school.id, detail={"n": n, "name": "Zoë Nguyễn"})
    db.session.commit()
    events = chain()
    assert len(events) == 1 + 3 + 3
    assert_linked(events)
    assert [json.loads(e.detail)["n"] for e in events[-3:]] == [0, 1, 2]  # chain order is the order recorded
    report = audit.verify_chain()
    assert report.intact and report.count == len(events)
    ours = [e for e in events if e.school_id == school.id]
    assert report.chain(school.id).head == ours[-1].hash and report.chain(school.id).count == len(ours)


def test_a_rolled_back_event_leaves_no_gap_in_the_chain(app):
    school = make_school()
    audit.record("test.kept", user_id=None, school_id=school.id)
    db.session.flush()
    db.session.rollback()
    audit.record("test.kept", user_id=None, school_id=school.id)
    db.session.commit()
    events = chain()
    assert_linked(events)
    assert audit.verify_chain().intact


def test_a_transaction_reads_the_chain_head_once_however_many_times_it_flushes(app):
    school = make_school()
    db.session.commit()
    reads: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and "hash" in statement and "audit_events" in statement:
            reads.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for n in range(3):
            audit.record("test.flushed", user_id=None, school_id=school.id, detail={"n": n})
            db.session.flush()
        db.session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert len(reads) == 1
    events = chain()
    assert [json.loads(e.detail)["n"] for e in events[-3:]] == [0, 1, 2]
    assert_linked(events)
    assert audit.verify_chain().intact


def test_events_of_a_savepoint_rolled_back_leave_the_chain_whole(app):
    school = make_school()
    audit.record("test.before", user_id=None, school_id=school.id)
    db.session.flush()
    savepoint = db.session.begin_nested()
    audit.record("test.undone", user_id=None, school_id=school.id)
    db.session.flush()
    savepoint.rollback()
    audit.record("test.after", user_id=None, school_id=school.id)
    db.session.commit()
    events = chain()
    assert [e.action for e in events[-2:]] == ["test.before", "test.after"]
    assert "test.undone" not in {e.action for e in events}
    assert_linked(events)
    assert audit.verify_chain().intact


@pytest.mark.parametrize("threads,each", [(6, 8)])
def test_concurrent_appends_never_fork_the_chain(app, threads, each):
    school_id = make_school().id
    before = len(chain())
    db.session.commit()
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            with app.app_context():  # a session (and connection) of its own, as a request has
                start.wait(timeout=10)
                for n in range(each):
                    audit.record("test.concurrent", user_id=None, school_id=school_id,
                                 detail={"worker": worker, "n": n})
                    if n % 2:
                        # Two flushes in one transaction, as a write and the prompts it raises make.
                        db.session.flush()
                        audit.record("test.concurrent", user_id=None, school_id=school_id,
                                     detail={"worker": worker, "n": n, "second": True})
                    db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    workers = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors, errors
    events = chain()
    assert len(events) == before + threads * (each + each // 2)
    assert_linked(events)
    assert len({(e.chain, e.seq) for e in events}) == len(events)
    assert audit.verify_chain().intact


def test_a_fork_is_refused_by_the_database(app):
    """Even code that bypassed the flush hook could not add a second event after the same one."""
    make_school()
    last = chain()[-1]
    with pytest.raises(sa.exc.IntegrityError):
        with db.engine.begin() as conn:
            conn.execute(AuditEvent.__table__.insert().values(
                at=utcnow(), action="forged", object_type="", ip_address="", detail="",
                chain=last.chain, seq=last.seq, prev_hash=last.prev_hash, hash="f" * 64))


# --- denied access ----------------------------------------------------------------------------


def _denials() -> list[dict]:
    return [{"user_id": e.user_id, "school_id": e.school_id, "object_type": e.object_type,
             "object_id": e.object_id, "child_id": e.child_id, **json.loads(e.detail)}
            for e in chain() if e.action == "access-denied"]


def test_a_role_refusal_is_audited_with_user_path_and_method(app, client):
    school = make_school()
    teacher = make_user(school, "staff")
    sign_in(client, teacher)
    assert client.get("/dsl/queue").status_code == 403
    assert client.get("/admin/users").status_code == 403
    denials = _denials()
    assert [(d["user_id"], d["school_id"], d["status"], d["method"], d["path"]) for d in denials] == [
        (teacher.id, school.id, 403, "GET", "/dsl/queue"), (teacher.id, school.id, 403, "GET", "/admin/users")]
    assert audit.verify_chain().intact


def test_anonymous_visitors_are_sent_to_sign_in_not_recorded_as_denials(client, app):
    make_school()
    assert client.get("/dsl/queue").status_code == 302
    assert _denials() == []


def test_another_schools_child_and_concern_give_404_and_are_audited(app, client):
    from chronology.domain.observation_rules import ObservationDraft
    from chronology.services import observations as observation_service

    school, elsewhere = make_school(), make_school("Elm Street Primary")
    author = make_user(school, "staff")
    colleague = make_user(school, "staff")
    intruder = make_user(elsewhere, "dsl")
    child = make_child(school)
    draft = ObservationDraft(
        occurred_on=date.today() - timedelta(days=1), occurred_time=None, occurred_approx=False,
        location="Classroom", categories=("hunger",), source="staff", first_hand=True,
        description="Came in hungry and asked for toast twice.", child_voice="", action_taken="Told the DSL.",
        urgent=False)
    observation = observation_service.record_observation(school, child, author, draft, today=date.today())

    sign_in(client, intruder)
    assert client.get(f"/children/{child.id}/chronology").status_code == 404
    assert client.get(f"/dsl/observations/{observation.id}/review").status_code == 404
    assert client.get(f"/children/{2**40}/chronology").status_code == 404  # too big for an INTEGER: still no 500
    sign_in(client, colleague)
    assert client.get(f"/observations/{observation.id}").status_code == 404  # staff read only their own

    got = [(d["user_id"], d["status"], d["object_type"], d["object_id"], d["child_id"], d["path"]) for d in _denials()]
    assert got == [
        (intruder.id, 404, "child", child.id, child.id, f"/children/{child.id}/chronology"),
        (intruder.id, 404, "observation", observation.id, child.id, f"/dsl/observations/{observation.id}/review"),
        (intruder.id, 404, "child", None, None, f"/children/{2**40}/chronology"),
        (colleague.id, 404, "observation", observation.id, child.id, f"/observations/{observation.id}"),
    ]
    assert _denials()[2]["requested_id"] == str(2**40)
    assert audit.verify_chain().intact


# --- the migration that added the chain ---------------------------------------------------------

EVENTS = sa.table(
    "audit_events", sa.column("id", sa.Integer), sa.column("at", UTCDateTime()), sa.column("user_id", sa.Integer),
    sa.column("school_id", sa.Integer), sa.column("action", sa.String), sa.column("object_type", sa.String),
    sa.column("object_id", sa.Integer), sa.column("child_id", sa.Integer), sa.column("ip_address", sa.String),
    sa.column("detail", sa.Text),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'backfill.sqlite'}"
        return
    url = sa.engine.make_url(request.getfixturevalue("postgres"))
    name = f"backfill_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _events_from_before_the_chain(count: int) -> None:
    """Events as the schema of 0003 held them, before any chain: a month old, an hour apart."""
    upgrade(revision="0003")
    start = utcnow() - timedelta(days=30)
    with db.engine.begin() as conn:
        conn.execute(EVENTS.insert(), [
            {"at": start + timedelta(hours=n, microseconds=n * 7), "user_id": None, "school_id": None,
             "action": f"old.event-{n}", "object_type": "child" if n % 2 else "", "object_id": n or None,
             "child_id": None, "ip_address": "10.0.0.1", "detail": json.dumps({"note": "Zoë", "n": n})}
            for n in range(count)
        ])


def test_the_migration_chains_the_events_already_recorded(empty_database, instance_dir):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x"})
    with app.app_context():
        _events_from_before_the_chain(5)
        upgrade()
        report = audit.verify_chain()
        assert report.intact and report.count == 6, report
        events = chain()
        assert_linked(events)
        assert [e.action for e in events] == [f"old.event-{n}" for n in range(5)] + ["audit.rechained"]
        # Chained again under the key, once, saying so: the old chain's head, length and state.
        rechained = json.loads(events[-1].detail)
        assert rechained["old_events"] == 5 and rechained["old_chain_intact"] is True
        assert rechained["old_first_bad_event"] is None and len(rechained["old_head"]) == 64
        assert rechained["key_id"] == key_id()

        # The guard is back: the database still refuses to change or remove an event.
        for statement in ("UPDATE audit_events SET detail = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DatabaseError, match="never"):
                with db.engine.begin() as conn:
                    conn.execute(sa.text(statement))

        # New events carry on from the backfilled chain.
        audit.record("new.event", user_id=None, school_id=None)
        db.session.commit()
        assert chain()[-1].prev_hash == events[-1].hash
        assert audit.verify_chain().intact
        db.session.remove()
        db.engine.dispose()


def test_a_review_and_a_significant_mark_on_the_same_concern_at_once_both_succeed(app, monkeypatch):
    """Every writer takes the chain's lock before the rows it updates, so none waits in the opposite order.

    The review is paused right after it marks the concern reviewed, while the significant mark runs:
    had the review updated the concern's row before taking the chain's lock, the two would deadlock.
    """
    from chronology.models import Observation, Review, User
    from chronology.services import casework
    from tests.factories import record_concern

    school = make_school()
    teacher, dsl, child = make_user(school, "staff"), make_user(school, "dsl"), make_child(school)
    concern_id = record_concern(school, child, teacher).id
    child_id, dsl_id = child.id, dsl.id
    db.session.remove()

    marked = threading.Event()
    original = casework._mark_reviewed

    def slow_mark(observation, review):  # noqa: ANN001
        original(observation, review)
        marked.set()
        time.sleep(0.5)  # long enough for the other writer to reach its locks

    monkeypatch.setattr(casework, "_mark_reviewed", slow_mark)
    errors: list[BaseException] = []

    def review() -> None:
        try:
            with app.app_context():
                casework.record_review(db.session.get(Observation, concern_id), db.session.get(User, dsl_id),
                                       "monitor", "Seen; keep watching.", date(2026, 3, 3), today=date(2026, 3, 3))
                db.session.remove()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    def significant() -> None:
        try:
            marked.wait(timeout=10)
            with app.app_context():
                from chronology.models import Child

                casework.mark_significant(db.session.get(Child, child_id), db.session.get(User, dsl_id),
                                          "observation", concern_id, True)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    workers = [threading.Thread(target=review), threading.Thread(target=significant)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    concern = db.session.get(Observation, concern_id)
    assert concern.significant is True and concern.reviewed_at is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(Review)) == 1
    assert audit.verify_chain().intact


def test_events_written_at_once_join_the_chain_in_the_order_recorded(app):
    school = make_school()
    db.session.commit()
    audit.record("test.recorded-first", user_id=None, school_id=school.id)  # pending, not yet flushed
    audit.write([audit.values("test.written", user_id=None, school_id=school.id, detail={"n": n}) for n in range(3)])
    audit.record("test.recorded-last", user_id=None, school_id=school.id)
    db.session.commit()
    events = chain()
    assert [e.action for e in events[-5:]] == ["test.recorded-first"] + ["test.written"] * 3 + ["test.recorded-last"]
    assert [json.loads(e.detail)["n"] for e in events[-4:-1]] == [0, 1, 2]
    assert_linked(events)
    assert audit.verify_chain().intact


def test_events_written_at_once_go_with_a_rollback(app):
    school = make_school()
    db.session.commit()
    before = len(chain())
    audit.write([audit.values("test.undone", user_id=None, school_id=school.id)])
    db.session.rollback()
    audit.write([audit.values("test.kept", user_id=None, school_id=school.id)])
    db.session.commit()
    events = chain()
    assert len(events) == before + 1 and events[-1].action == "test.kept"
    assert_linked(events)


def test_rechaining_under_the_key_records_an_old_chain_that_was_already_broken(empty_database, instance_dir):
    """Re-sealing must never launder an earlier change: the migration says where the old chain broke."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x"})
    with app.app_context():
        _events_from_before_the_chain(4)
        upgrade(revision="0013")  # chained under the old scheme
        pg = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER audit_events_no_update" + (" ON audit_events" if pg else "")))
            conn.execute(sa.text("UPDATE audit_events SET detail = 'edited' WHERE action = 'old.event-2'"))
        broken_id = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "old.event-2"))
        if pg:
            with db.engine.begin() as conn:
                conn.execute(sa.text("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH "
                                     "ROW EXECUTE FUNCTION chronology_refuse_change('audit events are never changed')"))
        db.session.remove()
        upgrade()
        events = chain()
        rechained = json.loads(events[-1].detail)
        assert events[-1].action == "audit.rechained"
        assert rechained["old_chain_intact"] is False and rechained["old_first_bad_event"] == broken_id
        assert audit.verify_chain().intact  # the new chain is whole; the event keeps what was found
        db.session.remove()
        db.engine.dispose()
