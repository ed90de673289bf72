"""The audit log cannot be re-sealed without the key, each school's chain stands alone, and a
checkpoint kept outside the database proves nothing up to it was removed: on SQLite and PostgreSQL.

The attacks are real: raw SQL with the guards lifted, as someone with write access to the database
(a stolen backup restored and edited, a careless admin) would do it, then the chain "repaired" with
the product's own hash function.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from chronology import create_app
from chronology.extensions import db
from chronology.models import AuditEvent
from chronology.models.audit import GENESIS, SYSTEM_CHAIN, chain_fields, derived_key, event_hash, key_id
from chronology.services import audit
from config import UnsafeConfiguration
from tests.cli.test_audit_commands import tamper
from tests.factories import make_child, make_school, make_user
from tests.web.test_authorization_matrix import sign_in

ANOTHER_INSTALLATION = "an-audit-key-of-some-other-installation-0123456789"


def rows(chain: int | None = None) -> list:
    db.session.commit()
    table = AuditEvent.__table__
    stmt = select(table).order_by(table.c.chain, table.c.seq)
    if chain is not None:
        stmt = stmt.where(table.c.chain == chain)
    return list(db.session.execute(stmt))


def reseal(chain: int, key: bytes, *, renumber: bool, extra: tuple[str, ...] = (), params: dict | None = None) -> None:
    """Do `extra` to the database, then recompute the chain's links and hashes as the product does.

    With `renumber`, also close the gaps that removed events left, as a careful attacker would.
    """
    tamper(*extra, params=params)
    statements, values = [], {}
    prev, seq = GENESIS, 0
    for n, row in enumerate(rows(chain)):
        seq = seq + 1 if renumber else row.seq
        fields = {**chain_fields(row), "seq": seq}
        digest = event_hash(fields, prev, key)
        statements.append(f"UPDATE audit_events SET seq = :s{n}, prev_hash = :p{n}, hash = :h{n} WHERE id = :i{n}")
        values.update({f"s{n}": -seq - 1000, f"p{n}": prev, f"h{n}": digest, f"i{n}": row.id})
        prev = digest
    # Two passes, so a renumbered event never collides with one not yet moved.
    finals = [f"UPDATE audit_events SET seq = -seq - 1000 WHERE id = :i{n}" for n in range(len(statements))]
    tamper(*statements, *finals, params=values)


def verify(runner, *args: str):
    db.session.commit()
    return runner.invoke(args=["audit-verify", *args])


@pytest.fixture
def school_with_history(app, client):
    """A school whose DSL was refused three times at another school's records, then exported a PDF."""
    school, elsewhere = make_school(), make_school("Elm Street Primary")
    dsl = make_user(school, "dsl", email="dsl@oakfield.example.org")
    head = make_user(school, "dsl", email="head@oakfield.example.org")
    foreign = make_child(elsewhere, upn="B123456789012")
    sign_in(client, dsl)
    for _ in range(3):
        assert client.get(f"/children/{foreign.id}/chronology").status_code == 404
    audit.record("export.pdf", user_id=dsl.id, school_id=school.id, detail={"entries": 12})
    db.session.commit()
    return school, dsl, head


def test_the_reviewers_attack_is_caught_without_the_key(runner, school_with_history):
    """Denials deleted, an export moved onto someone else, the chain re-hashed and renumbered with the
    product's own code but another installation's key: audit-verify says it was tampered with."""
    school, dsl, head = school_with_history
    assert verify(runner).exit_code == 0
    export = next(r for r in rows(school.id) if r.action == "export.pdf")
    reseal(school.id, derived_key("chain", ANOTHER_INSTALLATION), renumber=True, extra=(
        "DELETE FROM audit_events WHERE action = 'access-denied'",
        "UPDATE audit_events SET user_id = :head WHERE id = :export",
    ), params={"head": head.id, "export": export.id})
    assert not any(r.action == "access-denied" for r in rows())  # the attack really happened

    result = verify(runner)
    assert result.exit_code == 1
    assert "tampered with" in result.output and "sealed without this installation's audit key" in result.output
    assert "Oakfield" in result.output and "NOT INTACT" in result.output


def test_with_the_key_the_same_repair_passes_so_the_key_is_what_protects(runner, school_with_history):
    school, _dsl, _head = school_with_history
    reseal(school.id, derived_key("chain"), renumber=True)
    assert verify(runner).exit_code == 0


def test_the_old_unkeyed_hash_no_longer_seals_a_chain(runner, school_with_history):
    import hashlib

    school, _dsl, _head = school_with_history
    first = rows(school.id)[0]
    payload = json.dumps({"v": 1, "prev_hash": GENESIS, **chain_fields(first)}, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=True)
    tamper("UPDATE audit_events SET hash = :h WHERE id = :i",
           params={"h": hashlib.sha256(payload.encode()).hexdigest(), "i": first.id})
    result = verify(runner)
    assert result.exit_code == 1 and f"event {first.id} (" in result.output


def test_a_removed_event_is_reported_as_a_gap_even_when_the_links_are_resealed(runner, school_with_history):
    school, _dsl, _head = school_with_history
    chain = rows(school.id)
    removed = chain[2]
    # Even with the key, an insider who does not renumber leaves the gap for all to see.
    reseal(school.id, derived_key("chain"), renumber=False,
           extra=("DELETE FROM audit_events WHERE id = :id",), params={"id": removed.id})
    result = verify(runner)
    assert result.exit_code == 1
    assert f"event {removed.seq} of this chain is missing before it: removed" in result.output
    assert f"event {chain[3].id} (" in result.output


def test_an_event_moved_earlier_than_the_one_before_it_is_out_of_time_order(runner, school_with_history):
    school, _dsl, _head = school_with_history
    chain = rows(school.id)
    target = chain[-1]
    earlier = chain[-2].at - timedelta(hours=2)
    if db.engine.dialect.name == "sqlite":
        earlier = earlier.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    reseal(school.id, derived_key("chain"), renumber=False,
           extra=("UPDATE audit_events SET at = :at WHERE id = :id",), params={"at": earlier, "id": target.id})
    result = verify(runner)
    assert result.exit_code == 1
    assert f"event {target.id} (" in result.output and "out of time order" in result.output


def test_each_school_has_its_own_chain_verified_on_its_own(runner, school_with_history):
    school, _dsl, _head = school_with_history
    other = make_school("Birch Lane Academy")
    make_user(other, "dsl", email="dsl@birch.example.org")
    for chain in {r.chain for r in rows()}:
        members = rows(chain)
        assert members[0].prev_hash == GENESIS and [r.seq for r in members] == list(range(1, len(members) + 1))
        assert {r.school_id or SYSTEM_CHAIN for r in members} == {chain}
    target = rows(other.id)[0]
    tamper("UPDATE audit_events SET detail = 'changed' WHERE id = :id", params={"id": target.id})
    report = audit.verify_chain()
    assert not report.chain(other.id).intact and report.chain(school.id).intact
    result = verify(runner)
    lines = result.output.splitlines()
    assert any(line.startswith("Birch Lane Academy") and "NOT INTACT" in line for line in lines)
    assert any(line.startswith("Oakfield") and ": intact" in line for line in lines)
    # A checkpoint of a broken chain says so, rather than look like proof of a sound one.
    made = runner.invoke(args=["audit-checkpoint"])
    assert made.exit_code == 0
    assert "Warning: Birch Lane Academy" in made.stderr and "Oakfield" not in made.stderr


def test_a_checkpoint_proves_the_newest_events_were_not_removed(runner, school_with_history, tmp_path):
    school, _dsl, _head = school_with_history
    kept = tmp_path / "checkpoint.json"
    made = runner.invoke(args=["audit-checkpoint", "--output", str(kept)])
    assert made.exit_code == 0, made.output
    noted = json.loads(kept.read_text())
    assert noted["key_id"] == key_id() and len(noted["signature"]) == 64
    ours = next(c for c in noted["chains"] if c["chain"] == school.id)
    head = rows(school.id)[-1]
    assert (ours["id"], ours["seq"], ours["hash"]) == (head.id, head.seq, head.hash)
    assert any(r.action == "audit.checkpoint" for r in rows(SYSTEM_CHAIN))  # making one is audited

    audit.record("chronology.view", user_id=None, school_id=school.id)  # life goes on after it
    db.session.commit()
    result = verify(runner, "--checkpoint", str(kept))
    assert result.exit_code == 0, result.output
    assert "Nothing up to the checkpoint" in result.output

    # The school's newest events removed: the shorter chain is still whole, but not the checkpoint's.
    tamper("DELETE FROM audit_events WHERE chain = :chain AND seq >= :seq", params={"chain": school.id, "seq": head.seq})
    assert verify(runner).exit_code == 0
    result = verify(runner, "--checkpoint", str(kept))
    assert result.exit_code == 1
    assert f"event {head.id}, number {head.seq} in its chain" in result.output and "no longer there" in result.output


def test_a_checkpoint_changed_or_made_under_another_key_is_refused(app, runner, school_with_history, tmp_path):
    kept = tmp_path / "checkpoint.json"
    assert runner.invoke(args=["audit-checkpoint", "--output", str(kept)]).exit_code == 0
    noted = json.loads(kept.read_text())
    noted["chains"][0]["seq"] -= 1
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(noted))
    result = verify(runner, "--checkpoint", str(changed))
    assert result.exit_code == 1 and "changed after it was made" in result.output

    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe not a checkpoint")
    result = verify(runner, "--checkpoint", str(garbage))
    assert result.exit_code == 1 and "not a file `audit-checkpoint` wrote" in result.output
    assert "Traceback" not in result.output

    real = app.config["AUDIT_KEY"]
    app.config["AUDIT_KEY"] = ANOTHER_INSTALLATION
    try:
        result = verify(runner, "--checkpoint", str(kept))
        assert result.exit_code == 1 and "signed with another audit key" in result.output
        # And every event fails under the wrong key: the command says what that means.
        result = verify(runner)
        assert result.exit_code == 1 and "is not the one that sealed them" in result.output
    finally:
        app.config["AUDIT_KEY"] = real


def test_one_schools_writer_does_not_wait_for_anothers(app, school_with_history):
    """PostgreSQL: the chain lock is per school. A writer holding Oakfield's lock holds up only Oakfield."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one write lock for the whole file by design")
    school, _dsl, _head = school_with_history
    other = make_school("Birch Lane Academy")
    db.session.commit()
    holder = db.engine.connect()
    holder.begin()
    from chronology.models.audit import lock_chain_on

    lock_chain_on(holder, school.id)
    try:
        db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
        audit.record("test.other-school", user_id=None, school_id=other.id)
        db.session.commit()  # did not wait for Oakfield's writer
        db.session.execute(text("SET LOCAL lock_timeout = '300ms'"))
        audit.record("test.same-school", user_id=None, school_id=school.id)
        with pytest.raises(Exception, match="lock timeout"):
            db.session.commit()
        db.session.rollback()
    finally:
        holder.rollback()
        holder.close()
    audit.record("test.same-school", user_id=None, school_id=school.id)
    db.session.commit()
    assert audit.verify_chain().intact


def test_concurrent_writers_at_two_schools_keep_both_chains_whole(app, school_with_history):
    school, _dsl, _head = school_with_history
    other_id = make_school("Birch Lane Academy").id
    school_id = school.id
    db.session.commit()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def append(target: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                for n in range(10):
                    audit.record("test.concurrent", user_id=None, school_id=target, detail={"n": n})
                    if n % 3 == 0:
                        audit.record("test.system", user_id=None, school_id=None, detail={"n": n})
                    db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    workers = [threading.Thread(target=append, args=(t,)) for t in (school_id, other_id, school_id, other_id)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors, errors
    report = audit.verify_chain()
    assert report.intact, [b.describe() for c in report.chains for b in c.problems]
    assert report.chain(other_id).count >= 20


def test_production_refuses_a_weak_audit_key(monkeypatch, tmp_path):
    monkeypatch.setenv("CHRONOLOGY_INSTANCE", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "s3cr3t-" + "0123456789abcdef" * 3)
    monkeypatch.setenv("AUDIT_KEY", "short")
    with pytest.raises(UnsafeConfiguration, match="AUDIT_KEY"):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}"})


def test_the_audit_key_is_kept_in_the_instance_folder_not_the_database(monkeypatch, tmp_path):
    monkeypatch.setenv("CHRONOLOGY_INSTANCE", str(tmp_path))
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite'}",
                      "SECRET_KEY": "x"})
    stored = (tmp_path / "audit_key").read_text().strip()
    assert app.config["AUDIT_KEY"] == stored and len(stored) == 64
    assert (tmp_path / "audit_key").stat().st_mode & 0o077 == 0  # readable by the app's user alone
    again = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite'}",
                        "SECRET_KEY": "x"})
    assert again.config["AUDIT_KEY"] == stored  # the same key next time, not a new one
