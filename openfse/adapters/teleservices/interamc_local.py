"""Local convention tables: where conventions come from when the Inter-AMC directory fails.

Two sources implement the same :class:`~openfse.adapters.teleservices.port.InterAmcDirectory`
protocol, so a service can use either as the fallback:

* :class:`LocalConventionTable` — a semicolon-separated file (shipped demonstration table in
  ``data/conventions.csv``, or the cabinet's own file);
* :class:`ConventionsFromOrganisms` — a callable over the user's AMC organism list (whatever
  store holds it), so this package needs no knowledge of the database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from openfse.domain.rights import Convention, amc_numbers_match
from openfse.errors import InvalidInput, OpenFSEError
from openfse.periods import Period

COLUMNS = (
    "amc_numero",
    "amc_nom",
    "type_convention",
    "critere_secondaire",
    "routage",
    "hote",
    "domaine",
    "signataire",
    "debut",
    "fin",
)


class InvalidConventionTable(InvalidInput):
    code = "invalid_convention_table"


def _day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidConventionTable(
            f"{where} : date AAAA-MM-JJ attendue, « {text} » lu."
        ) from None


def _row_to_convention(row: dict[str, str], where: str) -> Convention:
    missing = [c for c in COLUMNS if c not in ("signataire", "fin") and not row.get(c)]
    if missing:
        raise InvalidConventionTable(f"{where} : colonne(s) vide(s) {', '.join(missing)}.")
    try:
        return Convention(
            amc_number=row["amc_numero"],
            amc_name=row["amc_nom"],
            convention_type=row["type_convention"],
            csr=row["critere_secondaire"],
            routage=row["routage"],
            hote=row["hote"],
            domaine=row["domaine"],
            period=Period(
                _day(row["debut"], where), _day(row["fin"], where) if row.get("fin") else None
            ),
            signataire=row.get("signataire") or None,
        )
    except InvalidConventionTable:
        raise
    except OpenFSEError as error:
        raise InvalidConventionTable(f"{where} : {error.message}") from None


class LocalConventionTable:
    def __init__(self, conventions: Iterable[Convention]) -> None:
        self._rows = tuple(conventions)

    @classmethod
    def from_csv_text(cls, text: str, source: str = "table de conventions") -> LocalConventionTable:
        """Read the ``;``-separated table; lines starting with ``#`` are comments."""
        lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";")
        if reader.fieldnames is None or tuple(f.strip() for f in reader.fieldnames) != COLUMNS:
            raise InvalidConventionTable(
                f"{source} : en-tête attendu {';'.join(COLUMNS)}", field="en-tete"
            )
        rows = []
        for number, row in enumerate(reader, start=2):
            if None in row or any(v is None for v in row.values()):
                raise InvalidConventionTable(f"{source}, ligne {number} : nombre de colonnes faux.")
            cleaned = {k.strip(): v.strip() for k, v in row.items()}
            rows.append(_row_to_convention(cleaned, f"{source}, ligne {number}"))
        return cls(rows)

    @classmethod
    def from_file(cls, path: Path) -> LocalConventionTable:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            raise InvalidConventionTable(f"{path} illisible : {problem}") from None
        return cls.from_csv_text(text, str(path))

    @classmethod
    def shipped(cls) -> LocalConventionTable:
        """The demonstration table shipped in the package (read once)."""
        return _shipped()

    def conventions(self, amc_number: str, on: date) -> list[Convention]:
        return [
            c
            for c in self._rows
            if amc_numbers_match(c.amc_number, amc_number) and c.in_force_on(on)
        ]


@cache
def _shipped() -> LocalConventionTable:
    resource = resources.files("openfse.adapters.teleservices").joinpath("data/conventions.csv")
    return LocalConventionTable.from_csv_text(
        resource.read_text(encoding="utf-8"), "conventions.csv"
    )


class ConventionsFromOrganisms:
    """Adapts ``source(amc_number, on) -> conventions`` (e.g. the user's AMC organisms)."""

    def __init__(self, source: Callable[[str, date], Iterable[Convention]]) -> None:
        self._source = source

    def conventions(self, amc_number: str, on: date) -> list[Convention]:
        return [c for c in self._source(amc_number, on) if c.in_force_on(on)]
