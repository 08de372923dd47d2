"""The frozen-rows guard as a schema object: migrations create it, and a missing or outdated
guard is a schema difference (autogenerate recreates it), like a missing column."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, Table, text

from openfse.store.db import make_engine
from openfse.store.migrations import frozen_rows, target_metadata, upgrade


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, target_metadata()))
    finally:
        engine.dispose()


@pytest.fixture
def url(tmp_path: Path) -> str:
    database = f"sqlite:///{tmp_path / 'schema.db'}"
    upgrade(database)
    return database


def test_the_migrated_schema_has_every_guard(url: str) -> None:
    assert _differences(url) == []
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            for table in ("invoice", "invoice_act", "invoice_attachment"):
                guard = frozen_rows.guard_of(target_metadata().tables[table])
                assert guard is not None
                assert guard.trigger_names("sqlite") <= frozen_rows.existing_guards(
                    connection, table)
    finally:
        engine.dispose()


def test_a_missing_guard_is_a_schema_difference(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            name = sorted(frozen_rows.existing_guards(connection, "invoice_act"))[0]
            connection.execute(text(f"DROP TRIGGER {name}"))
    finally:
        engine.dispose()
    assert ("add_frozen_guard", "invoice_act") in _differences(url)


def test_a_rule_that_changed_is_replaced() -> None:
    # A new column of the model is frozen unless declared mutable: the digest (hence the
    # trigger names) changes, and the comparator replaces the old guard.
    def table(*extra: str) -> Table:
        return Table("doc", MetaData(), Column("id", Integer, primary_key=True),
                     Column("status", String), *(Column(name, String) for name in extra),
                     info={"frozen_rows": {"column": "status", "unfrozen": ["draft"],
                                           "mutable": ["status"]}})

    before, after = frozen_rows.guard_of(table()), frozen_rows.guard_of(table("note"))
    assert before is not None and after is not None
    assert after.frozen == ("id", "note") and before.frozen == ("id",)
    assert before.base_name != after.base_name
    statements = frozen_rows.guard_statements("postgresql", after)
    assert 'ROW(OLD."id"::text, OLD."note"::text) IS DISTINCT FROM' in statements[0]


def test_a_mutable_column_must_exist() -> None:
    wrong = Table("doc", MetaData(), Column("id", Integer, primary_key=True),
                  info={"frozen_rows": {"column": "id", "unfrozen": ["0"],
                                        "mutable": ["nope"]}})
    with pytest.raises(ValueError, match="nope"):
        frozen_rows.guard_of(wrong)
    guard = frozen_rows.FrozenGuard("doc", "id", ("0",), ("id",))
    with pytest.raises(NotImplementedError):
        frozen_rows.guard_statements("mysql", guard)
