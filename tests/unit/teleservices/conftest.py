"""Fixtures of the teleservices unit tests (no network, no real clock)."""

from __future__ import annotations

import pytest
from tele_helpers import FakeClock

from openfse.composition.inprocess_adri import InProcessAdriClient
from openfse.simulators.adri.engine import AdriEngine


@pytest.fixture(scope="session")
def engine() -> AdriEngine:
    return AdriEngine.from_file()


@pytest.fixture
def adri(engine: AdriEngine) -> InProcessAdriClient:
    return InProcessAdriClient(engine)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
