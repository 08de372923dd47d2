"""Databases for the security tests that must hold on SQLite AND PostgreSQL (issue 12).

``fresh_settings(backend, home, pg)`` gives settings on a new, migrated database: a SQLite file
in ``home``, or a new database on the PostgreSQL server of ``tests/pg_support.py`` (skipped,
with the reason, when it does not answer). The ``backend`` and ``pg`` fixtures are imported by
the test modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_support import PostgresDatabases, admin_or_skip  # tests/pg_support.py

from openfse.config import Settings
from openfse.services.setup import engine_for
from openfse.store.db import make_engine
from openfse.store.migrations import upgrade

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def pg(backend: str) -> Iterator[PostgresDatabases | None]:
    """The module's PostgreSQL databases (None on SQLite), dropped at the end."""
    if backend != "postgresql":
        yield None
        return
    databases = PostgresDatabases(admin_or_skip(), "openfse_security")
    try:
        yield databases
    finally:
        databases.drop_all()
        databases.admin.dispose()


def fresh_settings(backend: str, home: Path, pg: PostgresDatabases | None) -> Settings:
    """Settings on a new database brought to the latest schema (no cabinet yet)."""
    env = {"OPENFSE_HOME": str(home)}
    if backend == "postgresql":
        assert pg is not None
        env["OPENFSE_DATABASE_URL"] = pg.url(pg.create())
    settings = Settings.from_env(env)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return settings


def execute(settings: Settings, *statements: str) -> None:
    """Raw SQL, as someone at the SQL prompt would type it, in one transaction."""
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def release(settings: Settings) -> None:
    """Close the process-wide engine of ``settings`` (before its database is dropped)."""
    engine_for(settings).dispose()
