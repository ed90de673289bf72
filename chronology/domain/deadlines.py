"""When a referral made by phone must be confirmed in writing (within 24 hours of the call)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo


def confirm_in_writing_by(referred_on: date, recorded_at: datetime, zone: tzinfo) -> datetime:
    """24 hours from when the referral was recorded, and never later than the end of the day after the call.

    The time of the call is not recorded. Recorded on the day of the call, the record's own time
    stands in for it; recorded days later, the deadline is the end of the day after the call, which
    is then already past: the written referral is late and the page says so.
    """
    from_recording = recorded_at.astimezone(zone) + timedelta(hours=24)
    day_after_call = datetime.combine(referred_on + timedelta(days=1), time(23, 59), tzinfo=zone)
    return min(from_recording, day_after_call)


def is_overdue(deadline: datetime, now: datetime) -> bool:
    return now > deadline
