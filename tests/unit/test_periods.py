"""The one Period of the product (issue 11, point 2): explicit end bounds, worked examples.

Rights are printed « du 01/01/2026 au 31/12/2026 » and cover the 31/12 (inclusive end); the
reference tables hold ``[start, end)``, the end being the day the next value starts (docs/rules.md
§0: G 26,50 € until 21/12/2024, 30,00 € from 22/12/2024).
"""

from __future__ import annotations

import doctest
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfse import periods
from openfse.periods import EndBound, InvalidPeriod, Period

YEAR_2026 = Period(date(2026, 1, 1), date(2026, 12, 31))  # « du 01/01/2026 au 31/12/2026 »
HALF_OPEN_2026 = Period.half_open(date(2026, 1, 1), date(2026, 12, 31))


def test_a_period_ending_31_12_inclusive_covers_the_31_12() -> None:
    assert YEAR_2026.end_bound is EndBound.INCLUSIVE  # the default
    assert YEAR_2026.covers(date(2026, 1, 1))
    assert YEAR_2026.covers(date(2026, 12, 31))
    assert not YEAR_2026.covers(date(2027, 1, 1))
    assert not YEAR_2026.covers(date(2025, 12, 31))
    assert YEAR_2026.last_day == date(2026, 12, 31)
    assert str(YEAR_2026) == "du 01/01/2026 au 31/12/2026"


def test_an_exclusive_end_is_the_first_day_not_covered() -> None:
    assert HALF_OPEN_2026.end_bound is EndBound.EXCLUSIVE
    assert HALF_OPEN_2026.covers(date(2026, 12, 30))
    assert not HALF_OPEN_2026.covers(date(2026, 12, 31))
    assert HALF_OPEN_2026.last_day == date(2026, 12, 30)
    assert str(HALF_OPEN_2026) == "du 01/01/2026 au 30/12/2026"  # what is covered, said plainly


def test_the_g_tariff_boundary_of_22_12_2024() -> None:
    old = Period.half_open(date(2023, 11, 1), date(2024, 12, 22))
    new = Period.half_open(date(2024, 12, 22), None)
    assert old.covers(date(2024, 12, 21)) and not old.covers(date(2024, 12, 22))
    assert new.covers(date(2024, 12, 22)) and not new.covers(date(2024, 12, 21))
    assert not old.overlaps(new) and not new.overlaps(old)  # adjacent, one value per day


def test_ended_before_and_starts_after() -> None:
    assert YEAR_2026.ended_before(date(2027, 1, 1))
    assert not YEAR_2026.ended_before(date(2026, 12, 31))  # the 31/12 is still covered
    assert HALF_OPEN_2026.ended_before(date(2026, 12, 31))
    assert YEAR_2026.starts_after(date(2025, 12, 31))
    assert not YEAR_2026.starts_after(date(2026, 1, 1))


def test_an_unknown_side_is_open() -> None:
    assert Period(date(2024, 1, 1)).covers(date(2099, 12, 31))
    assert Period(None, date(2026, 6, 30)).covers(date(1900, 1, 1))
    assert Period().covers(date(2026, 3, 2)) and not Period().dated
    assert str(Period(date(2024, 1, 1))) == "du 01/01/2024 au …"
    assert not Period(date(2024, 1, 1)).ended_before(date(2099, 1, 1))


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        # Rights of 2026 and rights from 31/12/2026: they share the 31/12.
        (YEAR_2026, Period(date(2026, 12, 31), date(2027, 12, 31)), True),
        # Rights renewed the next day: adjacent, no shared day.
        (YEAR_2026, Period(date(2027, 1, 1), date(2027, 12, 31)), False),
        # The same days written half-open (end = first day not covered) meet without overlap.
        (Period.half_open(date(2026, 1, 1), date(2027, 1, 1)),
         Period(date(2027, 1, 1), date(2027, 12, 31)), False),
        # An exclusive end on 31/12 leaves the 31/12 to the next period.
        (HALF_OPEN_2026, Period(date(2026, 12, 31), None), False),
        # Containment: a month inside the year.
        (YEAR_2026, Period(date(2026, 3, 1), date(2026, 3, 31)), True),
        # Open-ended on either side.
        (Period(None, date(2025, 12, 31)), YEAR_2026, False),
        (Period(None, date(2026, 1, 1)), YEAR_2026, True),
        (Period(date(2020, 1, 1)), Period(date(2030, 1, 1)), True),
        (Period(), YEAR_2026, True),
    ],
)
def test_overlap_is_symmetric_and_counts_shared_days(
    first: Period, second: Period, overlap: bool
) -> None:
    assert first.overlaps(second) is overlap
    assert second.overlaps(first) is overlap


def test_containment_of_the_first_and_last_day() -> None:
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    inside = [day for day in (date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 31),
                              date(2026, 4, 1)) if march.covers(day)]
    assert inside == [date(2026, 3, 1), date(2026, 3, 31)]


def test_a_one_day_period() -> None:
    day = date(2026, 3, 2)
    assert Period(day, day).covers(day)  # inclusive: « du 02/03 au 02/03 » is one day
    assert Period.half_open(day, day + timedelta(days=1)).covers(day)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Period(date(2026, 1, 2), date(2026, 1, 1)), "précède le début"),
        (lambda: Period.half_open(date(2026, 1, 1), date(2026, 1, 1)), "postérieure"),
        (lambda: Period.half_open(date(2026, 1, 2), date(2026, 1, 1)), "postérieure"),
    ],
)
def test_a_period_covering_no_day_is_refused(make: object, words: str) -> None:
    with pytest.raises(InvalidPeriod, match=words) as error:
        make()  # type: ignore[operator]
    assert error.value.code == "invalid_period"


@given(start=st.dates(), length=st.integers(min_value=0, max_value=400), on=st.dates())
def test_an_inclusive_end_and_the_next_day_exclusive_cover_the_same_days(
    start: date, length: int, on: date
) -> None:
    last = start + timedelta(days=length) if length < (date.max - start).days else date.max
    inclusive = Period(start, last)
    if last == date.max:
        return  # no day after date.max to write the exclusive end
    exclusive = Period.half_open(start, last + timedelta(days=1))
    assert inclusive.covers(on) is exclusive.covers(on)
    assert inclusive.last_day == exclusive.last_day


def test_doctests() -> None:
    result = doctest.testmod(periods)
    assert result.attempted > 0 and result.failed == 0
