"""Inter-AMC directory backend without a network: the simulator's engine in this process.

Same JSON path and interpretation as the HTTP backend, for tests, the demo and workstations
without the simulator service.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openfse.adapters.teleservices.interamc import conventions_path, interpret
from openfse.adapters.teleservices.port import checked_amc_number
from openfse.domain.rights import Convention
from openfse.simulators.adri.jsonserver import SimRequest
from openfse.simulators.interamc import DirectoryEngine, load_directory


class InProcessInterAmcDirectory:
    def __init__(self, engine: DirectoryEngine | None = None, *, data_path: Path | None = None):
        self._engine = engine or DirectoryEngine(load_directory(data_path))

    def conventions(self, amc_number: str, on: date) -> list[Convention]:
        number = checked_amc_number(amc_number)
        request = SimRequest("GET", conventions_path(number), {"date": on.isoformat()}, None, None)
        status, body = self._engine.handle(request)
        return interpret(status, json.loads(json.dumps(body)), number, on)
