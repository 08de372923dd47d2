"""Row-by-row fingerprint of a database: per table, the row count and a SHA-256 of the rows.

Taken at backup time on the backup's own snapshot and stored in the backup's manifest
(inside the payload, encrypted with it); a restore recomputes it on the restored database and
refuses a difference. The same function is what
the tests use to compare "before backup" and "after restore", table by table.

Rows are read in primary-key order (all columns when a table has none), as the database
driver returns them, and encoded canonically (JSON with sorted keys; decimals, dates and bytes
as text; instants in UTC), so the digest depends on the data only — not on the physical order
of pages, the driver's dict ordering or the session's time zone. It is meant to compare two
databases of the same kind (SQLite with SQLite, PostgreSQL with PostgreSQL): the drivers
return some types differently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, inspect

Fingerprint = Mapping[str, "TableFingerprint"]


@dataclass(frozen=True, slots=True)
class TableFingerprint:
    rows: int
    sha256: str


def fingerprint(connection: Connection) -> dict[str, TableFingerprint]:
    """The fingerprint of every table of the default schema, by table name."""
    inspector = inspect(connection)
    quote = connection.dialect.identifier_preparer.quote
    # One catalogue query for all tables (PostgreSQL would take two per table otherwise).
    all_columns = inspector.get_multi_columns()
    primary_keys = inspector.get_multi_pk_constraint()
    result: dict[str, TableFingerprint] = {}
    for (_, table) in sorted(all_columns, key=lambda key: key[1]):
        columns = [c["name"] for c in all_columns[(None, table)]]
        order = primary_keys[(None, table)].get("constrained_columns") or columns
        statement = (f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} "
                     f"ORDER BY {', '.join(quote(c) for c in order)}")
        digest = hashlib.sha256()
        rows = 0
        for row in connection.exec_driver_sql(statement):
            digest.update(_canonical(tuple(row)))
            rows += 1
        result[table] = TableFingerprint(rows=rows, sha256=digest.hexdigest())
    return result


def row_counts(connection: Connection) -> dict[str, int]:
    """Number of rows of every table of the default schema."""
    quote = connection.dialect.identifier_preparer.quote
    return {
        table: int(connection.exec_driver_sql(f"SELECT count(*) FROM {quote(table)}").scalar_one())
        for table in sorted(inspect(connection).get_table_names())
    }


def differences(expected: Fingerprint, actual: Fingerprint) -> list[str]:
    """Human-readable differences, one per table (empty when identical)."""
    found: list[str] = []
    for table in sorted(set(expected) | set(actual)):
        before, after = expected.get(table), actual.get(table)
        if before == after:
            continue
        if before is None:
            found.append(f"{table} : table en trop")
        elif after is None:
            found.append(f"{table} : table absente")
        elif before.rows != after.rows:
            found.append(f"{table} : {after.rows} lignes au lieu de {before.rows}")
        else:
            found.append(f"{table} : contenu différent")
    return found


def _canonical(row: tuple[Any, ...]) -> bytes:
    return json.dumps(row, default=_jsonable, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8") + b"\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | UUID | timedelta):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        # PostgreSQL returns timestamptz in the session's time zone: the same instant must
        # give the same digest on a server configured for another zone.
        return value.astimezone(UTC).isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")
