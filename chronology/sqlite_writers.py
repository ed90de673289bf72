"""Writers to the embedded SQLite database queue for its one write lock instead of polling for it.

SQLite lets one connection write at a time. A second writer that finds the lock taken gets
SQLITE_BUSY, and the busy timeout makes it sleep and try again, for 1, 2, 5, 10, 15, 20 ms and
longer. When two teachers press Send together, the second can sleep well after the first has
finished, and with two server processes busy the database sits idle between writes.

Here each connection takes an exclusive `flock` on a file beside the database before its first
write in a transaction, and lets it go when the transaction ends. A waiting writer asks again
every fraction of a millisecond, so writes follow one another without gaps. SQLite's own
locking still decides what is safe: this only orders the writers, and a writer it does not see
(the sqlite3 shell, a backup) is handled by the busy timeout as before. The operating system
drops the lock of a process that dies, so a crash cannot leave it held.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import time
from pathlib import Path

# As long as SQLite's busy timeout (set in chronology/__init__.py), after which SQLite decides.
WAIT_AT_MOST = 10.0

# Statements that only read, or only mark a place in a transaction, need no write lock.
# Anything else (INSERT, UPDATE, DELETE, BEGIN IMMEDIATE, DDL, WITH ... INSERT) queues first:
# queueing a statement that turns out to read only costs a little order, never safety.
_READS = ("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "END", "EXPLAIN")


def lock_path(database: str) -> Path | None:
    """The queue's file for a database file; None for an in-memory or URI database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database + "-writers")


class QueuedWriterConnection(sqlite3.Connection):
    """A sqlite3 connection that waits its turn to write (pass as `factory` to sqlite3.connect)."""

    def __init__(self, database, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(database, *args, **kwargs)
        self._queue_fd: int | None = None
        self._queued = False
        path = lock_path(os.fspath(database))
        if path is not None:
            try:
                # Group-writable like a database a CLI job and the web server may share.
                self._queue_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o660)
            except OSError as error:
                # SQLite's busy timeout still applies; writers only lose their place in the queue.
                logging.getLogger(__name__).warning("Writers cannot queue on %s: %s", path, error.strerror)
                self._queue_fd = None

    def cursor(self, factory=None):  # noqa: ANN001, ANN201
        return super().cursor(factory or QueuedWriterCursor)

    # The connection's own shortcuts run the C cursor directly, past the override below.
    def execute(self, sql, parameters=(), /):  # noqa: ANN001, ANN201
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):  # noqa: ANN001, ANN201
        return self.cursor().executemany(sql, seq_of_parameters)

    def wait_to_write(self) -> None:
        if self._queue_fd is None or self._queued:
            return
        # Not a blocking flock: a writer must never wait for ever (a long import, a stuck
        # transaction, a second connection of the same thread). The first free moment is caught
        # within a fraction of a millisecond; after the busy timeout the writer goes on without
        # its turn and SQLite's own locking decides, exactly as without the queue.
        deadline = time.monotonic() + WAIT_AT_MOST
        pause = 0.00005
        while True:
            try:
                fcntl.flock(self._queue_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(pause)
                pause = min(pause * 2, 0.0005)
                continue
            self._queued = True
            return

    def _leave_queue(self) -> None:
        if self._queued and not self.in_transaction:
            self._queued = False
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_queue()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_queue()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._queue_fd is not None:
                os.close(self._queue_fd)  # closing the file also drops a lock still held
                self._queue_fd, self._queued = None, False


class QueuedWriterCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):  # noqa: ANN001, ANN201
        self._before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection._leave_queue()  # a statement that ended its transaction (COMMIT, autocommit)

    def executemany(self, sql, seq_of_parameters, /):  # noqa: ANN001, ANN201
        self._before(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection._leave_queue()

    def executescript(self, sql_script, /):  # noqa: ANN001, ANN201
        self.connection.wait_to_write()
        try:
            return super().executescript(sql_script)
        finally:
            self.connection._leave_queue()

    def _before(self, sql: str) -> None:
        if writes(sql):
            self.connection.wait_to_write()


def writes(sql: str) -> bool:
    """Whether a statement may take the write lock (a plain BEGIN waits until it writes)."""
    head = sql.lstrip()[:16].upper()
    if head.startswith("BEGIN"):
        return "IMMEDIATE" in head or "EXCLUSIVE" in head
    return not head.startswith(_READS)
