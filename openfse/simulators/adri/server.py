"""HTTP front of the ADRi simulator (routes of ``docs/formats/adri-sim.md``)."""

from __future__ import annotations

from openfse.simulators.adri.engine import FAULTS, AdriEngine
from openfse.simulators.adri.jsonserver import GENERIC_FAULTS, SimConfig, SimRequest, SimServer

QUERY_PATH = "/adri/v1/droits"


def make_server(
    engine: AdriEngine,
    port: int = 0,
    *,
    latency_ms: int = 0,
    jitter_ms: int = 0,
    slow_seconds: float = 5.0,
) -> SimServer:
    def query(request: SimRequest) -> tuple[int, object]:
        return engine.handle(request.body, request.fault)

    config = SimConfig(
        faults_allowed=GENERIC_FAULTS | FAULTS,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        slow_seconds=slow_seconds,
    )
    return SimServer(port, {("POST", QUERY_PATH): query}, config)
