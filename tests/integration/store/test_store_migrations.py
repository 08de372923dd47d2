"""Migrations: from an empty database to head, schema identical to the models, and back."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from openfse.store.db import make_engine
from openfse.store.migrations import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    make_revision,
    target_metadata,
    upgrade,
)


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, target_metadata()))
    finally:
        engine.dispose()


def test_upgrade_from_empty_gives_exactly_the_schema_of_the_models(empty_db_url: str) -> None:
    assert current_revision(empty_db_url) is None

    upgrade(empty_db_url)

    assert current_revision(empty_db_url) == head_revision()
    assert _differences(empty_db_url) == []
    # The same check through env.py (render_as_batch, append-only comparator, type
    # rendering): `alembic check` raises if a new revision would contain operations.
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as connection:
            command.check(alembic_config(connection))
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert set(target_metadata().tables) <= tables


def test_a_missing_append_only_guard_is_a_schema_difference(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.execute(text("DROP TRIGGER journal_append_only_delete"))
            else:
                connection.execute(text("DROP TRIGGER journal_append_only ON journal"))
    finally:
        engine.dispose()

    assert ("add_append_only_guard", "journal") in _differences(empty_db_url)


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(
        empty_db_url: str) -> None:
    upgrade(empty_db_url)

    downgrade(empty_db_url, "base")

    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(empty_db_url)
    assert _differences(empty_db_url) == []


def test_a_regenerated_initial_revision_builds_the_same_schema(tmp_path: Path) -> None:
    # What the lead runs at integration: `python -m openfse.store.migrations revision
    # --initial`, here on a copy of the migrations directory.
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory,
                    ignore=shutil.ignore_patterns("__pycache__"))

    path = make_revision("initial schema", initial=True, directory=directory)

    assert [p.name for p in (directory / "versions").glob("*.py")] == [
        "0001_initial_schema.py"] == [path.name]
    assert "append_only.CreateAppendOnlyGuardOp('journal')" in path.read_text().replace(
        '"', "'")
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            command.upgrade(alembic_config(connection, directory=directory), "head")
    finally:
        engine.dispose()
    assert _differences(url) == []
