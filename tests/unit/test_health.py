"""The doctor's judgements: free space and the last backup's age."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chronology.domain.health import MB, MIN_FREE_BYTES, backup_age, disk

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def test_free_space_below_what_sqlite_needs_to_keep_saving_fails():
    assert disk(MIN_FREE_BYTES - 1, 10 * MB, "/srv").status == "failed"
    assert disk(MIN_FREE_BYTES, 10 * MB, "/srv").status == "ok"
    assert "4 MB" in disk(3 * MB, 10 * MB, "/srv").detail


def test_less_free_space_than_the_database_itself_warns_that_no_backup_fits():
    check = disk(500 * MB, 800 * MB, "/srv/chronology")
    assert check.status == "warning" and "no room for a backup" in check.detail
    assert disk(900 * MB, 800 * MB, "/srv/chronology").status == "ok"
    assert disk(900 * MB, None, "/srv/chronology").status == "ok"  # PostgreSQL: its server's disk


def test_no_backup_or_one_older_than_a_night_and_a_bit_warns():
    assert backup_age(None, NOW).status == "warning"
    assert backup_age(NOW - timedelta(hours=25), NOW).status == "ok"
    old = backup_age(NOW - timedelta(days=3), NOW)
    assert old.status == "warning" and "3 days ago" in old.detail
