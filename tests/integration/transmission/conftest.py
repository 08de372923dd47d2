"""Fixtures of the transmission integration tests: the simulated caisse as a real process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from caisse_process import CaisseProcess


@pytest.fixture(scope="module")
def caisse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaisseProcess]:
    """One simulator for the module, returns released on demand, no random outcome (tests
    use their own mailbox, lot dates and invoice numbers so they do not see each other)."""
    process = CaisseProcess.start(
        tmp_path_factory.mktemp("caisse") / "data",
        "--release",
        "manual",
        "--reject-rate",
        "0",
        "--partial-rate",
        "0",
        "--late-rate",
        "0",
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def fresh_dir(tmp_path: Path) -> Path:
    return tmp_path / "caisse-data"
