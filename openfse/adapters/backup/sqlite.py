"""SQLite: online copy of the live database, checks, and atomic installation of a restored one.

- **Copy**: ``sqlite3.Connection.backup`` (the SQLite Online Backup API,
  https://www.sqlite.org/backup.html) in a single step. The database is in WAL mode, so the
  copy reads one consistent snapshot while the application keeps committing (readers never
  block writers in WAL, https://www.sqlite.org/wal.html); a step-by-step copy would restart
  at every concurrent commit instead. The copy is switched to a rollback journal, so the
  payload is one self-contained file, then checked with ``PRAGMA integrity_check`` and
  ``PRAGMA foreign_key_check``.
- **Install** a prepared (checked, upgraded) file over the live database:
  - no database yet: rename the file into place (``os.replace`` is atomic on POSIX);
  - a database exists: copy the prepared file *into* it with the same backup API. SQLite
    writes the destination in one write transaction: a crash or an error leaves the old
    database whole, and connections of a running server see the old or the new content,
    never a mix. Renaming over a live WAL database instead would pair the new file with
    the old ``-wal``/``-shm`` files (a documented way to corrupt a database: "mispairing
    database files and hot journals", https://www.sqlite.org/howtocorrupt.html) and lose
    the writes of a server still holding the old file open.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from openfse.adapters.backup.container import sync_directory
from openfse.adapters.backup.errors import (
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseMissing,
    DatabaseWriteFailed,
)
from openfse.store.db import SQLITE_BUSY_TIMEOUT_MS

PAYLOAD_FORMAT = "sqlite3"
LOCK_TIMEOUT_S = 30.0  # how long a copy waits for another connection's write to finish
_SIDE_FILES = ("-wal", "-shm", "-journal")


def database_path(url: str) -> Path:
    """The file of a ``sqlite:///…`` URL (an in-memory database cannot be backed up)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise DatabaseMissing(
            "Base SQLite en mémoire ou adresse non prise en charge : rien à sauvegarder.",
            field="OPENFSE_DATABASE_URL")
    return Path(database).expanduser().resolve()


def copy_online(source: Path, destination: Path, *, timeout: float = LOCK_TIMEOUT_S) -> str:
    """Copy the live database ``source`` to the new file ``destination``, consistently even
    while others write; return the SQLite library version."""
    if not source.is_file():
        raise DatabaseMissing(
            f"Aucune base de données à sauvegarder ({source} n'existe pas) : lancez d'abord "
            "« openfse init ».", field="OPENFSE_DATABASE_URL")
    # The destination is created 0600 before SQLite opens it: it holds health data.
    os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with _open(source, timeout) as live, _open(destination, timeout) as copy:
        try:
            _copy(live, copy, timeout)
        except sqlite3.DatabaseError as error:
            raise DatabaseDamaged(f"Base SQLite illisible ({source}) : {error}.") from None
    use_rollback_journal(destination)
    check_integrity(destination)
    return sqlite3.sqlite_version


def use_rollback_journal(path: Path) -> None:
    """Leave ``path`` as one self-contained file (no ``-wal`` beside it)."""
    with _open(path) as connection:
        connection.execute("PRAGMA journal_mode=DELETE").fetchone()


def check_integrity(path: Path) -> None:
    """``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` must both be clean."""
    with _open(path) as connection:
        try:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            orphans = connection.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.DatabaseError as error:
            raise DatabaseDamaged(f"Base SQLite illisible : {error}.") from None
    if problems != ["ok"]:
        raise DatabaseDamaged("Base SQLite endommagée (PRAGMA integrity_check) : "
                              + "; ".join(problems[:5]))
    if orphans:
        tables = sorted({row[0] for row in orphans})
        raise DatabaseDamaged("Références cassées dans la base (PRAGMA foreign_key_check) : "
                              + ", ".join(tables))


def install(prepared: Path, target: Path, *, timeout: float = LOCK_TIMEOUT_S) -> None:
    """Make ``target`` hold exactly the database ``prepared``, atomically (module doc).
    ``prepared`` is consumed."""
    if not target.exists():
        # Side files without their database belong to nothing; left there, SQLite would
        # replay them into the new file.
        for suffix in _SIDE_FILES:
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(prepared, target)
        sync_directory(target.parent)
        return
    try:
        with _open(target, timeout) as live, _open(prepared, timeout) as source:
            page_size = live.execute("PRAGMA page_size").fetchone()[0]
            if source.execute("PRAGMA page_size").fetchone()[0] != page_size:
                # A WAL destination cannot change its page size during a backup
                # (SQLITE_READONLY): rebuild the prepared copy with the live page size first.
                source.execute(f"PRAGMA page_size={int(page_size)}")
                source.execute("VACUUM")
            _copy(source, live, timeout)  # one write transaction on the live database
            if live.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                live.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as error:
        raise DatabaseWriteFailed(
            f"Écriture de la base {target} impossible ({error}) : elle est restée telle "
            "qu'elle était.") from None
    prepared.unlink()


def sqlite_url(path: Path) -> str:
    return URL.create("sqlite", database=str(path)).render_as_string()


@contextmanager
def reading(path: Path) -> Iterator[Connection]:
    """A SQLAlchemy connection to a database file, without openfse's connection set-up (no
    WAL switch): for reading a copy."""
    engine = create_engine(sqlite_url(path), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _copy(source: sqlite3.Connection, destination: sqlite3.Connection, timeout: float) -> None:
    """The backup API, all pages in one step, giving up after ``timeout`` seconds of waiting
    for a lock (CPython retries a busy step forever; the progress callback may abort)."""
    deadline = time.monotonic() + timeout

    def give_up_when_late(_status: int, _remaining: int, _total: int) -> None:
        if time.monotonic() > deadline:
            raise DatabaseBusy(
                "La base est occupée par une autre écriture depuis plus de "
                f"{timeout:.0f} s : arrêtez « openfse serve » puis relancez. Rien n'a été "
                "modifié.")

    source.backup(destination, progress=give_up_when_late, sleep=0.05)


def _open(path: Path, busy_timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000,
          ) -> closing[sqlite3.Connection]:
    # Autocommit: the backup API and the pragmas manage their own transactions.
    return closing(sqlite3.connect(path, timeout=busy_timeout, isolation_level=None))
