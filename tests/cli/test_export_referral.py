"""export-pdf --kind referral, and the same PDF from the command line as from the web."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from chronology.extensions import db
from chronology.models import AuditEvent, Referral
from chronology.services import exports as export_service
from chronology.services import referral_form as marf
from tests.factories import login, make_child, make_school, make_user, post_form
from tests.referral_records import REASON, days_ago, observe, pdf_text, referral, referral_ready_child

pytestmark = pytest.mark.filterwarnings("ignore:.*PluginImportFixer.*:ImportWarning")


def run(runner, school, child, email, out, *extra, kind="referral"):
    return runner.invoke(args=["export-pdf", "--school", school.urn, "--upn", child.upn, "--kind", kind,
                               "--as", email, "--out", str(out), *extra])


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_dsl_exports_a_referral_and_it_confirms_the_phone_referral(runner, tmp_path):
    s = referral_ready_child()
    out = tmp_path / "referral.pdf"

    result = run(runner, s.school, s.child, s.dsl.email, out, "--reason", REASON)

    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    for n, title in enumerate(marf.SECTION_TITLES, start=1):
        assert f"{n}. {title}" in text
    assert "Name Henrietta Marlow" in text and "Phone 0113 496 0000" in text and REASON in text
    assert "This document is the written confirmation of the referral made by phone" in text
    [event] = events("export.pdf")
    assert event.ip_address == "cli" and json.loads(event.detail)["kind"] == "referral"
    db.session.expire_all()
    assert db.session.get(Referral, s.phone_referral.id).confirmed_in_writing_at == event.at


def test_a_referral_needs_the_reason_for_referral(runner, tmp_path):
    s = referral_ready_child()
    out = tmp_path / "referral.pdf"
    result = run(runner, s.school, s.child, s.dsl.email, out)
    assert result.exit_code != 0 and "reason for referral" in result.output and not out.exists()
    assert events("export.pdf") == []


def test_a_referral_to_social_care_without_consent_answers_is_refused_and_audited(runner, tmp_path):
    school = make_school()
    dsl = make_user(school, "dsl")
    child = make_child(school)
    phoned = referral(child, dsl, "social-care", 1, by_phone=True, parents_told="yes")
    out = tmp_path / "referral.pdf"

    result = run(runner, school, child, dsl.email, out, "--reason", REASON)

    assert result.exit_code == 1
    assert "record on the referral of" in result.output
    assert "whether consent to share was given, refused or not needed" in result.output
    assert "whether the parents or carers were told" not in result.output  # that one was answered
    assert "audit log" in result.output and not out.exists()
    assert events("export.pdf") == []
    [refusal] = events("export.refused")
    assert refusal.user_id == dsl.id and json.loads(refusal.detail)["why"] == "consent answers missing"
    db.session.expire_all()
    assert db.session.get(Referral, phoned.id).confirmed_in_writing_at is None


@pytest.mark.parametrize("who", ["staff", "other-school-dsl"])
def test_staff_and_other_schools_dsls_cannot_export_a_referral(runner, tmp_path, who):
    s = referral_ready_child()
    person = s.teacher if who == "staff" else make_user(make_school("Elm Street Academy"), "dsl")
    out = tmp_path / "referral.pdf"

    result = run(runner, s.school, s.child, person.email, out, "--reason", REASON)

    assert result.exit_code != 0 and "is not a designated safeguarding lead" in result.output
    assert not out.exists() and events("export.pdf") == []
    [refusal] = events("export.refused")
    assert refusal.user_id == person.id and refusal.school_id == s.school.id
    db.session.expire_all()
    assert db.session.get(Referral, s.phone_referral.id).confirmed_in_writing_at is None


def _both_ways(client, runner, tmp_path, s, kind: str, *extra: str) -> tuple[bytes, bytes]:
    out = tmp_path / f"{kind}.pdf"
    result = run(runner, s.school, s.child, s.dsl.email, out, "--reason", REASON, *extra, kind=kind)
    assert result.exit_code == 0, result.output
    form = {"kind": kind, "reason": REASON, "withheld_names": "Thi Pham"}
    if "--hide-staff-names" in extra:
        form["hide_staff_names"] = "1"
    web = post_form(client, f"/children/{s.child.id}/export", form)
    assert web.status_code == 200
    return out.read_bytes(), web.data


@pytest.mark.parametrize("kind", ["full", "referral"])
def test_the_command_line_and_the_web_give_the_same_bytes_for_the_same_id_and_time(
        client, runner, tmp_path, monkeypatch, kind):
    s = referral_ready_child()
    # The phone referral is confirmed by the first referral export; confirm it first so that the two
    # exports compared here read the same records.
    export_service.export_pdf(s.child, s.dsl, export_service.ExportOptions("referral", reason=REASON))
    login(client, s.dsl.email)
    monkeypatch.setattr(export_service, "new_export_id", lambda: "0123456789abcdef0123456789abcdef")
    monkeypatch.setattr(export_service, "utcnow", lambda: datetime(2026, 11, 27, 14, 5, 9, tzinfo=timezone.utc))

    cli, web = _both_ways(client, runner, tmp_path, s, kind, "--withhold", "Thi Pham", "--hide-staff-names")

    assert cli == web
    reader = PdfReader(io.BytesIO(cli))
    # The document's own dates are the export's time, not the moment WeasyPrint ran.
    assert reader.metadata["/CreationDate"].startswith("D:20261127140509")
    assert "0123456789abcdef0123456789abcdef" in pdf_text(cli) and "[name withheld]" in pdf_text(cli)


def test_without_fixing_them_only_the_export_id_and_time_differ(client, runner, tmp_path):
    s = referral_ready_child()
    observe(s.school, s.child, s.teacher, "Said the CAMHS nurse had not called back.", n=3, significant=True)
    login(client, s.dsl.email)

    cli, web = _both_ways(client, runner, tmp_path, s, "multi-agency", "--withhold", "Thi Pham")

    assert cli != web
    texts = []
    for pdf in (cli, web):
        text = re.sub(r"[0-9a-f]{32}", "EXPORT-ID", pdf_text(pdf))
        texts.append(re.sub(r"on \d\d/\d\d/\d{4} \d\d:\d\d \(UK time\)", "on TIME (UK time)", text))
    assert texts[0] == texts[1]
    assert texts[0].count("EXPORT-ID") >= 3 and "CAMHS" in texts[0][texts[0].rindex("Glossary"):]
    ids = [json.loads(e.detail)["export_id"] for e in events("export.pdf")]
    assert len(set(ids)) == 2


def test_an_early_referral_date_is_named_in_the_consent_error():
    referrals = [Referral(id=1, agency="social-care", referred_on=days_ago(3), parents_told="", consent="")]
    message = export_service.consent_refusal(None, referrals)["consent"]  # type: ignore[arg-type]
    assert f"{days_ago(3):%d/%m/%Y}" in message and "Not needed: risk of significant harm" in message
