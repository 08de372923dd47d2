"""Timestamps on screens: Europe/Paris local time through the one ``local_time`` filter (issue 8).

Rule: instants are stored in UTC and shown on the cabinet's clock (CET in winter, CEST in
summer). Worked examples around the 2026 changes of time: 29 March (02:00 → 03:00 local) and
25 October (03:00 → 02:00 local).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from openfse.domain.local_time import day_bounds, local_date, local_time
from openfse.web.ui.rendering import TEMPLATES

TEMPLATE_DIR = Path(TEMPLATES.env.loader.searchpath[0])  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        # Spring forward, 29 March 2026: 00:30Z is still winter (UTC+1)…
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "29/03/2026 01:30"),
        # …02:30Z is summer time (UTC+2): the local hour 02:xx never exists that night.
        (datetime(2026, 3, 29, 2, 30, tzinfo=UTC), "29/03/2026 04:30"),
        # Fall back, 25 October 2026: 00:30Z and 01:30Z both read 02:30 on the wall clock.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25/10/2026 02:30"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25/10/2026 02:30"),
        # A late-evening UTC instant is already the next day in Paris.
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "01/01/2027 00:30"),
    ],
)
def test_an_utc_instant_is_shown_on_the_paris_clock(utc: datetime, shown: str) -> None:
    assert local_time(utc) == shown


def test_a_naive_instant_is_taken_as_utc_and_other_zones_are_converted() -> None:
    # Stored instants are UTC; SQLite hands them back naive before the column type adds UTC.
    assert local_time(datetime(2026, 7, 14, 10, 0)) == "14/07/2026 12:00"
    new_york = timezone(timedelta(hours=-4))
    assert local_time(datetime(2026, 7, 14, 6, 0, tzinfo=new_york)) == "14/07/2026 12:00"


def test_the_format_can_be_chosen_and_no_moment_shows_nothing() -> None:
    moment = datetime(2026, 3, 29, 2, 30, 15, tzinfo=UTC)
    assert local_time(moment, "%d/%m/%Y %H:%M:%S") == "29/03/2026 04:30:15"
    assert local_time(None) == ""


def test_templates_render_instants_through_the_filter() -> None:
    rendered = TEMPLATES.env.from_string("{{ at|local_time }}").render(
        at=datetime(2026, 3, 29, 2, 30, tzinfo=UTC))
    assert rendered == "29/03/2026 04:30"


# A clock time formatted in a template (``%H``) or a zone conversion there (``astimezone``)
# would bypass the filter and show UTC (or the server's zone): every template must use it.
_RAW_TIME = re.compile(r"strftime\([^)]*%H|astimezone\(")


def test_no_template_formats_a_time_of_day_by_itself() -> None:
    offenders = [
        f"{path.relative_to(TEMPLATE_DIR)}:{number}"
        for path in sorted(TEMPLATE_DIR.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _RAW_TIME.search(line)
    ]
    assert offenders == []


def test_a_day_of_the_cabinet_clock_in_utc_bounds() -> None:
    # Rule: the journal's « Jour » is a Paris day. 6 December (winter): 5 Dec 23:00Z → 6 Dec 23:00Z.
    assert day_bounds(date(2026, 12, 6)) == (datetime(2026, 12, 5, 23, 0, tzinfo=UTC),
                                             datetime(2026, 12, 6, 23, 0, tzinfo=UTC))
    # 29 March 2026 loses an hour: 23 hours, from 28 Mar 23:00Z to 29 Mar 22:00Z.
    assert day_bounds(date(2026, 3, 29)) == (datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
                                             datetime(2026, 3, 29, 22, 0, tzinfo=UTC))


def test_the_cabinets_day_of_an_instant() -> None:
    # A lot sent at 23:30 UTC on 6 December (winter, UTC+1) left on 7 December in Paris; at
    # 21:59 UTC on 30 June (summer, UTC+2) it is still 30 June, at 22:00 it is 1 July.
    assert local_date(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == date(2026, 12, 7)
    assert local_date(datetime(2026, 6, 30, 21, 59, tzinfo=UTC)) == date(2026, 6, 30)
    assert local_date(datetime(2026, 6, 30, 22, 0)) == date(2026, 7, 1)  # naive = UTC
    assert local_date(None) is None
