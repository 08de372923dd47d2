"""Store test fixtures: every store test runs on SQLite and on PostgreSQL.

- SQLite: a migrated template file is built once per session and copied for each test.
- PostgreSQL at ``$OPENFSE_TEST_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:
  5432/test``, as in CI): the session creates one database ``openfse_test_<random>_1``,
  migrates it, and the tests share it, **isolated by cabinet**: each test creates its own
  two cabinets (fixture ``cabinets``), so raw SQL in a test must filter on its cabinet.
  Tests of migrations get their own empty database. Every database of the session is
  dropped at the end, so parallel runs never collide. If the server is unreachable, the
  PostgreSQL variants are skipped with the reason.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from openfse.store.db import make_engine, session_factory
from openfse.store.migrations import upgrade
from openfse.store.models import Cabinet
from openfse.store.uow import UnitOfWork

PG_ADMIN_URL = os.environ.get("OPENFSE_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class PostgresDatabases:
    """Creates and drops the uniquely named databases of one test session."""

    def __init__(self, admin: Engine) -> None:
        self.admin = admin
        self.prefix = f"openfse_test_{uuid.uuid4().hex[:10]}"
        self.counter = itertools.count(1)
        self.shared: str | None = None
        self.created: list[str] = []

    def url(self, name: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def create(self) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
            # Throwaway data: commits need not wait for the disk (still atomic and isolated).
            connection.exec_driver_sql(f"ALTER DATABASE {name} SET synchronous_commit TO off")
        self.created.append(name)
        return name

    def migrated(self) -> str:
        """The session's database at head, shared by the tests (isolated by cabinet)."""
        if self.shared is None:
            name = self.create()
            engine = make_engine(self.url(name))
            try:
                upgrade(engine)
            finally:
                engine.dispose()
            self.shared = name
        return self.shared

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop(name)


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except OperationalError as error:
        admin.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {reason}")
    databases = PostgresDatabases(admin)
    try:
        yield databases
    finally:
        databases.drop_all()
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # last connection closed: WAL checkpointed into the main file
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (never migrated)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("pg_databases")
    name = databases.create()
    yield databases.url(name)
    databases.drop(name)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database at the head revision: a fresh file on SQLite, the shared one on PostgreSQL."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "openfse.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    databases: PostgresDatabases = request.getfixturevalue("pg_databases")
    return databases.url(databases.migrated())


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def cabinets(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Two cabinets: the one under test and a neighbour whose data must stay invisible."""
    with UnitOfWork(sessions) as uow:
        first = uow.cabinets.add(Cabinet(name="Cabinet des Lilas"))
        second = uow.cabinets.add(Cabinet(name="Cabinet du Port"))
        uow.commit()
        return first.id, second.id


@pytest.fixture
def cabinet_id(cabinets: tuple[int, int]) -> int:
    return cabinets[0]


@pytest.fixture
def make_uow(sessions: sessionmaker[Session], cabinet_id: int) -> Callable[..., UnitOfWork]:
    def make(cabinet: int | None = None, actor: str = "secretaire.test") -> UnitOfWork:
        return UnitOfWork(sessions, cabinet_id=cabinet_id if cabinet is None else cabinet,
                          actor=actor)
    return make
