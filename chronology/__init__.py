"""Chronology: concerns about children, recorded and seen side by side."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, Config, check_production

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error pages, commands."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("CHRONOLOGY_INSTANCE") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    env_name = (test_config or {}).get("ENV_NAME") or os.environ.get("CHRONOLOGY_ENV", "development")
    app.config.from_object(CONFIGS.get(env_name, Config))
    environment = Config.from_environment(app.instance_path)
    if env_name == "production" and not os.environ.get("SECRET_KEY"):
        # The instance-folder key is a convenience for a laptop, not for a school's server.
        environment["SECRET_KEY"] = ""
    app.config.update(environment)
    if test_config:
        app.config.update(test_config)
    if env_name == "production":
        check_production(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        # Behind a proxy every request would seem to come from it: rate limits and the audit log
        # need the real address, taken only from the proxies the school says it runs.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    from .services.health import warn_if_disk_low

    warn_if_disk_low(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (so every table is known before the first query)
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .security import load_user

    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        from .sqlite_writers import QueuedWriterConnection

        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {**options.get("connect_args", {}), "factory": QueuedWriterConnection}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # "basic", not "strong": a teacher on a phone moves between Wi-Fi and mobile data, and a
    # changed address must not throw away the concern they are halfway through writing.
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _tune_sqlite)


def _tune_sqlite(dbapi_connection, _record) -> None:  # noqa: ANN001
    """The embedded database, set up as a small school's server needs it.

    Write-ahead logging lets pages be read while a concern is being saved (without it every
    reader waits for every writer), and a commit waits for one write to disk, not several.
    `synchronous=FULL` stays: a concern the teacher was told is saved must survive a power cut.
    The busy timeout lets two people saving at once queue rather than fail.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")  # first: switching to WAL may itself wait for a lock
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    from .views import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from .views import errors, headers, input_guard

    errors.register(app)
    headers.register(app)
    input_guard.register(app)


def register_template_helpers(app: Flask) -> None:
    from .views.helpers import register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)
