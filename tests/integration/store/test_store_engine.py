"""Engine set-up: SQLite pragmas on every connection, PostgreSQL pool, default location."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from openfse.store.db import SQLITE_BUSY_TIMEOUT_MS, database_url, make_engine

only_sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
only_postgresql = pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


@only_sqlite
def test_sqlite_connections_have_foreign_keys_wal_normal_sync_and_busy_timeout(
        engine: Engine) -> None:
    with engine.connect() as connection:
        pragma = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout")}

    # synchronous: 0 OFF, 1 NORMAL, 2 FULL (https://www.sqlite.org/pragma.html)
    assert pragma == {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 1,
                      "busy_timeout": SQLITE_BUSY_TIMEOUT_MS}


def test_sqlite_refuses_a_row_pointing_at_a_missing_cabinet(engine: Engine) -> None:
    # SQLite ignores foreign keys unless the pragma is on: this proves it is.
    with pytest.raises(IntegrityError, match="(?i)foreign key"), engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO prescriber (cabinet_id, last_name, search_name, created_at, updated_at)"
            " VALUES (999, 'X', 'X', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))


@only_sqlite
def test_sqlite_transactions_support_savepoints(engine: Engine) -> None:
    # The explicit BEGIN recipe is what makes SAVEPOINT (begin_nested) reliable on pysqlite.
    with engine.connect() as connection:
        with connection.begin():
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            nested = connection.begin_nested()
            connection.execute(text("INSERT INTO t VALUES (2)"))
            nested.rollback()
        assert connection.execute(text("SELECT x FROM t")).scalars().all() == [1]


@only_postgresql
def test_postgresql_engine_pools_and_pings(engine: Engine) -> None:
    assert engine.dialect.driver == "psycopg"
    assert engine.pool.size() == 5  # type: ignore[attr-defined]
    assert engine.pool._pre_ping is True  # type: ignore[attr-defined]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_default_database_is_a_wal_sqlite_file_under_openfse_home(tmp_path: Path) -> None:
    home = tmp_path / "home with space" / "openfse"
    url = database_url({"OPENFSE_HOME": str(home)})

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        engine.dispose()

    assert mode == "wal"
    assert (home / "openfse.db").is_file()  # the directory was created on first use
