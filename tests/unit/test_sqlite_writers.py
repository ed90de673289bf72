"""Writers to the SQLite database queue on a lock file beside it; readers never touch it."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

import pytest

from chronology.sqlite_writers import QueuedWriterConnection, lock_path


def held_by_someone(path) -> bool:  # noqa: ANN001
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "school.sqlite"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    setup.commit()
    setup.close()
    return path


def connect(path):  # noqa: ANN001, ANN201
    connection = sqlite3.connect(path, factory=QueuedWriterConnection, timeout=10, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def test_a_write_holds_the_queue_until_its_transaction_ends(database):
    connection = connect(database)
    queue = lock_path(str(database))
    connection.execute("SELECT * FROM notes").fetchall()
    assert not held_by_someone(queue), "a read must not queue"
    connection.execute("INSERT INTO notes (body) VALUES ('x')")
    assert held_by_someone(queue)
    connection.commit()
    assert not held_by_someone(queue)
    connection.execute("UPDATE notes SET body = 'y'")
    assert held_by_someone(queue)
    connection.rollback()
    assert not held_by_someone(queue)
    connection.cursor().execute("BEGIN IMMEDIATE")
    assert held_by_someone(queue)
    connection.close()  # closing with a transaction open lets the queue go too
    assert not held_by_someone(queue)


def test_a_savepoint_alone_does_not_queue_but_a_write_inside_it_does(database):
    connection = connect(database)
    connection.isolation_level = None  # explicit transactions, as SQLAlchemy's savepoints use
    queue = lock_path(str(database))
    connection.execute("BEGIN")
    connection.execute("SAVEPOINT s1")
    assert not held_by_someone(queue)
    connection.execute("INSERT INTO notes (body) VALUES ('x')")
    assert held_by_someone(queue)
    connection.execute("RELEASE SAVEPOINT s1")
    connection.commit()
    assert not held_by_someone(queue)
    connection.close()


def test_writers_in_many_threads_all_land(database):
    errors: list[BaseException] = []

    def write(n: int) -> None:
        connection = connect(database)
        try:
            for i in range(25):
                connection.execute("INSERT INTO notes (body) VALUES (?)", (f"{n}-{i}",))
                connection.execute("SELECT COUNT(*) FROM notes").fetchone()
                connection.commit()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check = sqlite3.connect(database)
    assert check.execute("SELECT COUNT(*), COUNT(DISTINCT body) FROM notes").fetchone() == (150, 150)
    check.close()


def test_an_in_memory_database_needs_no_queue():
    connection = sqlite3.connect(":memory:", factory=QueuedWriterConnection)
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    assert connection.execute("SELECT x FROM t").fetchall() == [(1,)]
    connection.close()
    assert lock_path(":memory:") is None


def test_the_app_connects_to_sqlite_through_the_queue(tmp_path):
    from chronology import create_app
    from chronology.extensions import db

    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "test-secret-key",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    with app.app_context():
        with db.engine.connect() as connection:
            assert isinstance(connection.connection.dbapi_connection, QueuedWriterConnection)
        db.engine.dispose()


def test_an_autocommitted_write_leaves_the_queue_at_once(database):
    connection = connect(database)
    connection.isolation_level = None
    connection.execute("INSERT INTO notes (body) VALUES ('x')")
    assert not held_by_someone(lock_path(str(database)))
    connection.execute("BEGIN IMMEDIATE")
    assert held_by_someone(lock_path(str(database)))
    connection.execute("COMMIT")
    assert not held_by_someone(lock_path(str(database)))
    connection.close()


@pytest.mark.parametrize("sql, queues", [
    ("SELECT 1", False), ("  select * from notes", False), ("PRAGMA journal_mode", False),
    ("SAVEPOINT sa_savepoint_1", False), ("RELEASE SAVEPOINT sa_savepoint_1", False), ("BEGIN", False),
    ("BEGIN IMMEDIATE", True), ("begin exclusive", True), ("INSERT INTO notes VALUES (1, 'x')", True),
    ("UPDATE notes SET body = ''", True), ("DELETE FROM notes", True), ("CREATE TABLE t (x)", True),
    ("WITH x AS (SELECT 1) INSERT INTO notes (body) SELECT * FROM x", True), ("REPLACE INTO notes VALUES (1, 'y')", True),
])
def test_which_statements_queue(sql, queues):
    from chronology.sqlite_writers import writes

    assert writes(sql) is queues


def test_a_writer_never_waits_for_ever_for_its_turn(database, monkeypatch):
    """Someone holding the queue for longer than the busy timeout (a long import, a stuck job) does
    not stop a write: after the timeout it goes ahead and SQLite's own locking decides."""
    import chronology.sqlite_writers as writers

    monkeypatch.setattr(writers, "WAIT_AT_MOST", 0.2)
    holder = os.open(lock_path(str(database)), os.O_RDWR | os.O_CREAT, 0o660)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        connection = connect(database)
        connection.execute("INSERT INTO notes (body) VALUES ('still written')")
        connection.commit()
        connection.close()
    finally:
        os.close(holder)
    check = sqlite3.connect(database)
    assert check.execute("SELECT body FROM notes").fetchall() == [("still written",)]
    check.close()


def test_a_writer_waiting_its_turn_goes_as_soon_as_the_holder_commits(database):
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO notes (body) VALUES ('first')")
    done = threading.Event()

    def write_second() -> None:
        second.execute("INSERT INTO notes (body) VALUES ('second')")
        second.commit()
        done.set()

    waiting = threading.Thread(target=write_second)
    waiting.start()
    assert not done.wait(0.3), "the second writer must wait while the first holds its turn"
    first.commit()
    waiting.join(timeout=10)
    assert done.is_set()
    assert [r[0] for r in first.execute("SELECT body FROM notes ORDER BY id")] == ["first", "second"]
    first.close()
    second.close()
