"""The cabinet's clock (issue 11): its day, not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from openfse.domain.clock import CABINET_ZONES, Clock, UnknownZone


def at(moment: datetime) -> Clock:
    return Clock("Europe/Paris", source=lambda: moment)


def test_a_server_in_utc_at_23_30_on_31_december_sees_the_paris_cabinet_on_1_january() -> None:
    clock = at(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert clock.today() == date(2027, 1, 1)
    assert clock.now().hour == 0 and clock.now().minute == 30


def test_summer_time_is_two_hours_ahead_of_utc() -> None:
    clock = at(datetime(2026, 7, 14, 22, 15, tzinfo=UTC))
    assert clock.today() == date(2026, 7, 15)


def test_a_cabinet_in_la_reunion_sees_its_own_day() -> None:
    # 20:30 UTC is 00:30 the next day in La Réunion (UTC+4, no summer time), 21:30 in Paris.
    moment = datetime(2026, 6, 10, 20, 30, tzinfo=UTC)
    assert Clock("Indian/Reunion", source=lambda: moment).today() == date(2026, 6, 11)
    assert Clock("Europe/Paris", source=lambda: moment).today() == date(2026, 6, 10)


def test_a_cabinet_in_guadeloupe_is_still_on_the_previous_day() -> None:
    # 02:00 UTC is 22:00 the day before in Guadeloupe (UTC-4).
    moment = datetime(2026, 6, 11, 2, 0, tzinfo=UTC)
    assert Clock("America/Guadeloupe", source=lambda: moment).today() == date(2026, 6, 10)


def test_the_five_overseas_departements_and_metropolitan_france_are_offered() -> None:
    assert set(CABINET_ZONES) == {"Europe/Paris", "America/Guadeloupe", "America/Martinique",
                                  "America/Cayenne", "Indian/Reunion", "Indian/Mayotte"}


def test_an_unknown_zone_is_refused_with_the_list_of_the_known_ones() -> None:
    with pytest.raises(UnknownZone, match="Europe/Paris"):
        Clock("Mars/Olympus")


def test_day_of_a_stored_instant_and_days_since_count_cabinet_days() -> None:
    # A lot sent at 23:30 UTC on 9 January was sent on 10 January in Paris; on 12 January at
    # 08:00 Paris that is 2 days ago, although 3 UTC days have begun since.
    clock = at(datetime(2027, 1, 12, 7, 0, tzinfo=UTC))
    sent = datetime(2027, 1, 9, 23, 30, tzinfo=UTC)
    assert clock.day_of(sent) == date(2027, 1, 10)
    assert clock.days_since(sent) == 2
    assert clock.day_of(sent.replace(tzinfo=None)) == date(2027, 1, 10)  # stored naive = UTC


def test_day_bounds_on_the_day_the_clock_goes_forward_last_23_hours() -> None:
    start, end = Clock("Europe/Paris").day_bounds(date(2026, 3, 29))
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert (end - start).total_seconds() == 23 * 3600
