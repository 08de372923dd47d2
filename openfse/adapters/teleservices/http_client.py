"""The base of the HTTP clients of the teleservices (ADRi, annuaire Inter-AMC): one pooled
:class:`~.resilience.ResilientHttp` built from the same knobs, closed with the client."""

from __future__ import annotations

from typing import ClassVar, Self, TypedDict, Unpack

import httpx

from openfse.adapters.teleservices.port import TeleserviceUnavailable
from openfse.adapters.teleservices.resilience import (
    CircuitBreaker,
    Clock,
    ResilientHttp,
    RetryPolicy,
    Sleep,
)


class HttpOptions(TypedDict, total=False):
    """The knobs of :class:`~.resilience.ResilientHttp` (its defaults apply when left out);
    ``transport``, ``clock`` and ``sleep`` are for the tests."""

    policy: RetryPolicy | None
    breaker: CircuitBreaker | None
    transport: httpx.BaseTransport | None
    clock: Clock
    sleep: Sleep


class ResilientClient:
    """Timeouts, retries, time budget and circuit breaker: :mod:`.resilience`; a subclass
    names the error it raises when the service cannot be reached (``unavailable``) and speaks
    its wire format through ``self._http``. Thread-safe (one pooled ``httpx.Client``)."""

    unavailable: ClassVar[type[TeleserviceUnavailable]]

    def __init__(self, base_url: str, **options: Unpack[HttpOptions]) -> None:
        self._http = ResilientHttp(base_url, unavailable=self.unavailable, **options)

    @property
    def breaker(self) -> CircuitBreaker | None:
        return self._http.breaker

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
