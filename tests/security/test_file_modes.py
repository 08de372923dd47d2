"""Issue 12, finding 17: the data directory is 0700, the database, the session key and the
backups are 0600 — under a permissive umask too, and files an older version left wider are
tightened at start (on SQLite and PostgreSQL: the key and the backups live in the home either
way).

Lots are not written to disk (built in memory and sent by SMTP, kept in the database); the
files set aside in quarantine are created 0600 (``tempfile.mkstemp``) inside the home.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openfse.config import Settings
from openfse.services.backup import create_backup, default_backup_dir
from openfse.services.setup import initialise
from openfse.store.db import DB_FILENAME
from openfse.web.session import SECRET_FILE, secret_key
from security.databases import backend, fresh_settings, pg, release  # noqa: F401

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)  # everything anyone creates is world-writable unless told otherwise
    try:
        yield
    finally:
        os.umask(previous)


def _private(settings: Settings) -> dict[str, int]:
    """Mode of every file and directory of the home (and the SQLite database, wherever)."""
    found = {str(path.relative_to(settings.home)): mode(path)
             for path in [settings.home, *settings.home.rglob("*")] if not path.is_symlink()}
    return {name: value for name, value in found.items()
            if value & 0o077 or (Path(settings.home, name).is_dir() and value != 0o700)}


def test_a_new_home_is_private_under_a_permissive_umask(
        backend: str, pg: Any, tmp_path: Path, permissive_umask: None) -> None:  # noqa: F811
    home = tmp_path / "new-home"
    settings = fresh_settings(backend, home, pg) if backend == "postgresql" else Settings(
        home=home, database_url=f"sqlite:///{home / DB_FILENAME}")
    try:
        initialise(settings)
        secret_key(settings.home)
        report = create_backup(settings, now=NOW)

        assert mode(settings.home) == 0o700
        assert mode(settings.home / SECRET_FILE) == 0o600
        assert mode(default_backup_dir(settings)) == 0o700
        assert mode(report.path) == 0o600
        if settings.is_sqlite:
            assert mode(settings.home / DB_FILENAME) == 0o600
            for side in ("-wal", "-shm"):
                path = Path(f"{settings.home / DB_FILENAME}{side}")
                assert not path.exists() or mode(path) == 0o600
        assert _private(settings) == {}
    finally:
        release(settings)


def test_wider_modes_left_by_an_older_version_are_tightened_at_start(
        backend: str, pg: Any, tmp_path: Path, permissive_umask: None) -> None:  # noqa: F811
    home = tmp_path / "old-home"
    settings = fresh_settings(backend, home, pg)
    try:
        initialise(settings)
        secret_key(settings.home)
        old_backup = default_backup_dir(settings) / "openfse-20250101-000000.ofsbak"
        old_backup.parent.mkdir(exist_ok=True)
        old_backup.write_bytes(b"an old backup")
        # What an older openfse (or a copy with cp) leaves: readable by everyone.
        for path in (home, old_backup.parent):
            path.chmod(0o755)
        for path in home.rglob("*"):
            if path.is_file():
                path.chmod(0o644)
        assert _private(settings) != {}

        initialise(settings)  # the next start

        assert _private(settings) == {}
        assert mode(home) == 0o700 and mode(old_backup) == 0o600
    finally:
        release(settings)
