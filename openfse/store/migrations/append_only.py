"""Append-only tables, enforced by database triggers, as Alembic operations.

A table declared with ``info={"append_only": True}`` (the journal) gets triggers that reject
``UPDATE`` and ``DELETE`` — and ``TRUNCATE`` on PostgreSQL — whoever issues them: the ORM, a
script, or someone at the SQL prompt.

- ``CreateAppendOnlyGuardOp("journal")`` / ``DropAppendOnlyGuardOp("journal")``: migration
  operations (``op.invoke(...)``, or ``op.create_append_only_guard("journal")``), one
  implementation per dialect (SQLite, PostgreSQL).
- An autogenerate comparator emits them when the database and the metadata disagree, so a
  regenerated initial revision keeps the guard, and ``compare_metadata`` reports a missing
  guard like a missing column.

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
from sqlalchemy import Connection, MetaData, inspect, text

APPEND_ONLY_INFO_KEY = "append_only"
_GUARDED_ACTIONS = ("UPDATE", "DELETE")


def is_append_only(table_info: dict[Any, Any]) -> bool:
    return bool(table_info.get(APPEND_ONLY_INFO_KEY, False))


def _sqlite_trigger(table: str, action: str) -> str:
    return f"{table}_append_only_{action.lower()}"


def _pg_function(table: str) -> str:
    return f"{table}_append_only_guard"


def guard_statements(dialect: str, table: str) -> list[str]:
    """DDL creating the guard on ``table`` for ``dialect`` ("sqlite" or "postgresql")."""
    message = f"append-only table {table}: UPDATE, DELETE and TRUNCATE are refused"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {_sqlite_trigger(table, action)} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for action in _GUARDED_ACTIONS
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
                for action in _GUARDED_ACTIONS]
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_append_only_truncate ON {table}",
            f"DROP FUNCTION IF EXISTS {_pg_function(table)}()",
        ]
    raise NotImplementedError(f"no append-only guard for dialect {dialect!r}")


def has_guard(connection: Connection, table: str) -> bool:
    """True when every trigger of the guard exists on ``table``."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        names = {_sqlite_trigger(table, action) for action in _GUARDED_ACTIONS}
        found = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table}).scalars().all()
        return names <= set(found)
    if dialect == "postgresql":
        names = {f"{table}_append_only", f"{table}_append_only_truncate"}
        found = connection.execute(
            text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                 "AND tgrelid = to_regclass(:t)"), {"t": table}).scalars().all()
        return names <= set(found)
    raise NotImplementedError(f"no append-only guard for dialect {dialect!r}")


@Operations.register_operation("create_append_only_guard")
class CreateAppendOnlyGuardOp(MigrateOperation):
    """Install the triggers that make ``table_name`` append-only."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @classmethod
    def create_append_only_guard(cls, operations: Operations, table_name: str) -> None:
        operations.invoke(cls(table_name))

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
    for statement in guard_statements(dialect, operation.table_name):
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
    return f"op.invoke(append_only.{type(op).__name__}({op.table_name!r}))"


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
            wanted = is_append_only(table.info)
            present = table.name in existing and has_guard(connection, table.name)
            if wanted and not present:
                upgrade_ops.ops.append(CreateAppendOnlyGuardOp(table.name))
            elif present and not wanted:
                upgrade_ops.ops.append(DropAppendOnlyGuardOp(table.name))
    return PriorityDispatchResult.CONTINUE
