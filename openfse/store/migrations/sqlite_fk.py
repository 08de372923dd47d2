"""Foreign keys during SQLite migrations: off while tables are rebuilt, checked before commit.

A batch migration rebuilds a table by copying it into a new one and dropping the old one;
with ``foreign_keys=ON`` the drop would cascade or fail. SQLite's own procedure for schema
changes (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
Changes") is: disable foreign keys, change, run ``PRAGMA foreign_key_check``, re-enable.
The pragma is a no-op inside a transaction, so it is sent on the raw driver connection
before the migration transaction begins.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, run the block with foreign keys disabled, then enable them again."""
    if connection.dialect.name != "sqlite" or connection.in_transaction():
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")


def assert_foreign_keys_consistent(connection: Connection) -> None:
    """Raise if any row breaks a foreign key (SQLite only; PostgreSQL checks as it goes)."""
    if connection.dialect.name != "sqlite":
        return
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        raise RuntimeError(f"migration leaves broken foreign keys: {problems[:10]}")
