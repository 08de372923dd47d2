"""Calling a teleservice without ever blocking the desk: timeouts, retries, budget, breaker.

Why: the AMO pays on the basis of the card data even when ADRi is not consulted
(docs/protocols.md §3.1), so a slow or dead teleservice must cost the user at most a few seconds,
after which the invoice is made with the card's rights. Hence:

* connect and read timeouts on every attempt, each capped by what is left of a **total time
  budget** (default 3 s) — the worst case is the budget plus one connect timeout when a slow
  connect is followed by a slow read;
* **bounded retries with backoff, only on transient failures** (connection refused/reset,
  timeouts, HTTP 502/503/504). A 404 "unknown patient" or a 409 "identity mismatch" is an
  answer, not a failure: it is returned at once. Queries are read-only, so retrying a POST is
  safe;
* a **circuit breaker**: after N consecutive failed calls, further calls fail immediately for
  M seconds instead of each waiting for the budget (one probe call is let through after that).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from openfse.adapters.teleservices.port import TeleserviceUnavailable

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({502, 503, 504})

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff: tuple[float, ...] = (0.1, 0.3)  # pause before the 2nd, 3rd… attempt (last repeats)
    connect_timeout: float = 0.5
    read_timeout: float = 1.2
    total_budget: float = 3.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.total_budget <= 0:
            raise ValueError("max_attempts >= 1 and total_budget > 0 are required")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("timeouts must be positive")

    def pause_before(self, attempt: int) -> float:
        """Backoff before attempt number ``attempt`` (2, 3, …)."""
        if not self.backoff:
            return 0.0
        return self.backoff[min(attempt - 2, len(self.backoff) - 1)]


class CircuitBreaker:
    """Closed → (``threshold`` consecutive failures) → open for ``cooldown`` seconds →
    half-open: one call goes through; success closes the circuit, failure re-opens it."""

    def __init__(self, threshold: int = 3, cooldown: float = 30.0, clock: Clock = time.monotonic):
        if threshold < 1 or cooldown < 0:
            raise ValueError("threshold >= 1 and cooldown >= 0 are required")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half-open" and not self._probing:
                self._probing = True  # a single probe; concurrent callers still skip
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._probing = False
            if self._opened_at is not None or self._failures >= self.threshold:
                self._opened_at = self._clock()


class ResilientHttp:
    """A small JSON-over-HTTP caller applying :class:`RetryPolicy` and :class:`CircuitBreaker`.

    Returns the first non-transient :class:`httpx.Response` (whatever its status: the caller
    interprets 404/409…); raises ``unavailable`` (a :class:`TeleserviceUnavailable` subclass)
    when the budget or the attempts are exhausted or the breaker is open.
    """

    def __init__(
        self,
        base_url: str,
        *,
        unavailable: type[TeleserviceUnavailable],
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.breaker = breaker
        self._unavailable = unavailable
        self._clock = clock
        self._sleep = sleep
        self._client = httpx.Client(base_url=base_url, transport=transport)

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        if self.breaker is not None and not self.breaker.allow():
            raise self._unavailable("circuit_ouvert")
        try:
            response = self._attempts(method, path, json, params)
        except Exception:
            # Whatever went wrong (including a bug below), the breaker must learn of it, or a
            # half-open probe would never be released.
            if self.breaker is not None:
                self.breaker.record_failure()
            raise
        if self.breaker is not None:
            self.breaker.record_success()
        return response

    def _attempts(
        self,
        method: str,
        path: str,
        json: Mapping[str, Any] | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Response:
        policy = self.policy
        start = self._clock()
        reason = "delai_depasse"
        attempts = 0
        for attempt in range(1, policy.max_attempts + 1):
            if attempt > 1:
                pause = policy.pause_before(attempt)
                if self._clock() - start + pause >= policy.total_budget:
                    break  # no time left for another try: give up now rather than late
                self._sleep(pause)
            remaining = policy.total_budget - (self._clock() - start)
            if remaining <= 0:
                break
            attempts = attempt
            timeout = httpx.Timeout(
                connect=min(policy.connect_timeout, remaining),
                read=min(policy.read_timeout, remaining),
                write=min(policy.read_timeout, remaining),
                pool=min(policy.connect_timeout, remaining),
            )
            try:
                response = self._client.request(
                    method, path, json=json, params=params, timeout=timeout
                )
            except httpx.TimeoutException:
                reason = "delai_depasse"
            except httpx.ConnectError:
                reason = "connexion_impossible"
            except (httpx.NetworkError, httpx.RemoteProtocolError):
                reason = "connexion_interrompue"
            except httpx.HTTPError:
                # Bad URL, unsupported scheme…: retrying cannot help.
                reason = "configuration"
                log.warning("teleservice %s %s: configuration error", method, path, exc_info=True)
                break
            else:
                if response.status_code not in TRANSIENT_STATUSES:
                    return response
                reason = "service_indisponible"
            log.info("teleservice %s %s: attempt %d failed (%s)", method, path, attempt, reason)
        raise self._unavailable(reason, attempts=attempts, elapsed=self._clock() - start)


def json_body(response: httpx.Response) -> object:
    """Decoded JSON body, or ``None`` when the body is not JSON (the caller then reports an
    invalid answer from the status and the missing content)."""
    try:
        return response.json()
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return None
