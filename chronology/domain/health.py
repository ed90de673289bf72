"""What the doctor says about each part of a running installation: pure judgements on facts the
health service gathers (free space, the last backup's age), with no Flask or database here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MB = 1024 * 1024
# SQLite's write-ahead log needs about 4 MB free before it can checkpoint, and every save needs
# room in it: below this a full disk starts refusing saves. A backup needs as much room again as
# the database itself, so the warning also comes when there is less free than the database's size.
MIN_FREE_BYTES = 100 * MB
BACKUP_TOO_OLD = timedelta(hours=26)  # a nightly backup, with two hours' grace


@dataclass(frozen=True)
class Check:
    name: str  # "Database", "Disk", "Mail", "Audit chain", "Backup"
    status: str  # "ok", "warning" or "failed"
    detail: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def disk(free_bytes: int, database_bytes: int | None, where: str) -> Check:
    free = f"{free_bytes / MB:,.0f} MB free on the disk holding {where}"
    if free_bytes < MIN_FREE_BYTES:
        return Check("Disk", "failed", f"Only {free}: saves will start to fail below about 4 MB. "
                                       f"Free at least {MIN_FREE_BYTES // MB} MB now.")
    if database_bytes is not None and free_bytes < database_bytes:
        return Check("Disk", "warning", f"{free}, less than the database's own {database_bytes / MB:,.0f} MB: "
                                        "there is no room for a backup beside it.")
    return Check("Disk", "ok", free + ".")


def backup_age(last: datetime | None, now: datetime) -> Check:
    if last is None:
        return Check("Backup", "warning", "No backup has been taken with `flask --app chronology backup`.")
    age = now - last
    hours = age.total_seconds() / 3600
    said = f"{hours:.0f} hours ago" if hours < 48 else f"{age.days} days ago"
    if age > BACKUP_TOO_OLD:
        return Check("Backup", "warning", f"The last backup was taken {said}: take one now and every night.")
    return Check("Backup", "ok", f"The last backup was taken {said}.")
