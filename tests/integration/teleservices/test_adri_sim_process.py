"""ADRi: the HTTP client against the simulator running as a separate process.

Covers every failure mode end to end: unknown patient, identity mismatch, service down
(retries seen by the server, then "unavailable" within the time budget), timeout on a slow
service, garbled answer, circuit breaker, soak with random failures, and the simulator killed
in the middle of a session.
"""

from __future__ import annotations

import time
from datetime import date

import httpx
import pytest
from tele_sim_process import SimProcess, start

from openfse.adapters.teleservices.adri_http import HttpAdriClient
from openfse.adapters.teleservices.port import AdriRequest
from openfse.adapters.teleservices.resilience import CircuitBreaker, RetryPolicy
from openfse.composition import make_adri_client
from openfse.services.teleservices import (
    AdriFound,
    AdriMismatch,
    AdriOutcome,
    AdriUnavailableResult,
    AdriUnknown,
    TeleserviceConfig,
    query_adri,
)

ON = date(2026, 7, 1)
PATH = "/adri/v1/droits"
# Short timeouts so the failure cases stay fast; the product default budget is 3 s.
POLICY = RetryPolicy(
    max_attempts=3, backoff=(0.05, 0.1), connect_timeout=0.3, read_timeout=0.4, total_budget=1.0
)

DUBOIS = AdriRequest.create(nir="152066912304548", birth_date="21/06/1952", rang=1, regime="01")
KOUASSI = AdriRequest.create(
    nir="890059935001131", birth_date="08/05/1990", rang=1, regime="01", caisse="841", centre="5623"
)


def _client(sim: SimProcess, breaker: CircuitBreaker | None = None) -> HttpAdriClient:
    return HttpAdriClient(sim.url, policy=POLICY, breaker=breaker)


def _delta(before: dict[str, int], after: dict[str, int], status: int) -> int:
    """Requests answered with ``status`` between two stats snapshots. (Per status: a "slow"
    request of an earlier test may still complete, as a 200, in the background.)"""
    key = f"{PATH} {status}"
    return after.get(key, 0) - before.get(key, 0)


def test_rights_of_the_day_over_http(adri_sim: SimProcess) -> None:
    with _client(adri_sim) as client:
        assert client.query(DUBOIS, date(2026, 6, 30)).amo_open
        closed = client.query(DUBOIS, ON)
        assert not closed.amo_open and closed.amo.period.end == date(2026, 6, 30)
        ame = client.query(KOUASSI, ON)
        assert ame.active_amc is not None and ame.active_amc.kind.value == "ame"


def test_configured_http_backend_answers(adri_sim: SimProcess) -> None:
    client = make_adri_client(TeleserviceConfig(backend="simulated-http", url=adri_sim.url))
    assert isinstance(query_adri(client, DUBOIS, ON), AdriFound)


def test_unknown_and_mismatch_are_answers_not_retried(adri_sim: SimProcess) -> None:
    before = adri_sim.stats()
    with _client(adri_sim) as client:
        unknown = query_adri(
            client,
            AdriRequest.create(nir="175057511203355", birth_date="01/05/1975", rang=1, regime="01"),
            ON,
        )
        wrong_birth = AdriRequest.create(
            nir="152066912304548", birth_date="22/06/1952", rang=1, regime="01"
        )
        mismatch = query_adri(client, wrong_birth, ON)
    assert isinstance(unknown, AdriUnknown)
    assert isinstance(mismatch, AdriMismatch)
    assert mismatch.returned.beneficiary.display_name == "DUBOIS Jean"
    after = adri_sim.stats()
    assert (_delta(before, after, 404), _delta(before, after, 409)) == (1, 1)


def test_service_down_is_retried_then_reported_unavailable_in_budget(adri_sim: SimProcess) -> None:
    adri_sim.admin("POST", "/_admin/faults", {"mode": "down"})
    before = adri_sim.stats()
    started = time.monotonic()
    with _client(adri_sim) as client:
        result = query_adri(client, DUBOIS, ON)
    elapsed = time.monotonic() - started
    assert isinstance(result, AdriUnavailableResult)
    assert result.reason == "service_indisponible"
    assert "facturez avec les droits de la carte Vitale" in result.message
    assert _delta(before, adri_sim.stats(), 503) == 3  # three attempts
    assert elapsed < POLICY.total_budget
    adri_sim.admin("DELETE", "/_admin/faults")
    with _client(adri_sim) as client:
        assert isinstance(query_adri(client, DUBOIS, ON), AdriFound)


def test_slow_service_times_out_within_the_budget(adri_sim: SimProcess) -> None:
    # The simulator sleeps 2 s; read timeout 0.4 s, budget 1.0 s. Worst case allowed by the
    # design: budget + one connect timeout (0.3 s).
    adri_sim.admin("POST", "/_admin/faults", {"mode": "slow"})
    started = time.monotonic()
    with _client(adri_sim) as client:
        result = query_adri(client, DUBOIS, ON)
    elapsed = time.monotonic() - started
    assert isinstance(result, AdriUnavailableResult) and result.reason == "delai_depasse"
    assert 0.8 <= elapsed <= POLICY.total_budget + POLICY.connect_timeout


def test_garbled_answer_does_not_block_invoicing(adri_sim: SimProcess) -> None:
    adri_sim.admin("POST", "/_admin/faults", {"mode": "invalid", "count": 1})
    with _client(adri_sim) as client:
        result = query_adri(client, DUBOIS, ON)
        assert isinstance(result, AdriUnavailableResult) and result.reason == "reponse_illisible"
        assert isinstance(query_adri(client, DUBOIS, ON), AdriFound)  # count was 1


@pytest.mark.parametrize(
    ("fault", "status"), [("down", 503), ("error", 500), ("unknown", 404), ("mismatch", 409)]
)
def test_per_request_fault_header(adri_sim: SimProcess, fault: str, status: int) -> None:
    from openfse.adapters.teleservices.adri_wire import request_to_wire

    response = httpx.post(
        f"{adri_sim.url}{PATH}",
        json=request_to_wire(DUBOIS, ON),
        headers={"X-Sim-Fault": fault},
        timeout=2.0,
    )
    assert response.status_code == status


def test_circuit_breaker_stops_calling_a_dead_service(adri_sim: SimProcess) -> None:
    adri_sim.admin("POST", "/_admin/faults", {"mode": "down"})
    breaker = CircuitBreaker(threshold=2, cooldown=60.0)
    with _client(adri_sim, breaker) as client:
        for _ in range(2):
            assert query_adri(client, DUBOIS, ON).outcome is AdriOutcome.UNAVAILABLE
        before = adri_sim.stats()
        started = time.monotonic()
        skipped = query_adri(client, DUBOIS, ON)
        assert time.monotonic() - started < 0.1  # no budget spent (1.0 s)
    assert isinstance(skipped, AdriUnavailableResult) and skipped.reason == "circuit_ouvert"
    assert _delta(before, adri_sim.stats(), 503) == 0  # not even one request


def test_soak_with_random_failures_never_raises(adri_sim: SimProcess) -> None:
    # 40 % of requests fail (seeded); with 3 attempts most queries still succeed, the others
    # come back "unavailable" — never an exception.
    adri_sim.admin("POST", "/_admin/faults", {"mode": "down", "probability": 0.4})
    outcomes = []
    with _client(adri_sim) as client:
        for _ in range(25):
            outcomes.append(query_adri(client, DUBOIS, ON).outcome)
    assert set(outcomes) <= {AdriOutcome.FOUND, AdriOutcome.UNAVAILABLE}
    assert outcomes.count(AdriOutcome.FOUND) >= 15


def test_simulator_killed_mid_session_degrades_to_unavailable() -> None:
    sim = start("openfse.simulators.adri")
    try:
        with _client(sim) as client:
            assert isinstance(query_adri(client, DUBOIS, ON), AdriFound)  # keep-alive connection
            sim.kill()
            assert sim.process.returncode is not None
            started = time.monotonic()
            result = query_adri(client, DUBOIS, ON)
            elapsed = time.monotonic() - started
    finally:
        sim.kill()
    assert isinstance(result, AdriUnavailableResult)
    assert result.reason in {"connexion_impossible", "connexion_interrompue"}
    assert elapsed < POLICY.total_budget
