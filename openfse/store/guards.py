"""Are the immutability guards of the live database in place?

The journal is append-only and validated invoices are frozen **in the database**
(``openfse.store.migrations.append_only`` and ``frozen_rows``). Whoever can run DDL can drop
or disable those triggers; the application then must not run on, back up, or restore such a
database as if nothing happened. ``missing_guards`` lists what is absent, disabled or outdated
compared with the models — the same answer the autogenerate comparators give —, and
``require_guards`` turns it into a refusal with a French message. ``reinstall_guards`` puts
them back (``openfse init --reinstall-guards``), once someone has checked the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic.operations import MigrateOperation, Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from openfse.errors import OpenFSEError
from openfse.store.migrations import append_only, frozen_rows, target_metadata
from openfse.store.migrations.guard_sql import triggers_on, unique_keys

# What the tables are to the people reading the message.
_LABELS = {
    "journal": "journal",
    "invoice": "factures",
    "invoice_act": "actes des factures",
    "invoice_attachment": "pièces jointes des factures",
}


class GuardsMissing(OpenFSEError):
    code = "immutability_guards_missing"


@dataclass(frozen=True, slots=True)
class MissingGuard:
    table: str
    operation: MigrateOperation  # what installs it

    @property
    def label(self) -> str:
        return _LABELS.get(self.table, self.table)


def missing_guards(connection: Connection, *, exact: bool = True) -> list[MissingGuard]:
    """The guards the models declare that the database lacks, has disabled, or has in an older
    form. ``exact=False`` (a database at an older schema revision, whose guards are those of
    that revision): only a guarded table without any guard trigger at all is reported."""
    existing = set(inspect(connection).get_table_names())
    missing: list[MissingGuard] = []
    for table in target_metadata().tables.values():
        for module in (append_only, frozen_rows):
            operation = module.operation_if_missing(connection, table, existing)
            if operation is None or (table.name not in existing) or (
                    not exact and _has_some_guard(connection, table.name)):
                continue
            missing.append(MissingGuard(table.name, operation))
    return missing


def required_triggers(dialect: str) -> dict[str, set[str]]:
    """The trigger names every guarded table must have on ``dialect`` (a restore checks them
    inside its transaction)."""
    required: dict[str, set[str]] = {}
    for table in target_metadata().tables.values():
        if table.schema is not None:
            continue
        if append_only.is_append_only(table.info):
            required.setdefault(table.name, set()).update(
                append_only.trigger_names(dialect, table.name, unique_keys(table)))
        guard = frozen_rows.guard_of(table)
        if guard is not None:
            required.setdefault(table.name, set()).update(guard.trigger_names(dialect))
    return required


def _has_some_guard(connection: Connection, table: str) -> bool:
    names = triggers_on(connection, table, enabled_only=True)
    return any(name.startswith((f"{table}_append_only", f"{table}_frozen_")) for name in names)


def describe(missing: list[MissingGuard]) -> str:
    return ", ".join(sorted({guard.label for guard in missing}))


def require_guards(connection: Connection, *, exact: bool = True) -> None:
    """Raise ``GuardsMissing`` unless every guard is in place."""
    missing = missing_guards(connection, exact=exact)
    if missing:
        raise GuardsMissing(
            "Les protections qui empêchent de modifier ou d'effacer le journal et les factures "
            f"validées sont absentes ou désactivées dans la base ({describe(missing)}). Elle a "
            "pu être modifiée hors d'openfse : faites-la vérifier (ou restaurez une sauvegarde "
            "saine), puis réinstallez les protections avec « openfse init "
            "--reinstall-guards ».")


def reinstall_guards(connection: Connection) -> list[MissingGuard]:
    """Install every missing guard (in the caller's transaction); what was installed."""
    missing = missing_guards(connection)
    operations = Operations(MigrationContext.configure(connection))
    for guard in missing:
        operations.invoke(guard.operation)
    return missing
