"""The migrations build the whole schema from nothing, match the models, and have one head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from chronology import PROJECT_ROOT, create_app
from chronology.extensions import db


def test_there_is_exactly_one_head():
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    assert len(script.get_heads()) == 1


def test_models_and_migrations_agree(app):
    # `app` stands on a database built by `flask db upgrade` from empty, on SQLite and PostgreSQL.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_upgrade_from_an_empty_sqlite_file(tmp_path):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.sqlite'}",
                      "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        assert "observation_versions" in db.inspect(db.engine).get_table_names()
        db.engine.dispose()
