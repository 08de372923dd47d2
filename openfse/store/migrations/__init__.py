"""Schema migrations (Alembic), shipped inside the package and driven from Python.

>>> upgrade("sqlite:////tmp/openfse.db")          # doctest: +SKIP
>>> make_revision("add invoice table")            # doctest: +SKIP

Command line (same functions)::

    python -m openfse.store.migrations upgrade [--url URL]
    python -m openfse.store.migrations current [--url URL]
    python -m openfse.store.migrations revision -m "add invoice table"
    python -m openfse.store.migrations revision --initial   # regenerate 0001 from scratch

``make_revision`` autogenerates against a scratch SQLite database brought to the current
head, so it needs no server and sees exactly what the existing revisions create. Always read
the generated file before committing it.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

# Registers the op.create_append_only_guard operation and its autogenerate comparator.
from openfse.store.migrations import append_only  # noqa: F401

MIGRATIONS_DIR = Path(__file__).resolve().parent

# Every module that declares tables. Optional ones are imported when present (the CCAM
# tables are written by another part of the project).
MODEL_MODULES = ("openfse.store.models", "openfse.store.journal")
OPTIONAL_MODEL_MODULES = ("openfse.store.ccam",)


def target_metadata() -> MetaData:
    """``Base.metadata`` with every table of the product registered."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    for name in OPTIONAL_MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:  # the module exists but one of *its* imports is missing
                raise
    from openfse.store.base import Base

    return Base.metadata


def alembic_config(connection: Connection | None = None, url: str | None = None, *,
                   directory: Path = MIGRATIONS_DIR) -> Config:
    """Programmatic Alembic configuration (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(directory))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _connection(target: Engine | Connection | str) -> Iterator[Connection]:
    from openfse.store.db import make_engine

    if isinstance(target, Connection):
        yield target
        return
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        if isinstance(target, str):
            engine.dispose()


def upgrade(target: Engine | Connection | str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the latest)."""
    with _connection(target) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(target: Engine | Connection | str, revision: str) -> None:
    """Take the database back to ``revision`` (``"base"`` empties it)."""
    with _connection(target) as connection:
        command.downgrade(alembic_config(connection), revision)


def current_revision(target: Engine | Connection | str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with _connection(target) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The latest revision shipped with the package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def next_revision_id(directory: Path = MIGRATIONS_DIR) -> str:
    """Sequential ids ("0001", "0002"…) keep the history readable in a directory listing."""
    numbers = [int(m.group(1)) for p in (directory / "versions").glob("*.py")
               if (m := re.match(r"(\d{4})_", p.name))]
    return f"{max(numbers, default=0) + 1:04d}"


def make_revision(message: str, *, initial: bool = False,
                  directory: Path = MIGRATIONS_DIR) -> Path:
    """Autogenerate a revision file from the difference between the models and head.

    ``initial=True`` deletes the existing revision files first and regenerates ``0001`` from
    an empty database (only before the first release: deployed databases would lose track).
    """
    if initial:
        for old in (directory / "versions").glob("*.py"):
            old.unlink()
    with tempfile.TemporaryDirectory(prefix="openfse-revision-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.db'}"
        with _connection(url) as connection:
            config = alembic_config(connection, directory=directory)
            command.upgrade(config, "head")
            script = command.revision(config, message=message, autogenerate=True,
                                      rev_id=next_revision_id(directory))
    if script is None or isinstance(script, list):
        raise RuntimeError("alembic did not produce exactly one revision")
    path = Path(script.path)
    _tidy(path)
    return path


def _tidy(path: Path) -> None:
    """Format the generated file to the house style (ruff), when ruff is installed."""
    for args in (["format", "--quiet"], ["check", "--fix", "--quiet"]):
        subprocess.run([sys.executable, "-m", "ruff", *args, str(path)],
                       check=False, capture_output=True)
