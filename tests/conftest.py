"""Fixtures: an app on SQLite and on a real PostgreSQL, a client, a runner, a real SMTP server."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import create_engine, text

from chronology import create_app
from chronology.extensions import db
from tests.pg_server import PostgresUnavailable, TemporaryPostgres

BACKENDS = ["sqlite", "postgresql"]


def _upgrade(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("instance")
    os.environ["CHRONOLOGY_INSTANCE"] = str(path)
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, instance_dir) -> Path:
    """One migrated SQLite file; each test gets a copy, which is far quicker than migrating."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite"
    _upgrade(f"sqlite:///{path}", instance_dir)
    return path


@pytest.fixture(scope="session")
def postgres(instance_dir):
    try:
        server = TemporaryPostgres().start()
    except PostgresUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and could not start: {error}")
        pytest.skip(f"PostgreSQL tests skipped: {error}")
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE DATABASE chronology_test"))
    engine.dispose()
    url = server.url("chronology_test")
    _upgrade(url, instance_dir)
    yield url
    server.stop()


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in db.metadata.sorted_tables]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        copy = tmp_path / "test.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), copy)
        return f"sqlite:///{copy}"
    url = request.getfixturevalue("postgres")
    _truncate_all(url)
    return url


@pytest.fixture
def app(database_url, mailbox):
    app = create_app({
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        "SERVER_NAME": "chronology.test",
    })
    @app.before_request
    def _fresh_request_globals():
        # The test holds one app context open so it can read the database between requests;
        # in production every request has its own, so per-request caches in `g` (flask-login's
        # user, the current school) must be cleared here to behave the same.
        g.__dict__.clear()

    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- a real SMTP server -------------------------------------------------------------------------


@dataclass
class Mailbox:
    port: int
    messages: list = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait(self, count: int = 1, timeout: float = 5.0) -> list:
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes
        from email.policy import default

        message = message_from_bytes(envelope.content, policy=default)
        self.box.messages.append({"to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted"


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox(port=port)
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    smtp_server.messages.clear()
    return smtp_server
