"""The state of this installation in one place, for `flask --app chronology doctor` and the admin's
health page: the database, free disk space, the mail server, the audit chain and the last backup."""

from __future__ import annotations

import shutil
import smtplib
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..domain import health
from ..domain.health import Check
from ..extensions import db
from ..models import AuditEvent
from ..models.types import utcnow
from .audit import verify_chain


def _files() -> tuple[Path, int | None]:
    """The folder the database's files are in (the instance folder for PostgreSQL, whose own disk is
    the database server's to watch), and the SQLite file's size."""
    url = make_url(str(db.engine.url))
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        return path.parent, (path.stat().st_size if path.exists() else None)
    return Path(current_app.instance_path), None


def database() -> tuple[Check, Path, int | None]:
    """Whether the database answers, and where its files live (for the disk check)."""
    url = make_url(str(db.engine.url))
    where, size = _files()
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return Check("Database", "failed", f"The {url.get_backend_name()} database does not answer: "
                                           f"{type(error.orig or error).__name__}."), where, size
    kind = "SQLite file " + str(url.database) if url.get_backend_name() == "sqlite" else \
        f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}, database {url.database}"
    return Check("Database", "ok", f"{kind} answers."), where, size


def disk(where: Path, database_bytes: int | None) -> Check:
    where.mkdir(parents=True, exist_ok=True)
    return health.disk(shutil.disk_usage(where).free, database_bytes, str(where))


def mail() -> Check:
    server, port = current_app.config["MAIL_SERVER"], current_app.config["MAIL_PORT"]
    try:
        with smtplib.SMTP(server, port, timeout=min(5, current_app.config["MAIL_TIMEOUT"])) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as error:
        return Check("Mail", "failed", f"The mail server {server}:{port} cannot be reached ({error}): "
                                       "urgent alerts to the DSL will not be sent.")
    return Check("Mail", "ok", f"The mail server {server}:{port} answers.")


def audit_chain() -> Check:
    report = verify_chain()
    if not report.intact:
        assert report.first_bad is not None
        return Check("Audit chain", "failed", f"Tampered with: first bad {report.first_bad.describe()}.")
    chains = sum(1 for chain in report.chains if chain.count)
    return Check("Audit chain", "ok", f"Intact: {report.count} events in {chains} chain(s), "
                                      f"sealed under audit key {report.key_id}.")


def last_backup() -> Check:
    last = db.session.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.action == "backup"))
    return health.backup_age(last, utcnow())


def checks() -> list[Check]:
    """Every check, in the order the doctor prints them; a failing one never stops the others."""
    found, where, size = database()
    if not found.ok:
        return [found, disk(where, size), mail()]
    return [found, disk(where, size), mail(), audit_chain(), last_backup()]


def warn_if_disk_low(app) -> None:  # noqa: ANN001
    """A log line at start-up when the disk is low, for whoever reads the server's log."""
    with app.app_context():
        try:
            check = disk(*_files())
        except OSError:
            return
        if not check.ok:
            app.logger.warning("Disk space: %s", check.detail)
