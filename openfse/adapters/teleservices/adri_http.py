"""ADRi client over HTTP (the simulator's JSON protocol, ``docs/formats/adri-sim.md``)."""

from __future__ import annotations

import time
from datetime import date

import httpx

from openfse.adapters.teleservices import adri_wire
from openfse.adapters.teleservices.port import AdriRequest, AdriUnavailable
from openfse.adapters.teleservices.resilience import (
    CircuitBreaker,
    Clock,
    ResilientHttp,
    RetryPolicy,
    Sleep,
    json_body,
)
from openfse.domain.rights import AdriAnswer


class HttpAdriClient:
    """:class:`~openfse.adapters.teleservices.port.AdriClient` talking to an ADRi service.

    Timeouts, retries, time budget and circuit breaker: :mod:`.resilience`. Wire format and
    answer interpretation: :mod:`.adri_wire`. Thread-safe (one pooled ``httpx.Client``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._http = ResilientHttp(
            base_url,
            unavailable=AdriUnavailable,
            policy=policy,
            breaker=breaker,
            transport=transport,
            clock=clock,
            sleep=sleep,
        )

    @property
    def breaker(self) -> CircuitBreaker | None:
        return self._http.breaker

    def query(self, request: AdriRequest, on: date) -> AdriAnswer:
        response = self._http.request(
            "POST", adri_wire.QUERY_PATH, json=adri_wire.request_to_wire(request, on)
        )
        return adri_wire.interpret(response.status_code, json_body(response), request, on)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HttpAdriClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
