"""Frozen rows, enforced by database triggers, as Alembic operations.

A validated invoice never changes (its amounts, acts and header are what was billed): the
database itself refuses it, whoever writes — the ORM, a script, someone at the SQL prompt.
A table declares the rule in its ``info`` (plain data, so Alembic renders it as is):

- ``info={"frozen_rows": {"column": "status", "unfrozen": ["draft"], "mutable": [...]}}``:
  once ``column`` holds a value outside ``unfrozen``, an ``UPDATE`` may change only the
  ``mutable`` columns (and may not bring the row back to an unfrozen value), and ``DELETE``
  is refused.
- ``info={"frozen_with_parent": {"parent": "invoice", "key": "invoice_id", "column":
  "status", "unfrozen": ["draft"]}}``: rows of a child table (the acts of an invoice) may be
  inserted, updated or deleted only while their parent row is unfrozen.

Every SQL path is closed (``openfse.store.migrations.guard_sql``): on SQLite, an insert or
update colliding on a unique key (``keys``) with a frozen row is refused, so ``REPLACE`` cannot
delete it behind the delete trigger's back; on PostgreSQL a ``BEFORE TRUNCATE`` trigger refuses
to empty a table holding frozen rows (also when a ``TRUNCATE … CASCADE`` reaches it).

``CreateFrozenGuardOp`` (install or replace) / ``DropFrozenGuardOp`` are migration operations
with one implementation per dialect (SQLite triggers with ``RAISE(ABORT)``; PostgreSQL a plpgsql
function, a row trigger and a truncate trigger raising ``integrity_constraint_violation``), so
both surface as ``IntegrityError`` whose text contains ``frozen row``. The trigger names carry
a digest of the rule (columns and unique keys included): an autogenerate comparator recreates a
guard whose rule changed (a column added to the model is frozen unless declared mutable) and
reports a missing (or, on PostgreSQL, disabled) one, like a missing column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alembic.autogenerate import comparators, renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations
from alembic.operations.ops import UpgradeOps
from alembic.util import DispatchPriority, PriorityDispatchResult
from sqlalchemy import Connection, MetaData, Table, inspect

from openfse.store.migrations.guard_sql import (
    Keys,
    as_keys,
    digest,
    quote,
    sqlite_replace_check,
    triggers_on,
    unique_keys,
)

FROZEN_ROWS = "frozen_rows"
FROZEN_WITH_PARENT = "frozen_with_parent"
MESSAGE = "frozen row"


@dataclass(frozen=True)
class FrozenGuard:
    """One table's rule. ``frozen`` (own-row guard) or ``parent``/``key`` (child guard);
    ``keys``: the table's unique keys (the SQLite REPLACE check)."""

    table: str
    column: str
    unfrozen: tuple[str, ...]
    frozen: tuple[str, ...] = ()
    parent: str | None = None
    key: str | None = None
    keys: Keys = ()

    @property
    def digest(self) -> str:
        spec: list[object] = [self.table, self.column, sorted(self.unfrozen),
                              sorted(self.frozen), self.parent, self.key]
        if self.keys:  # a rule without keys keeps the name it had before keys existed
            spec.append([list(key) for key in self.keys])
        return digest(*spec)

    @property
    def base_name(self) -> str:
        return f"{self.table}_frozen_{self.digest}"

    def trigger_names(self, dialect: str) -> set[str]:
        if dialect == "postgresql":
            return {self.base_name, f"{self.base_name}_truncate"}
        actions = ("insert", "update", "delete") if self.parent or self.keys else (
            "update", "delete")
        return {f"{self.base_name}_{action}" for action in actions}

    def as_kwargs(self) -> dict[str, Any]:
        return {"column": self.column, "unfrozen": self.unfrozen, "frozen": self.frozen,
                "parent": self.parent, "key": self.key, "keys": self.keys}


def guard_of(table: Table) -> FrozenGuard | None:
    """The rule ``table`` declares in its ``info``, or None."""
    own: Mapping[str, Any] | None = table.info.get(FROZEN_ROWS)
    if own is not None:
        mutable = set(own.get("mutable", ()))
        names = [column.name for column in table.columns]
        unknown = mutable - set(names)
        if unknown:
            raise ValueError(f"{table.name}: mutable columns {sorted(unknown)} do not exist")
        frozen = tuple(name for name in names if name not in mutable)
        return FrozenGuard(table.name, own["column"], tuple(own["unfrozen"]), frozen=frozen,
                           keys=unique_keys(table))
    child: Mapping[str, Any] | None = table.info.get(FROZEN_WITH_PARENT)
    if child is not None:
        return FrozenGuard(table.name, child["column"], tuple(child["unfrozen"]),
                           parent=child["parent"], key=child["key"], keys=unique_keys(table))
    return None


# --------------------------------------------------------------------------------------------
# DDL
# --------------------------------------------------------------------------------------------


def _frozen_test(row: str, guard: FrozenGuard) -> str:
    values = ", ".join("'" + value.replace("'", "''") + "'" for value in guard.unfrozen)
    return f"{row}.{quote(guard.column)} NOT IN ({values})"


def _parent_frozen(guard: FrozenGuard, row: str) -> str:
    assert guard.parent is not None and guard.key is not None
    return (f"EXISTS (SELECT 1 FROM {quote(guard.parent)} AS parent WHERE parent.{quote('id')}"
            f" = {row}.{quote(guard.key)} AND {_frozen_test('parent', guard)})")


def _message(guard: FrozenGuard) -> str:
    state = "/".join(guard.unfrozen)
    if guard.parent:
        return (f"{MESSAGE}: {guard.table} rows of a {guard.parent} whose {guard.column} is not "
                f"{state} cannot be inserted, changed or deleted")
    return f"{MESSAGE}: {guard.table} is frozen once {guard.column} is not {state}"


def _protected(guard: FrozenGuard, row: str) -> str:
    """SQL true when ``row`` is a row the guard protects."""
    return _parent_frozen(guard, row) if guard.parent else _frozen_test(row, guard)


def _replaces_protected(guard: FrozenGuard, *, updating: bool) -> str | None:
    """SQL true when the row written (``NEW``) collides on a unique key with a protected row,
    which SQLite's REPLACE would delete without firing the delete trigger; None without keys."""
    if not guard.keys:
        return None
    return sqlite_replace_check(guard.table, guard.keys, _protected(guard, "other"),
                                updating=updating)


def _or(*conditions: str | None) -> str:
    return " OR ".join(condition for condition in conditions if condition)


def guard_statements(dialect: str, guard: FrozenGuard) -> list[str]:
    """DDL creating the guard for ``dialect`` ("sqlite" or "postgresql")."""
    table, name, message = quote(guard.table), guard.base_name, _message(guard)
    if dialect == "sqlite":
        abort = f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        on_insert = _replaces_protected(guard, updating=False)
        on_update = _replaces_protected(guard, updating=True)
        if guard.parent:
            return [
                f"CREATE TRIGGER {name}_insert BEFORE INSERT ON {table} "
                f"WHEN {_or(_parent_frozen(guard, 'NEW'), on_insert)} {abort}",
                f"CREATE TRIGGER {name}_update BEFORE UPDATE ON {table} WHEN "
                f"{_or(_parent_frozen(guard, 'OLD'), _parent_frozen(guard, 'NEW'), on_update)} "
                f"{abort}",
                f"CREATE TRIGGER {name}_delete BEFORE DELETE ON {table} "
                f"WHEN {_parent_frozen(guard, 'OLD')} {abort}",
            ]
        changed = " OR ".join(f"OLD.{quote(c)} IS NOT NEW.{quote(c)}" for c in guard.frozen)
        content_changed = (f"({_frozen_test('OLD', guard)} AND (NOT {_frozen_test('NEW', guard)}"
                           f" OR {changed}))")
        inserts = ([f"CREATE TRIGGER {name}_insert BEFORE INSERT ON {table} "
                    f"WHEN {on_insert} {abort}"] if on_insert else [])
        return [
            *inserts,
            f"CREATE TRIGGER {name}_update BEFORE UPDATE ON {table} "
            f"WHEN {_or(content_changed, on_update)} {abort}",
            f"CREATE TRIGGER {name}_delete BEFORE DELETE ON {table} "
            f"WHEN {_frozen_test('OLD', guard)} {abort}",
        ]
    if dialect == "postgresql":
        fail = (f"RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';")
        # TRUNCATE fires no row trigger: refused while the table holds a protected row.
        truncate = (f"IF TG_OP = 'TRUNCATE' THEN IF EXISTS (SELECT 1 FROM {table} AS other "
                    f"WHERE {_protected(guard, 'other')}) THEN {fail} END IF; RETURN NULL; "
                    "END IF; ")
        if guard.parent:
            body = (
                f"IF TG_OP IN ('UPDATE', 'DELETE') THEN IF {_parent_frozen(guard, 'OLD')} THEN "
                f"{fail} END IF; END IF; "
                f"IF TG_OP IN ('INSERT', 'UPDATE') THEN IF {_parent_frozen(guard, 'NEW')} THEN "
                f"{fail} END IF; END IF; "
                "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;"
            )
            events = "INSERT OR UPDATE OR DELETE"
        else:
            # Compared as text: json has no equality operator in PostgreSQL.
            old = ", ".join(f"OLD.{quote(c)}::text" for c in guard.frozen)
            new = ", ".join(f"NEW.{quote(c)}::text" for c in guard.frozen)
            body = (
                f"IF TG_OP = 'DELETE' THEN IF {_frozen_test('OLD', guard)} THEN {fail} END IF; "
                "RETURN OLD; END IF; "
                f"IF {_frozen_test('OLD', guard)} AND (NOT ({_frozen_test('NEW', guard)}) "
                f"OR ROW({old}) IS DISTINCT FROM ROW({new})) THEN {fail} END IF; RETURN NEW;"
            )
            events = "UPDATE OR DELETE"
        return [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$guard$ BEGIN {truncate}{body} END $guard$",
            f"CREATE TRIGGER {name} BEFORE {events} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
            f"CREATE TRIGGER {name}_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    raise NotImplementedError(f"no frozen-rows guard for dialect {dialect!r}")


def existing_guards(connection: Connection, table: str, *,
                    enabled_only: bool = False) -> set[str]:
    """Names of the frozen-rows triggers present on ``table`` (``enabled_only``: not
    switched off by ``ALTER TABLE … DISABLE TRIGGER``, PostgreSQL)."""
    prefix = f"{table}_frozen_"
    names = triggers_on(connection, table, enabled_only=enabled_only)
    return {name for name in names if name.startswith(prefix)}


def unguard_statements(connection: Connection, table: str) -> list[str]:
    """DDL removing every frozen-rows guard of ``table`` (whatever its digest)."""
    dialect = connection.dialect.name
    names = sorted(existing_guards(connection, table))
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in names]
    # Triggers first: a function is dropped once no trigger uses it (the _truncate names
    # have no function of their own: IF EXISTS).
    return [*(f"DROP TRIGGER IF EXISTS {name} ON {quote(table)}" for name in names),
            *(f"DROP FUNCTION IF EXISTS {name}()" for name in names)]


def operation_if_missing(connection: Connection, table: Table,
                         existing_tables: set[str]) -> CreateFrozenGuardOp | None:
    """The operation installing ``table``'s guard when the model declares one and the database
    lacks it — missing, incomplete, disabled or an older rule —; None otherwise."""
    guard = guard_of(table) if table.schema is None else None
    if guard is None:
        return None
    present = (existing_guards(connection, table.name, enabled_only=True)
               if table.name in existing_tables else set())
    if guard.trigger_names(connection.dialect.name) <= present:
        return None
    return CreateFrozenGuardOp(table.name, **guard.as_kwargs())


# --------------------------------------------------------------------------------------------
# Alembic operations, rendering and autogenerate comparator
# --------------------------------------------------------------------------------------------


@Operations.register_operation("create_frozen_guard")
class CreateFrozenGuardOp(MigrateOperation):
    """Install the triggers that freeze ``table_name``'s rows (see the module docstring)."""

    def __init__(self, table_name: str, *, column: str, unfrozen: Sequence[str],
                 frozen: Sequence[str] = (), parent: str | None = None,
                 key: str | None = None, keys: Sequence[Sequence[str]] = ()) -> None:
        self.guard = FrozenGuard(table_name, column, tuple(unfrozen), tuple(frozen), parent, key,
                                 as_keys(keys))

    @classmethod
    def create_frozen_guard(cls, operations: Operations, table_name: str,
                            **kwargs: Any) -> None:
        operations.invoke(cls(table_name, **kwargs))

    def reverse(self) -> DropFrozenGuardOp:
        return DropFrozenGuardOp(self.guard.table, replaced=self.guard)

    def to_diff_tuple(self) -> tuple[str, str]:
        return ("add_frozen_guard", self.guard.table)


@Operations.register_operation("drop_frozen_guard")
class DropFrozenGuardOp(MigrateOperation):
    """Remove every frozen-rows trigger (and PostgreSQL function) of ``table_name``."""

    def __init__(self, table_name: str, *, replaced: FrozenGuard | None = None) -> None:
        self.table_name = table_name
        self.replaced = replaced  # the guard it removes, when known (to reverse it)

    @classmethod
    def drop_frozen_guard(cls, operations: Operations, table_name: str) -> None:
        operations.invoke(cls(table_name))

    def reverse(self) -> MigrateOperation:
        if self.replaced is None:
            raise NotImplementedError(
                f"the frozen-rows guard removed from {self.table_name} is not known: "
                "write its re-creation in the downgrade by hand")
        return CreateFrozenGuardOp(self.table_name, **self.replaced.as_kwargs())

    def to_diff_tuple(self) -> tuple[str, str]:
        return ("remove_frozen_guard", self.table_name)


@Operations.implementation_for(CreateFrozenGuardOp)
def _create_guard(operations: Operations, operation: CreateFrozenGuardOp) -> None:
    # Install or replace: an older rule of the table (another digest) is removed first.
    connection = operations.get_bind()
    for statement in unguard_statements(connection, operation.guard.table):
        operations.execute(statement)
    for statement in guard_statements(connection.dialect.name, operation.guard):
        operations.execute(statement)


@Operations.implementation_for(DropFrozenGuardOp)
def _drop_guard(operations: Operations, operation: DropFrozenGuardOp) -> None:
    connection = operations.get_bind()
    for statement in unguard_statements(connection, operation.table_name):
        operations.execute(statement)


@renderers.dispatch_for(CreateFrozenGuardOp)
def _render_create(autogen_context: AutogenContext, op: CreateFrozenGuardOp) -> str:
    autogen_context.imports.add("from openfse.store.migrations import frozen_rows")
    guard = op.guard
    args = [repr(guard.table), f"column={guard.column!r}", f"unfrozen={list(guard.unfrozen)!r}"]
    if guard.frozen:
        args.append(f"frozen={list(guard.frozen)!r}")
    if guard.parent:
        args += [f"parent={guard.parent!r}", f"key={guard.key!r}"]
    if guard.keys:
        args.append(f"keys={[list(key) for key in guard.keys]!r}")
    return f"op.invoke(frozen_rows.CreateFrozenGuardOp({', '.join(args)}))"


@renderers.dispatch_for(DropFrozenGuardOp)
def _render_drop(autogen_context: AutogenContext, op: DropFrozenGuardOp) -> str:
    autogen_context.imports.add("from openfse.store.migrations import frozen_rows")
    return f"op.invoke(frozen_rows.DropFrozenGuardOp({op.table_name!r}))"


# LAST: after the built-in table comparator, so a guard lands after its CREATE TABLE.
@comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
def _compare_frozen_guards(autogen_context: AutogenContext, upgrade_ops: UpgradeOps,
                           schemas: set[str | None]) -> PriorityDispatchResult:
    connection = autogen_context.connection
    if connection is None or None not in schemas:
        return PriorityDispatchResult.CONTINUE
    existing_tables = set(inspect(connection).get_table_names())
    metadatas = autogen_context.metadata
    for metadata in metadatas if isinstance(metadatas, list | tuple) else [metadatas]:
        if not isinstance(metadata, MetaData):
            continue
        for table in metadata.tables.values():
            # Missing, incomplete or an older rule: (re)installed, replacing what is there.
            missing = operation_if_missing(connection, table, existing_tables)
            if missing is not None:
                upgrade_ops.ops.append(missing)
    return PriorityDispatchResult.CONTINUE
