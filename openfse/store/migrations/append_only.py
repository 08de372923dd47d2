"""Append-only tables, enforced by database triggers, as Alembic operations.

A table declared with ``info={"append_only": True}`` (the journal) gets triggers that reject
``UPDATE`` and ``DELETE`` — and ``TRUNCATE`` on PostgreSQL — whoever issues them: the ORM, a
script, or someone at the SQL prompt. On SQLite a ``BEFORE INSERT`` trigger also refuses a row
colliding with an existing one on a unique key: ``REPLACE INTO`` would otherwise delete the old
line without firing the delete trigger (``openfse.store.migrations.guard_sql``).

- ``CreateAppendOnlyGuardOp("journal", keys=[["id"]])`` / ``DropAppendOnlyGuardOp("journal")``:
  migration operations (``op.invoke(...)``), one implementation per dialect (SQLite,
  PostgreSQL). Creating installs or replaces (a revision may re-run it on an older guard).
- An autogenerate comparator emits them when the database and the metadata disagree, so a
  regenerated initial revision keeps the guard, and ``compare_metadata`` reports a missing,
  disabled (PostgreSQL) or outdated guard like a missing column.

SQLite caveat: a batch migration that recreates a guarded table drops its triggers with the
old table; the comparator then reports the guard missing and the next autogenerate restores it.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import comparators, renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations
from alembic.operations.ops import UpgradeOps
from alembic.util import DispatchPriority, PriorityDispatchResult
from sqlalchemy import Connection, MetaData, Table, inspect, text

from openfse.store.migrations.guard_sql import (
    Keys,
    as_keys,
    sqlite_replace_check,
    triggers_on,
    unique_keys,
)

APPEND_ONLY_INFO_KEY = "append_only"
_GUARDED_ACTIONS = ("UPDATE", "DELETE")
DEFAULT_KEYS: Keys = (("id",),)  # the primary key, what 0001 knew of the journal


def is_append_only(table_info: dict[Any, Any]) -> bool:
    return bool(table_info.get(APPEND_ONLY_INFO_KEY, False))


def _sqlite_trigger(table: str, action: str) -> str:
    return f"{table}_append_only_{action.lower()}"


def _sqlite_replace_trigger(table: str) -> str:
    return _sqlite_trigger(table, "insert")


def _pg_function(table: str) -> str:
    return f"{table}_append_only_guard"


def _sqlite_replace_statement(table: str, keys: Keys) -> str | None:
    if not keys:
        return None
    message = f"append-only table {table}: a line cannot be replaced"
    return (f"CREATE TRIGGER {_sqlite_replace_trigger(table)} BEFORE INSERT ON {table} "
            f"WHEN {sqlite_replace_check(table, keys, '1', updating=False)} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def guard_statements(dialect: str, table: str, keys: Keys = DEFAULT_KEYS) -> list[str]:
    """DDL creating the guard on ``table`` for ``dialect`` ("sqlite" or "postgresql");
    ``keys``: the table's unique keys (SQLite refuses an insert colliding on one of them)."""
    message = f"append-only table {table}: UPDATE, DELETE and TRUNCATE are refused"
    if dialect == "sqlite":
        replace = _sqlite_replace_statement(table, as_keys(keys))
        return [
            *(f"CREATE TRIGGER {_sqlite_trigger(table, action)} BEFORE {action} ON {table} "
              f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
              for action in _GUARDED_ACTIONS),
            *([replace] if replace else []),
        ]
    if dialect == "postgresql":
        function = _pg_function(table)
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$guard$ BEGIN RAISE EXCEPTION '{message}' "
            f"USING ERRCODE = 'integrity_constraint_violation'; END $guard$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_append_only_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    raise NotImplementedError(f"no append-only guard for dialect {dialect!r}")


def unguard_statements(dialect: str, table: str) -> list[str]:
    """DDL removing the guard from ``table``."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {_sqlite_trigger(table, action)}"
                for action in (*_GUARDED_ACTIONS, "insert")]
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_append_only_truncate ON {table}",
            f"DROP FUNCTION IF EXISTS {_pg_function(table)}()",
        ]
    raise NotImplementedError(f"no append-only guard for dialect {dialect!r}")


def trigger_names(dialect: str, table: str, keys: Keys = DEFAULT_KEYS) -> set[str]:
    """The triggers of the guard on ``table``."""
    if dialect == "sqlite":
        actions = (*_GUARDED_ACTIONS, "insert") if keys else _GUARDED_ACTIONS
        return {_sqlite_trigger(table, action) for action in actions}
    if dialect == "postgresql":
        return {f"{table}_append_only", f"{table}_append_only_truncate"}
    raise NotImplementedError(f"no append-only guard for dialect {dialect!r}")


def has_guard(connection: Connection, table: str, keys: Keys = DEFAULT_KEYS) -> bool:
    """True when every trigger of the guard exists (and is enabled) on ``table``, the SQLite
    REPLACE check on the unique ``keys`` given."""
    dialect = connection.dialect.name
    keys = as_keys(keys)
    if not trigger_names(dialect, table, keys) <= triggers_on(connection, table,
                                                               enabled_only=True):
        return False
    if dialect == "sqlite" and keys:
        # SQLite keeps the CREATE TRIGGER text as written: an older check (other keys) differs.
        stored = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
            {"n": _sqlite_replace_trigger(table)}).scalar()
        return bool(stored == _sqlite_replace_statement(table, keys))
    return True


def operation_if_missing(connection: Connection, table: Table,
                         existing_tables: set[str]) -> CreateAppendOnlyGuardOp | None:
    """The operation installing ``table``'s guard when the model wants one and the database
    lacks it (or has it disabled or outdated); None otherwise."""
    if table.schema is not None or not is_append_only(table.info):
        return None
    keys = unique_keys(table)
    if table.name in existing_tables and has_guard(connection, table.name, keys):
        return None
    return CreateAppendOnlyGuardOp(table.name, keys=keys)


@Operations.register_operation("create_append_only_guard")
class CreateAppendOnlyGuardOp(MigrateOperation):
    """Install (or replace) the triggers that make ``table_name`` append-only; ``keys``: its
    unique keys (default: the primary key ``id``)."""

    def __init__(self, table_name: str, keys: Keys | list[list[str]] = DEFAULT_KEYS) -> None:
        self.table_name = table_name
        self.keys = as_keys(keys)

    @classmethod
    def create_append_only_guard(cls, operations: Operations, table_name: str,
                                 keys: Keys | list[list[str]] = DEFAULT_KEYS) -> None:
        operations.invoke(cls(table_name, keys))

    def reverse(self) -> DropAppendOnlyGuardOp:
        return DropAppendOnlyGuardOp(self.table_name)

    def to_diff_tuple(self) -> tuple[str, str]:
        return ("add_append_only_guard", self.table_name)


@Operations.register_operation("drop_append_only_guard")
class DropAppendOnlyGuardOp(MigrateOperation):
    """Remove the append-only triggers of ``table_name``."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @classmethod
    def drop_append_only_guard(cls, operations: Operations, table_name: str) -> None:
        operations.invoke(cls(table_name))

    def reverse(self) -> CreateAppendOnlyGuardOp:
        return CreateAppendOnlyGuardOp(self.table_name)

    def to_diff_tuple(self) -> tuple[str, str]:
        return ("remove_append_only_guard", self.table_name)


@Operations.implementation_for(CreateAppendOnlyGuardOp)
def _create_guard(operations: Operations, operation: CreateAppendOnlyGuardOp) -> None:
    dialect = operations.get_context().dialect.name
    for statement in (*unguard_statements(dialect, operation.table_name),
                      *guard_statements(dialect, operation.table_name, operation.keys)):
        operations.execute(statement)


@Operations.implementation_for(DropAppendOnlyGuardOp)
def _drop_guard(operations: Operations, operation: DropAppendOnlyGuardOp) -> None:
    dialect = operations.get_context().dialect.name
    for statement in unguard_statements(dialect, operation.table_name):
        operations.execute(statement)


# Rendered as op.invoke(<operation>): explicit and type-checkable in the revision file.
@renderers.dispatch_for(CreateAppendOnlyGuardOp)
@renderers.dispatch_for(DropAppendOnlyGuardOp)
def _render_guard_op(autogen_context: AutogenContext,
                     op: CreateAppendOnlyGuardOp | DropAppendOnlyGuardOp) -> str:
    autogen_context.imports.add("from openfse.store.migrations import append_only")
    keys = ""
    if isinstance(op, CreateAppendOnlyGuardOp) and op.keys != DEFAULT_KEYS:
        keys = f", keys={[list(key) for key in op.keys]!r}"
    return f"op.invoke(append_only.{type(op).__name__}({op.table_name!r}{keys}))"


# LAST: runs after the built-in table comparator, so a guard lands after its CREATE TABLE.
@comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
def _compare_guards(autogen_context: AutogenContext, upgrade_ops: UpgradeOps,
                    schemas: set[str | None]) -> PriorityDispatchResult:
    connection = autogen_context.connection
    if connection is None or None not in schemas:
        return PriorityDispatchResult.CONTINUE
    existing = set(inspect(connection).get_table_names())
    metadatas = autogen_context.metadata
    for metadata in metadatas if isinstance(metadatas, list | tuple) else [metadatas]:
        if not isinstance(metadata, MetaData):
            continue
        for table in metadata.tables.values():
            if table.schema is not None:
                continue
            missing = operation_if_missing(connection, table, existing)
            if missing is not None:
                upgrade_ops.ops.append(missing)
            elif (not is_append_only(table.info) and table.name in existing
                  and has_guard(connection, table.name, unique_keys(table))):
                upgrade_ops.ops.append(DropAppendOnlyGuardOp(table.name))
    return PriorityDispatchResult.CONTINUE
