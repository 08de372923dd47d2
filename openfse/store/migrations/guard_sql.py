"""What the immutability guards (``append_only``, ``frozen_rows``) share: unique keys, the
SQLite « REPLACE » check, and which triggers a table has.

**SQLite REPLACE.** ``REPLACE INTO``, ``INSERT OR REPLACE`` and ``UPDATE OR REPLACE`` resolve a
unique-key conflict by deleting the row in the way, and "delete triggers fire if and only if
recursive triggers are enabled" (https://www.sqlite.org/lang_conflict.html) — a per-connection
``PRAGMA`` that the ``sqlite3`` prompt or any script leaves off. So a guarded table also refuses,
in ``BEFORE INSERT`` / ``BEFORE UPDATE`` triggers (which fire before the conflict is resolved,
whatever the connection's settings), a row that collides on one of its unique keys with a row
the guard protects. Without ``OR REPLACE`` such a row would have been refused anyway by the
unique constraint: only the error text changes.

PostgreSQL has no REPLACE (``ON CONFLICT DO UPDATE`` fires the update triggers); its hole is
``TRUNCATE``, which fires no row trigger: the guards add a ``BEFORE TRUNCATE`` statement
trigger, which also fires when the table is truncated by a ``TRUNCATE … CASCADE`` of another
table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Index, Table, UniqueConstraint, text

Keys = tuple[tuple[str, ...], ...]


def unique_keys(table: Table) -> Keys:
    """Every column set of ``table`` a REPLACE can collide on: primary key, unique constraints,
    unique indexes (sorted, without duplicates)."""
    keys = {tuple(column.name for column in table.primary_key.columns)}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            keys.add(tuple(column.name for column in constraint.columns))
    for index in table.indexes:
        if isinstance(index, Index) and index.unique:
            keys.add(tuple(column.name for column in index.columns))
    return as_keys(keys)


def as_keys(keys: Iterable[Sequence[str]]) -> Keys:
    """Sorted keys, without those that contain another one (colliding on ``(id, cabinet_id)``
    means colliding on ``(id)``)."""
    distinct = {tuple(key) for key in keys if key}
    return tuple(sorted(key for key in distinct
                        if not any(set(other) < set(key) for other in distinct)))


def digest(*parts: object) -> str:
    """Eight hex digits naming a rule: a trigger whose rule changed gets another name."""
    return hashlib.sha256(json.dumps(parts, default=list).encode()).hexdigest()[:8]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def collides(keys: Keys, other: str, new: str = "NEW") -> str:
    """SQL true when row ``other`` has the same value as ``new`` on one of ``keys`` (NULLs never
    collide, as in a unique constraint)."""
    return "(" + " OR ".join(
        "(" + " AND ".join(f"{other}.{quote(c)} = {new}.{quote(c)}" for c in key) + ")"
        for key in keys) + ")"


def sqlite_replace_check(table: str, keys: Keys, protected: str, *, updating: bool) -> str:
    """SQL true when the row being written (``NEW``) would make REPLACE delete a protected row
    of ``table``; ``protected`` is a condition on the alias ``other``."""
    other_row = " AND other.rowid <> OLD.rowid" if updating else ""
    return (f"EXISTS (SELECT 1 FROM {quote(table)} AS other WHERE {collides(keys, 'other')}"
            f"{other_row} AND {protected})")


def triggers_on(connection: Connection, table: str, *, enabled_only: bool = False) -> set[str]:
    """Names of the triggers of ``table`` (PostgreSQL: not internal; ``enabled_only`` leaves
    out the ones ``ALTER TABLE … DISABLE TRIGGER`` switched off — SQLite cannot disable one)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"
    elif dialect == "postgresql":
        query = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                 "AND tgrelid = to_regclass(:t)")
        if enabled_only:
            query += " AND tgenabled <> 'D'"
    else:
        raise NotImplementedError(f"no immutability guard for dialect {dialect!r}")
    return set(connection.execute(text(query), {"t": table}).scalars().all())
