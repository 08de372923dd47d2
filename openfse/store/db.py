"""Database location, engines and sessions.

- SQLite is the embedded default: one file, ``$OPENFSE_HOME/openfse.db`` (or
  ``~/.local/share/openfse/openfse.db``), in WAL mode so the web server can read while a
  writer commits.
- PostgreSQL serves several workstations: ``OPENFSE_DATABASE_URL=postgresql+psycopg://…``.

SQLite connections are set up on every connect (``_configure_sqlite``):
``foreign_keys=ON`` (off by default in SQLite!), ``journal_mode=WAL``,
``synchronous=NORMAL`` (durable in WAL mode except for the last transactions on power loss,
https://www.sqlite.org/pragma.html#pragma_synchronous), ``busy_timeout`` so a writer waits
for another instead of failing at once. The driver's own transaction handling is replaced by
an explicit ``BEGIN`` at the start of each SQLAlchemy transaction (the recipe of the
SQLAlchemy SQLite dialect docs, "Serializable isolation / Savepoints / Transactional DDL"):
reads then belong to the transaction, SAVEPOINT works and DDL is transactional.

**No patient data in logs.** The engines hide SQL parameters from error messages
(``hide_parameters``), and PostgreSQL error texts are cut to their first line
(``_keep_row_values_out``): the server's DETAIL repeats row values (« Key (nir)=(…) already
exists », « Failing row contains (…) »). Code that needs the details reads ``orig.diag``.

**Private files.** The SQLite database (and its ``-wal``/``-shm`` files, which SQLite creates
with the database's mode) is created 0600 before SQLite opens it, and tightened if it exists
(``openfse.store.files``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from openfse.errors import OpenFSEError
from openfse.store.files import private_file

ENV_DATABASE_URL = "OPENFSE_DATABASE_URL"
ENV_HOME = "OPENFSE_HOME"
DB_FILENAME = "openfse.db"
SQLITE_BUSY_TIMEOUT_MS = 5000

# PostgreSQL pool: a desk server has a handful of workstations; pre-ping survives server
# restarts, recycle stays under common idle-connection timeouts of proxies/firewalls.
POSTGRES_POOL = {
    "pool_size": 5,
    "max_overflow": 10,
    "pool_timeout": 30,
    "pool_recycle": 1800,
    "pool_pre_ping": True,
}
POSTGRES_CONNECT_TIMEOUT_S = 10
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class DatabaseConfigError(OpenFSEError):
    code = "database_config"


class HasDatabaseUrl(Protocol):
    """A settings object (the lead's config) exposing an optional database URL."""

    @property
    def database_url(self) -> str | None: ...


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Directory of the local data: ``$OPENFSE_HOME``, else ``$XDG_DATA_HOME/openfse``,
    else ``~/.local/share/openfse`` (the XDG base directory default)."""
    env = os.environ if env is None else env
    home = env.get(ENV_HOME)
    if home:
        return Path(home).expanduser()
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "openfse"


def default_sqlite_url(env: Mapping[str, str] | None = None) -> str:
    """URL of the default SQLite file, ``<data_dir>/openfse.db`` (absolute path)."""
    path = (data_dir(env) / DB_FILENAME).resolve()
    return URL.create("sqlite", database=str(path)).render_as_string()


def database_url(settings_or_env: HasDatabaseUrl | Mapping[str, str] | None = None) -> str:
    """The database URL: from settings (``.database_url``), else ``$OPENFSE_DATABASE_URL``,
    else the default SQLite file. The URL is checked (SQLite or PostgreSQL only)."""
    if settings_or_env is None or isinstance(settings_or_env, Mapping):
        env = os.environ if settings_or_env is None else settings_or_env
        url = env.get(ENV_DATABASE_URL) or default_sqlite_url(env)
    else:
        url = settings_or_env.database_url or database_url(None)
    return check_url(url).render_as_string(hide_password=False)


def check_url(url: str | URL) -> URL:
    """Parse a database URL and refuse backends openfse does not support."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseConfigError(
            "Adresse de base de données illisible (attendu : sqlite:///chemin/openfse.db ou "
            "postgresql+psycopg://utilisateur@hôte/base).", field=ENV_DATABASE_URL) from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseConfigError(
            f"Base de données non prise en charge : {parsed.get_backend_name()} "
            "(SQLite ou PostgreSQL).", field=ENV_DATABASE_URL)
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine configured for openfse (pragmas on SQLite, pool on PostgreSQL).

    Extra keyword arguments go to ``create_engine`` (e.g. ``echo=True``).
    """
    parsed = check_url(url)
    kwargs = {"hide_parameters": True, **kwargs}
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_file(parsed)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    options: dict[str, Any] = {**POSTGRES_POOL, **kwargs}
    if "connect_timeout" not in parsed.query:
        options.setdefault("connect_args", {}).setdefault("connect_timeout",
                                                          POSTGRES_CONNECT_TIMEOUT_S)
    engine = create_engine(parsed, **options)
    event.listen(engine, "handle_error", _keep_row_values_out)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for units of work.

    ``expire_on_commit=False``: objects a service returns stay readable after its unit of
    work has committed and closed (the web layer renders them); they are not refreshed.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


def _ensure_sqlite_file(url: URL) -> None:
    """The database file and its directory, made private before SQLite creates them with
    the umask's permissions (a directory that exists is left as it is: it may be shared)."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_file(path)
    for suffix in SQLITE_SIDE_FILES:
        side = Path(f"{path}{suffix}")
        if side.exists():
            private_file(side)


# A data exception's text may quote the value refused (« invalid input syntax for type date:
# "…" »); the other classes quote names of tables, columns and constraints only.
_QUOTED = re.compile(r'"[^"]*"')


def _keep_row_values_out(context: ExceptionContext) -> None:
    """Cut a PostgreSQL error text to its primary message (the DETAIL, HINT and CONTEXT
    lines, which repeat row values, go), in the driver's exception and in SQLAlchemy's, so
    neither a log line nor a traceback carries patient data."""
    original = context.original_exception
    diag = getattr(original, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if not primary:
        return  # raised by the driver itself (no server message): no row values in it
    sqlstate = getattr(original, "sqlstate", None) or ""
    if sqlstate.startswith("22"):
        primary = _QUOTED.sub('"…"', primary)
    original.args = (primary,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None:
        wrapped.args = (f"({type(original).__module__}.{type(original).__name__}) {primary}",)


def _configure_sqlite(dbapi_connection: Any, _connection_record: Any) -> None:
    # Autocommit at the driver level; SQLAlchemy's "begin" event emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")  # persistent; a no-op for :memory:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _begin_sqlite(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")
