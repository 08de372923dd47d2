"""Fixtures: the ADRi and Inter-AMC simulators as real processes on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tele_sim_process import SimProcess, start


@pytest.fixture(scope="module")
def adri_sim() -> Iterator[SimProcess]:
    sim = start(
        "openfse.simulators.adri", "--latency-ms", "5", "--slow-seconds", "2", "--seed", "1"
    )
    try:
        yield sim
    finally:
        sim.kill()


@pytest.fixture(autouse=True)
def _no_leftover_fault(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "adri_sim" in request.fixturenames:
        sim: SimProcess = request.getfixturevalue("adri_sim")
        if sim.process.poll() is None:
            sim.admin("DELETE", "/_admin/faults")


@pytest.fixture(scope="module")
def interamc_sim() -> Iterator[SimProcess]:
    sim = start("openfse.simulators.interamc", "--slow-seconds", "2")
    try:
        yield sim
    finally:
        sim.kill()
