"""ADRi client over HTTP (the simulator's JSON protocol, ``docs/formats/adri-sim.md``)."""

from __future__ import annotations

from datetime import date

from openfse.adapters.teleservices import adri_wire
from openfse.adapters.teleservices.http_client import ResilientClient
from openfse.adapters.teleservices.port import AdriRequest, AdriUnavailable
from openfse.adapters.teleservices.resilience import json_body
from openfse.domain.rights import AdriAnswer


class HttpAdriClient(ResilientClient):
    """:class:`~openfse.adapters.teleservices.port.AdriClient` talking to an ADRi service.

    Timeouts, retries, time budget and circuit breaker: :mod:`.resilience` (through
    :class:`.http_client.ResilientClient`). Wire format and answer interpretation:
    :mod:`.adri_wire`. Thread-safe (one pooled ``httpx.Client``).
    """

    unavailable = AdriUnavailable

    def query(self, request: AdriRequest, on: date) -> AdriAnswer:
        response = self._http.request(
            "POST", adri_wire.QUERY_PATH, json=adri_wire.request_to_wire(request, on)
        )
        return adri_wire.interpret(response.status_code, json_body(response), request, on)
