"""PostgreSQL for the tests that also run on it (store, backups, invoice numbering).

The server is ``$OPENFSE_TEST_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:
5432/test``, as in CI). ``admin_or_skip`` skips the test, with the reason, when it does not
answer; ``PostgresDatabases`` creates uniquely named databases, so parallel runs never
collide, and drops them at the end.
"""

from __future__ import annotations

import itertools
import os
import uuid

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

PG_ADMIN_URL = os.environ.get("OPENFSE_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def admin_or_skip() -> Engine:
    """An AUTOCOMMIT engine on the server (to create databases), or skip: not reachable."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except OperationalError as error:
        admin.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {reason}")
    return admin


class PostgresDatabases:
    """Creates and drops uniquely named databases (``<stem>_<random>_<n>``)."""

    def __init__(self, admin: Engine, stem: str) -> None:
        self.admin = admin
        self.prefix = f"{stem}_{uuid.uuid4().hex[:10]}"
        self.counter = itertools.count(1)
        self.created: list[str] = []

    def url(self, name: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template``."""
        name = f"{self.prefix}_{next(self.counter)}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}{clause}")
            # Throwaway data: commits need not wait for the disk (still atomic and isolated).
            connection.exec_driver_sql(f"ALTER DATABASE {name} SET synchronous_commit TO off")
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop(name)
