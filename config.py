"""Settings for each environment, read from the environment by the app factory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class Config:
    """Settings shared by every environment."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # a slow writer on a phone must not lose a form to an expired token
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_SENDER = "chronology@localhost"
    MAIL_TIMEOUT = 10
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
        for key in ("MAIL_SERVER", "MAIL_SENDER", "SERVER_NAME", "PREFERRED_URL_SCHEME"):
            if env.get(key):
                values[key] = env[key]
        if env.get("MAIL_PORT"):
            values["MAIL_PORT"] = int(env["MAIL_PORT"])
        return values


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True


class ProductionConfig(Config):
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


def _instance_secret(instance_path: str) -> str:
    """A random key kept in the instance folder: never a guessable fallback."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
