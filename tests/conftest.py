"""Fixtures shared by every test level."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's shared reference folder (beside the repo); tests skip without it."""
    if not SHARED.is_dir():
        pytest.skip(f"shared reference folder not found at {SHARED}")
    return SHARED


@pytest.fixture()
def openfse_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory (SQLite database, simulator state) for one test."""
    home = tmp_path / "openfse-home"
    monkeypatch.setenv("OPENFSE_HOME", str(home))
    monkeypatch.delenv("OPENFSE_DATABASE_URL", raising=False)
    return home
