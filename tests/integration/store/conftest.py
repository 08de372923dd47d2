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

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pg_support import PostgresDatabases, admin_or_skip  # tests/pg_support.py
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from openfse.store.db import make_engine, session_factory
from openfse.store.migrations import upgrade
from openfse.store.models import Cabinet
from openfse.store.uow import UnitOfWork

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class SessionDatabases(PostgresDatabases):
    """The databases of one test session, with the migrated one the tests share."""

    def __init__(self, admin: Engine) -> None:
        super().__init__(admin, "openfse_test")
        self.shared: str | None = None

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


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[SessionDatabases]:
    databases = SessionDatabases(admin_or_skip())
    try:
        yield databases
    finally:
        databases.drop_all()
        databases.admin.dispose()


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
    databases: SessionDatabases = request.getfixturevalue("pg_databases")
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
    databases: SessionDatabases = request.getfixturevalue("pg_databases")
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
    with UnitOfWork(sessions, actor="test", actor_user_id=None) as uow:
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
                          actor=actor, actor_user_id=None)
    return make
