"""Settings for each environment, read from the environment by the app factory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class Config:
    """Settings shared by every environment."""

    # hide_parameters keeps children's names and concern text out of error messages and logs.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    WTF_CSRF_TIME_LIMIT = None  # a slow writer on a phone must not lose a form to an expired token
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_SENDER = "chronology@localhost"
    MAIL_TIMEOUT = 10
    # How many reverse proxies stand in front of the app; their X-Forwarded-For is trusted, no one else's.
    TRUSTED_PROXIES = 0
    SESSION_IDLE_MINUTES = 20
    SESSION_ABSOLUTE_HOURS = 10  # a school day, so a session never outlives the person at the desk
    LOGIN_LOCK_AFTER = 5
    STEP_UP_MINUTES = 10
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "20 per minute;200 per hour"
    PUPIL_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    @classmethod
    def from_environment(cls, instance_path: str) -> dict[str, object]:
        """Values that come from the environment, with safe defaults where one exists."""
        env = os.environ
        values: dict[str, object] = {}
        default_db = "sqlite:///" + str(Path(instance_path) / "chronology.sqlite")
        values["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(env.get("DATABASE_URL", default_db))
        values["SECRET_KEY"] = env.get("SECRET_KEY") or _instance_secret(instance_path)
        # The key that seals the audit log. Never in the database, so a copy of the database
        # cannot be edited and re-sealed; back it up apart from the database's backups.
        values["AUDIT_KEY"] = env.get("AUDIT_KEY") or _instance_secret(instance_path, "audit_key")
        for key in ("MAIL_SERVER", "MAIL_SENDER", "SERVER_NAME", "PREFERRED_URL_SCHEME"):
            if env.get(key):
                values[key] = env[key]
        if env.get("MAIL_PORT"):
            values["MAIL_PORT"] = int(env["MAIL_PORT"])
        if env.get("TRUSTED_PROXIES"):
            values["TRUSTED_PROXIES"] = int(env["TRUSTED_PROXIES"])
        if env.get("RATELIMIT_STORAGE_URI"):
            values["RATELIMIT_STORAGE_URI"] = env["RATELIMIT_STORAGE_URI"]
        return values


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True


class ProductionConfig(Config):
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _normalise_db_url(url: str) -> str:
    # psycopg 3 is the driver we ship; a plain postgres:// URL would ask for psycopg2.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class UnsafeConfiguration(RuntimeError):
    """The app refuses to start in production with a setting that would put children's data at risk."""


def check_production(values: dict[str, object]) -> None:
    key = str(values.get("SECRET_KEY") or "")
    if len(key) < 32 or len(set(key)) < 10:
        raise UnsafeConfiguration(
            "SECRET_KEY must be set in the environment to a random value of at least 32 characters "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    audit_key = str(values.get("AUDIT_KEY") or "")
    if len(audit_key) < 32 or len(set(audit_key)) < 10:
        raise UnsafeConfiguration(
            "AUDIT_KEY must be a random value of at least 32 characters, in the environment or in the file "
            "instance/audit_key (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if values.get("DEBUG"):
        raise UnsafeConfiguration("DEBUG must be off in production.")


def _instance_secret(instance_path: str, name: str = "secret_key") -> str:
    """A random key kept in the instance folder: never a guessable fallback."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
