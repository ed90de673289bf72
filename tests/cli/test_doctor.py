"""`flask --app chronology doctor` and the admin's health page, on SQLite and PostgreSQL, against a
real SMTP server."""

from __future__ import annotations

from chronology.extensions import db
from chronology.services import audit
from tests.cli.test_audit_commands import tamper
from tests.factories import login, make_school, make_user


def test_doctor_reports_each_part_in_one_screen_and_passes_when_all_is_well(app, runner, mailbox, tmp_path):
    assert runner.invoke(args=["backup", "--out", str(tmp_path / "nightly.backup")]).exit_code == 0
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[1] for line in lines] == ["Database", "Disk", "Mail", "Audit", "Backup"]
    assert all(line.startswith("ok ") for line in lines), result.output
    assert "MB free" in result.output and "answers" in result.output and "Intact" in result.output


def test_doctor_fails_when_the_mail_server_is_down_and_warns_with_no_backup(app, runner):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "FAILED   Mail" in result.output and "urgent alerts to the DSL will not be sent" in result.output
    assert "WARNING  Backup" in result.output and "No backup has been taken" in result.output
    assert "1 check(s) failed: Mail." in result.output


def test_doctor_names_a_tampered_audit_chain(app, runner, mailbox):
    audit.record("test.event", user_id=None, school_id=None, detail={"n": 1})
    db.session.commit()
    tamper("UPDATE audit_events SET detail = 'changed' WHERE action = 'test.event'")
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1 and "FAILED   Audit chain" in result.output, result.output
    assert "Tampered with" in result.output


def test_the_admin_health_page_shows_the_same_checks_and_only_to_an_admin(client, mailbox):
    school = make_school()
    admin = make_user(school, "admin")
    staff = make_user(school, "staff")
    login(client, admin.email)
    html = client.get("/admin/health").get_data(as_text=True)
    for name in ("Database", "Disk", "Mail", "Audit chain", "Backup"):
        assert f"<dt>{name}</dt>" in html
    assert "flask --app chronology doctor" in html
    login(client, staff.email)
    assert client.get("/admin/health").status_code == 403


def test_the_app_writes_a_warning_to_its_log_at_start_up_when_the_disk_is_low(database_url, monkeypatch, caplog):
    from chronology import create_app
    from chronology.domain import health

    monkeypatch.setattr(health, "MIN_FREE_BYTES", 2**62)  # more than any disk here has free
    with caplog.at_level("WARNING"):
        create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test"})
    assert any("Disk space: Only" in r.getMessage() for r in caplog.records), caplog.text
