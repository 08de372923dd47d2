"""ADRi backend without a network: the simulator's engine called in the same process.

For tests, the demo and a workstation without the simulator service. It goes through the
same JSON encoding and :func:`~openfse.adapters.teleservices.adri_wire.interpret` as the HTTP
backend, so both answer identically for the same data set.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openfse.adapters.teleservices import adri_wire
from openfse.adapters.teleservices.port import AdriRequest
from openfse.domain.rights import AdriAnswer
from openfse.simulators.adri.engine import AdriEngine


class InProcessAdriClient:
    def __init__(self, engine: AdriEngine | None = None, *, data_path: Path | None = None) -> None:
        self._engine = engine or AdriEngine.from_file(data_path)

    def query(self, request: AdriRequest, on: date) -> AdriAnswer:
        status, body = self._engine.handle(adri_wire.request_to_wire(request, on))
        # Through JSON text, exactly as over HTTP (no Python objects leak past the wire).
        return adri_wire.interpret(status, json.loads(json.dumps(body)), request, on)
