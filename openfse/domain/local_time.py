"""Instants as the cabinet reads them, on its wall clock (issue 8, journal screen).

The cabinet's zone is a setting (``domain.clock``); ``zone`` defaults to metropolitan France for
callers that have no cabinet at hand (documents printed without a request).

The database keeps every instant in UTC (``UtcDateTime``); only what people read converts:
the screens through the one Jinja filter ``local_time`` (registered in
:mod:`openfse.web.ui.rendering`), so that a journal line written at 23:30 UTC on 31 March reads
« 01/04/… 01:30 », the hour on the cabinet's wall clock, summer time included; and a day asked
for on a screen (the journal's « Jour » filter) is a day of that clock (:func:`day_bounds`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["CABINET_ZONE", "DEFAULT_FORMAT", "day_bounds", "local_date", "local_time"]

CABINET_ZONE = ZoneInfo("Europe/Paris")  # metropolitan France; DOM cabinets: see the report
DEFAULT_FORMAT = "%d/%m/%Y %H:%M"


def local_time(moment: datetime | None, fmt: str = DEFAULT_FORMAT, *,
               zone: ZoneInfo = CABINET_ZONE) -> str:
    """``moment`` on the cabinet's clock, formatted (``""`` for no moment).

    A naive value is taken as UTC: that is how every stored instant is kept (SQLite returns
    them naive before ``UtcDateTime`` restores the zone).
    """
    if moment is None:
        return ""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime(fmt)


def local_date(moment: datetime | None, *, zone: ZoneInfo = CABINET_ZONE) -> date | None:
    """The cabinet's calendar day of ``moment`` (a lot sent at 23:30 UTC in winter was sent the
    next day in Paris: the delays that count days from it count from that day)."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def day_bounds(day: date, *, zone: ZoneInfo = CABINET_ZONE) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` starts and the next day starts on the cabinet's clock
    (23 or 25 hours apart on the days the clock changes)."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
