"""Column types for values that SQLite would otherwise store inexactly or without a zone.

- ``ScaledDecimal(places)``: a ``Decimal`` with a fixed number of decimals (IK distances,
  NGAP coefficients, AMC formula percentages) stored as an integer count of ``10**-places``.
  SQLite stores ``NUMERIC`` as a binary float (sqlite.org/datatype3.html), so, like ``MoneyCents``,
  exact decimals are kept as integers. Unlike money, nothing is rounded here: a value with more
  decimals than the column holds is refused, because silently dropping a digit of a
  coefficient would change a price.
- ``UtcDateTime``: an aware ``datetime`` in UTC. SQLite has no time zone type, so the column
  holds naive UTC there and the zone is put back on read; PostgreSQL uses ``timestamptz``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from openfse.domain.clock import system_time


class ScaledDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` with exactly ``places`` decimals, stored as an integer."""

    impl = Integer
    cache_ok = True

    def __init__(self, places: int) -> None:
        if not 0 <= places <= 6:
            raise ValueError("places must be between 0 and 6")
        super().__init__()
        self.places = places
        self._quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float | bool):
            raise TypeError(f"a {type(value).__name__} is not an exact decimal")
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"not a finite decimal: {value!r}")
        scaled = number.scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimals")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places).quantize(self._quantum)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC ``datetime``; naive datetimes are refused (their zone is unknown)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        utc = value.astimezone(UTC)
        # SQLite has no zone: store naive UTC text, the zone is restored on read.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_now() -> datetime:
    """The current instant in UTC, for the rows' timestamps (read through the one clock)."""
    return system_time()
