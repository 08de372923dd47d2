"""Date-effective reference values, and the reading of the data files that hold them.

Every tariff and every code of the reference tables is valid over a period: ``start`` is the
first day it applies (inclusive) and ``end`` the first day it no longer applies (exclusive), or
``None`` while it is still in force — the product's one :class:`openfse.periods.Period` with
an exclusive end bound (:func:`period_of`). A lookup therefore always takes the date of care
(``on``): the engine prices an act of 21/12/2024 with the tariff of that day even when it runs
in 2026.

``DatedTable`` is the one mechanism all referentials share. It is built from rows that carry
their own period, groups them by a key, refuses two periods of the same key that overlap (a
data error that would make a price depend on row order) and answers ``at(key, on)`` in
O(log n).

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Tariff:
...     code: str
...     value: str
...     start: date
...     end: date | None
>>> table = DatedTable(
...     [Tariff("G", "26.50", date(2023, 11, 1), date(2024, 12, 22)),
...      Tariff("G", "30.00", date(2024, 12, 22), None)],
...     key=lambda row: row.code, name="demo")
>>> table.at("G", date(2024, 12, 21)).value
'26.50'
>>> table.at("G", date(2024, 12, 22)).value
'30.00'
>>> table.at("G", date(2020, 1, 1)) is None
True

Data files live in ``openfse/referentials/data/`` (package data, read with
``importlib.resources``; never ``shared/`` at run time). They are UTF-8 CSV files whose leading
lines starting with ``#`` are comments (provenance), followed by a header line.

The module also holds :func:`fold`, the one text normalisation the referentials use to search
labels (case and accents ignored), so that every pick-list searches alike.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import date
from functools import cache
from importlib import resources
from typing import Generic, Protocol, TypeVar

from openfse.errors import OpenFSEError
from openfse.periods import InvalidPeriod, Period

__all__ = [
    "DatedTable",
    "HasPeriod",
    "ReferentialDataError",
    "fold",
    "format_date",
    "parse_date",
    "parse_optional_date",
    "period_of",
    "read_data_rows",
]

DATA_PACKAGE = "openfse.referentials.data"


class ReferentialDataError(OpenFSEError):
    """A shipped reference file is inconsistent (bad date, overlapping periods, bad value).

    This is a defect of the data files, caught by the tests and at first use; the user cannot
    fix it, so the message says which file and row are wrong.
    """

    code = "referential_data_error"


class HasPeriod(Protocol):
    """Anything valid from ``start`` (inclusive) to ``end`` (exclusive, ``None`` = open)."""

    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date | None: ...


def period_of(row: HasPeriod) -> Period:
    """The row's validity ``[start, end)``."""
    return Period.half_open(row.start, row.end)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V", bound=HasPeriod)


class DatedTable(Generic[K, V]):
    """Rows grouped by key, each key holding non-overlapping validity periods.

    Args:
        rows: the values; each one carries its own ``start``/``end``.
        key: how to group rows (e.g. ``(profession, code, zone)``).
        name: the table's name, used in error messages (usually the data file name).

    Raises:
        ReferentialDataError: a row's period is empty or two periods of one key overlap.
    """

    __slots__ = ("_by_key", "_periods", "_starts", "name")

    def __init__(self, rows: Iterable[V], *, key: Callable[[V], K], name: str) -> None:
        self.name = name
        grouped: dict[K, list[tuple[V, Period]]] = {}
        for row in rows:
            try:
                period = period_of(row)
            except InvalidPeriod as empty:
                raise ReferentialDataError(f"Table {name} : {empty.message}") from None
            grouped.setdefault(key(row), []).append((row, period))
        self._by_key: dict[K, tuple[V, ...]] = {}
        self._periods: dict[K, tuple[Period, ...]] = {}
        self._starts: dict[K, tuple[date, ...]] = {}
        for group_key, group in grouped.items():
            group.sort(key=lambda item: item[0].start)
            for (previous, before), (current, after) in zip(group, group[1:], strict=False):
                if before.overlaps(after):
                    raise ReferentialDataError(
                        f"Table {name} : deux périodes se chevauchent pour {group_key!r} "
                        f"({_describe(previous)} et {_describe(current)})."
                    )
            self._by_key[group_key] = tuple(row for row, _ in group)
            self._periods[group_key] = tuple(period for _, period in group)
            self._starts[group_key] = tuple(row.start for row, _ in group)

    def at(self, key: K, on: date) -> V | None:
        """The row of ``key`` in force on ``on``, or ``None`` (unknown key or no period)."""
        starts = self._starts.get(key)
        if starts is None:
            return None
        index = bisect_right(starts, on) - 1
        if index < 0:
            return None
        return self._by_key[key][index] if self._periods[key][index].covers(on) else None

    def history(self, key: K) -> tuple[V, ...]:
        """Every period of ``key``, oldest first (empty for an unknown key)."""
        return self._by_key.get(key, ())

    def keys(self) -> Iterator[K]:
        return iter(self._by_key)

    def rows(self) -> Iterator[V]:
        """Every row of every key."""
        for group in self._by_key.values():
            yield from group

    def valid_on(self, on: date) -> Iterator[V]:
        """The rows in force on ``on``, one per key at most."""
        for group_key in self._by_key:
            row = self.at(group_key, on)
            if row is not None:
                yield row

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __len__(self) -> int:
        return len(self._by_key)


def _describe(row: HasPeriod) -> str:
    end = format_date(row.end) if row.end is not None else "…"
    return f"{format_date(row.start)} → {end}"


def format_date(value: date) -> str:
    """French display of a date (``21/12/2024``), used in user messages."""
    return value.strftime("%d/%m/%Y")


def parse_date(text: str, *, where: str) -> date:
    """Parse an ISO date (``2024-12-22``) from a data file.

    Raises:
        ReferentialDataError: naming ``where`` (file and row) when the text is not a date.
    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReferentialDataError(f"{where} : date invalide {text!r}.") from None


def parse_optional_date(text: str, *, where: str) -> date | None:
    """Like :func:`parse_date`, an empty cell meaning "no date" (e.g. still in force)."""
    return parse_date(text, where=where) if text.strip() else None


@cache
def _read_text(filename: str) -> str:
    return resources.files(DATA_PACKAGE).joinpath(filename).read_text(encoding="utf-8")


def read_data_rows(filename: str) -> list[dict[str, str]]:
    """Rows of a shipped CSV data file as dictionaries (comment lines skipped).

    Every cell is stripped; a missing trailing cell reads as an empty string.

    Raises:
        ReferentialDataError: the file is missing or has no header line.
    """
    try:
        text = _read_text(filename)
    except FileNotFoundError:
        raise ReferentialDataError(f"Fichier de référence absent : {filename}.") from None
    lines = [line for line in io.StringIO(text) if not line.startswith("#")]
    reader = csv.DictReader(lines)
    if not reader.fieldnames:
        raise ReferentialDataError(f"Fichier de référence sans en-tête : {filename}.")
    rows = []
    for number, row in enumerate(reader, start=1):
        if None in row:  # DictReader files surplus cells under the key None
            raise ReferentialDataError(
                f"{filename}, enregistrement {number} : plus de cellules que de colonnes."
            )
        rows.append({name: (value or "").strip() for name, value in row.items()})
    return rows


def fold(text: str) -> str:
    """Lower-case, accent-free form of ``text`` for searching.

    >>> fold("Kinésithérapie")
    'kinesitherapie'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
