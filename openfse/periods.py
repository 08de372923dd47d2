"""Date ranges: the one :class:`Period` of the product, with an explicit end bound.

Two conventions meet in the product, and the bound says which one a period follows:

- ``EndBound.INCLUSIVE`` (the default): what is printed « du 01/01/2026 au 31/12/2026 » covers
  the 31/12 — rights (AMO, ALD, mutuelles), attestations, conventions, CCAM tariffs.
- ``EndBound.EXCLUSIVE`` (:meth:`Period.half_open`): ``[start, end)``, the end is the first day
  no longer covered — the reference tables (NGAP, regulatory parameters, code lists), where a
  new value starts the day the old one ends (docs/rules.md §0: G 26,50 € until the 21/12/2024,
  30,00 € from the 22/12/2024, both rows holding the 22/12/2024).

An unknown start or end (``None``) is open on that side. Pure: no clock, every "on which day?"
is an argument; it sits at the bottom of the layers so that referentials and domain share it.

>>> rights = Period(date(2026, 1, 1), date(2026, 12, 31))
>>> rights.covers(date(2026, 12, 31)), rights.covers(date(2027, 1, 1))
(True, False)
>>> tariff = Period.half_open(date(2023, 11, 1), date(2024, 12, 22))
>>> tariff.covers(date(2024, 12, 21)), tariff.covers(date(2024, 12, 22))
(True, False)
>>> str(tariff)
'du 01/11/2023 au 21/12/2024'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from openfse.errors import InvalidInput

__all__ = ["EndBound", "InvalidPeriod", "Period"]


class EndBound(StrEnum):
    """Is the end day of a period covered?"""

    INCLUSIVE = "inclusive"  # « du … au 31/12 »: the 31/12 is covered (rights, attestations)
    EXCLUSIVE = "exclusive"  # [start, end): the end day is the first day not covered


class InvalidPeriod(InvalidInput):
    """A period that covers no day (its end before its start, or at its start when exclusive)."""

    code = "invalid_period"


@dataclass(frozen=True, slots=True)
class Period:
    """A date range; ``None`` on a side means open (unknown or unlimited) on that side.

    Two periods covering the same days with different bounds are different values (``==``
    compares the fields); compare :attr:`start` and :attr:`last_day` to compare days.

    Raises:
        InvalidPeriod: the period would cover no day.
    """

    start: date | None = None
    end: date | None = None
    end_bound: EndBound = EndBound.INCLUSIVE

    def __post_init__(self) -> None:
        if self.end is None:
            return
        if self.end_bound is EndBound.EXCLUSIVE:
            if self.end == date.min or (self.start is not None and self.end <= self.start):
                shown_start = "…" if self.start is None else f"{self.start:%d/%m/%Y}"
                raise InvalidPeriod(
                    f"Période invalide : la fin ({self.end:%d/%m/%Y}) doit être postérieure "
                    f"au début ({shown_start})."
                )
        elif self.start is not None and self.end < self.start:
            raise InvalidPeriod(
                f"Période invalide : la fin ({self.end:%d/%m/%Y}) précède le début "
                f"({self.start:%d/%m/%Y})."
            )

    @classmethod
    def half_open(cls, start: date | None, end: date | None) -> Period:
        """``[start, end)``: valid from ``start`` included until ``end`` excluded."""
        return cls(start, end, EndBound.EXCLUSIVE)

    @property
    def last_day(self) -> date | None:
        """The last day covered (``None``: no end known)."""
        if self.end is None or self.end_bound is EndBound.INCLUSIVE:
            return self.end
        return self.end - timedelta(days=1)

    @property
    def dated(self) -> bool:
        """Is any bound known?"""
        return self.start is not None or self.end is not None

    def covers(self, on: date) -> bool:
        """Is the day ``on`` in the period?"""
        if self.start is not None and on < self.start:
            return False
        if self.end is None:
            return True
        return on <= self.end if self.end_bound is EndBound.INCLUSIVE else on < self.end

    def ended_before(self, on: date) -> bool:
        """Was the last day covered before ``on``?"""
        last = self.last_day
        return last is not None and last < on

    def starts_after(self, on: date) -> bool:
        """Is the first day covered after ``on``?"""
        return self.start is not None and on < self.start

    def overlaps(self, other: Period) -> bool:
        """Do the two periods share at least one day (whatever their bounds)?"""
        self_first = other.start is not None and self.ended_before(other.start)
        other_first = self.start is not None and other.ended_before(self.start)
        return not (self_first or other_first)

    def __str__(self) -> str:
        start = f"{self.start:%d/%m/%Y}" if self.start is not None else "…"
        last = self.last_day
        end = f"{last:%d/%m/%Y}" if last is not None else "…"
        return f"du {start} au {end}"
