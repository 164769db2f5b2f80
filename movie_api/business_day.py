"""Local time at a theater and the cinema's business day.

A cinema's programme runs past midnight: the business day starts at
``BUSINESS_DAY_STARTS_AT`` (theater local time, default 06:00), so a show at 00:30
local on Saturday belongs to Friday's programme. Everything here is pure: it takes
an aware instant and an IANA zone name and reads no database.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (ZoneInfo caches them, so this is cheap)."""
    return ZoneInfo(name)


def day_starts_at() -> time:
    return settings.BUSINESS_DAY_STARTS_AT


def local_time(moment: datetime, timezone_name: str) -> datetime:
    """``moment`` on the clocks of ``timezone_name``: aware, with that zone's offset."""
    return moment.astimezone(zone(timezone_name))


def business_date(moment: datetime, timezone_name: str) -> date:
    """The business day ``moment`` belongs to at a theater in ``timezone_name``.

    Compares the local wall-clock time with the start of the day, so the nights the
    clocks change (a 23- or 25-hour day) need no special case.
    """
    local = local_time(moment, timezone_name)
    if local.time() >= day_starts_at() or local.date() == date.min:
        return local.date()
    return local.date() - timedelta(days=1)
