"""HttpAdriClient over a mock transport: retries, budget, breaker, and answer interpretation.

The clock is fake: a timeout "lasts" the timeout the client gave to that attempt, so the time
budget arithmetic is checked exactly without waiting.
"""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest
from tele_helpers import DUBOIS, ON, ROUSSEAU, FakeClock, RecordingTransport, make_request

from openfse.adapters.teleservices.adri_http import HttpAdriClient
from openfse.adapters.teleservices.adri_wire import QUERY_PATH
from openfse.adapters.teleservices.port import (
    AdriIdentityMismatch,
    AdriInvalidAnswer,
    AdriUnavailable,
    AdriUnknownPatient,
)
from openfse.adapters.teleservices.resilience import CircuitBreaker, RetryPolicy
from openfse.services.teleservices import AdriFound, AdriUnavailableResult, query_adri
from openfse.simulators.adri.engine import AdriEngine

POLICY = RetryPolicy(
    max_attempts=3, backoff=(0.1, 0.3), connect_timeout=0.5, read_timeout=1.2, total_budget=3.0
)


def _client(transport: httpx.BaseTransport, clock: FakeClock, **kwargs: object) -> HttpAdriClient:
    return HttpAdriClient(
        "http://adri.test",
        policy=kwargs.pop("policy", POLICY),  # type: ignore[arg-type]
        breaker=kwargs.pop("breaker", None),  # type: ignore[arg-type]
        transport=transport,
        clock=clock,
        sleep=clock.sleep,
    )


def _engine_responder(engine: AdriEngine):  # type: ignore[no-untyped-def]
    def respond(request: httpx.Request) -> httpx.Response:
        status, body = engine.handle(json.loads(request.content))
        return httpx.Response(status, json=body)

    return respond


def _status(code: int, body: object = None):  # type: ignore[no-untyped-def]
    return lambda request: httpx.Response(code, json=body)


def test_answer_over_http_equals_the_in_process_answer(
    engine: AdriEngine, clock: FakeClock
) -> None:
    from openfse.composition.inprocess_adri import InProcessAdriClient

    transport = RecordingTransport(_engine_responder(engine))
    request = make_request(DUBOIS)
    over_http = _client(transport, clock).query(request, ON)
    assert over_http == InProcessAdriClient(engine).query(request, ON)
    sent = transport.requests[0]
    assert sent.method == "POST" and sent.url.path == QUERY_PATH
    assert json.loads(sent.content)["date_consultation"] == "2026-07-01"


def test_503_is_retried_with_backoff_then_unavailable(clock: FakeClock) -> None:
    transport = RecordingTransport(_status(503, {"erreur": {"code": "service_indisponible"}}))
    with pytest.raises(AdriUnavailable) as error:
        _client(transport, clock).query(make_request(ROUSSEAU), ON)
    assert len(transport.requests) == 3
    assert clock.sleeps == [0.1, 0.3]
    assert error.value.reason == "service_indisponible"
    assert error.value.attempts == 3
    assert error.value.code == "adri_unavailable"
    assert "ADRi indisponible" in error.value.message


def test_a_transient_failure_followed_by_success_returns_the_answer(
    engine: AdriEngine, clock: FakeClock
) -> None:
    answers = iter([httpx.Response(503), None])
    respond = _engine_responder(engine)

    def flaky(request: httpx.Request) -> httpx.Response:
        first = next(answers)
        return first if first is not None else respond(request)

    transport = RecordingTransport(flaky)
    assert _client(transport, clock).query(make_request(ROUSSEAU), ON).amo_open
    assert len(transport.requests) == 2


def test_connection_refused_is_retried(clock: FakeClock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    transport = RecordingTransport(refuse)
    with pytest.raises(AdriUnavailable) as error:
        _client(transport, clock).query(make_request(ROUSSEAU), ON)
    assert error.value.reason == "connexion_impossible"
    assert len(transport.requests) == 3


def test_timeouts_stop_at_the_total_budget(clock: FakeClock) -> None:
    # Each attempt waits its read timeout. Budget 3.0 s:
    #   attempt 1: read timeout min(1.2, 3.0) = 1.2 → t = 1.2; pause 0.1 → t = 1.3
    #   attempt 2: min(1.2, 1.7) = 1.2 → t = 2.5; pause 0.3 would reach 2.8 < 3.0 → t = 2.8
    #   attempt 3: min(1.2, 0.2) = 0.2 → t = 3.0 → unavailable at exactly the budget.
    timeouts: list[float] = []

    def hang(request: httpx.Request) -> httpx.Response:
        read = request.extensions["timeout"]["read"]
        timeouts.append(read)
        clock.now += read
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(AdriUnavailable) as error:
        _client(RecordingTransport(hang), clock).query(make_request(ROUSSEAU), ON)
    assert timeouts == pytest.approx([1.2, 1.2, 0.2])
    assert error.value.reason == "delai_depasse"
    assert error.value.elapsed == pytest.approx(3.0)


def test_no_retry_when_the_pause_would_overrun_the_budget(clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=5, backoff=(1.0,), read_timeout=1.2, total_budget=2.0)

    def hang(request: httpx.Request) -> httpx.Response:
        clock.now += request.extensions["timeout"]["read"]
        raise httpx.ReadTimeout("timed out", request=request)

    transport = RecordingTransport(hang)
    with pytest.raises(AdriUnavailable):
        _client(transport, clock, policy=policy).query(make_request(ROUSSEAU), ON)
    # t = 1.2 after attempt 1; 1.2 + 1.0 pause ≥ 2.0 → give up instead of a late 2nd attempt.
    assert len(transport.requests) == 1
    assert clock.now == pytest.approx(1.2)


@pytest.mark.parametrize(
    ("status", "code", "error_type"),
    [
        (404, "beneficiaire_inconnu", AdriUnknownPatient),
        (422, "requete_invalide", AdriInvalidAnswer),
        (500, "erreur_interne", AdriUnavailable),
    ],
)
def test_definitive_answers_are_not_retried(
    clock: FakeClock, status: int, code: str, error_type: type[Exception]
) -> None:
    transport = RecordingTransport(_status(status, {"erreur": {"code": code, "message": "x"}}))
    with pytest.raises(error_type):
        _client(transport, clock).query(make_request(ROUSSEAU), ON)
    assert len(transport.requests) == 1
    assert clock.sleeps == []


def test_mismatch_409_is_not_retried_and_carries_the_returned_answer(
    engine: AdriEngine, clock: FakeClock
) -> None:
    # Ask for ROUSSEAU with a wrong birth date: the engine answers 409 with Claire's data.
    transport = RecordingTransport(_engine_responder(engine))
    with pytest.raises(AdriIdentityMismatch) as error:
        _client(transport, clock).query(make_request(ROUSSEAU, birth_date="13/03/1985"), ON)
    assert len(transport.requests) == 1
    assert error.value.returned.beneficiary.prenom == "Claire"


def test_a_404_that_is_not_an_adri_answer_is_an_invalid_answer(clock: FakeClock) -> None:
    # E.g. a wrong URL in the configuration: a proxy's 404 page, not "unknown patient".
    transport = RecordingTransport(lambda request: httpx.Response(404, text="Not Found"))
    with pytest.raises(AdriInvalidAnswer):
        _client(transport, clock).query(make_request(ROUSSEAU), ON)


def test_non_json_200_is_an_invalid_answer(clock: FakeClock) -> None:
    transport = RecordingTransport(lambda request: httpx.Response(200, text="<html>proxy</html>"))
    with pytest.raises(AdriInvalidAnswer) as error:
        _client(transport, clock).query(make_request(ROUSSEAU), ON)
    assert error.value.code == "adri_invalid_answer"


def test_answer_for_another_day_is_refused(engine: AdriEngine, clock: FakeClock) -> None:
    def stale(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        body["date_consultation"] = "2026-06-01"
        status, answer = engine.handle(body)
        return httpx.Response(status, json=answer)

    with pytest.raises(AdriInvalidAnswer) as error:
        _client(RecordingTransport(stale), clock).query(make_request(ROUSSEAU), ON)
    assert "01/06/2026" in error.value.message


def test_answer_about_another_nir_is_refused(engine: AdriEngine, clock: FakeClock) -> None:
    def other(request: httpx.Request) -> httpx.Response:
        status, answer = engine.handle(json.loads(request.content))
        answer["beneficiaire"]["nir"] = "152066912304548"
        return httpx.Response(status, json=answer)

    with pytest.raises(AdriInvalidAnswer):
        _client(RecordingTransport(other), clock).query(make_request(ROUSSEAU), ON)


def test_circuit_breaker_skips_calls_after_consecutive_failures(clock: FakeClock) -> None:
    # Threshold 2, cooldown 30 s: two failed queries open the circuit; the third query is
    # refused without any request; after 30 s one probe goes through.
    breaker = CircuitBreaker(threshold=2, cooldown=30.0, clock=clock)
    transport = RecordingTransport(_status(503))
    client = _client(transport, clock, breaker=breaker)
    for _ in range(2):
        with pytest.raises(AdriUnavailable):
            client.query(make_request(ROUSSEAU), ON)
    assert len(transport.requests) == 6 and breaker.state == "open"
    with pytest.raises(AdriUnavailable) as error:
        client.query(make_request(ROUSSEAU), ON)
    assert error.value.reason == "circuit_ouvert"
    assert len(transport.requests) == 6  # nothing sent
    clock.now += 30.0
    assert breaker.state == "half-open"
    with pytest.raises(AdriUnavailable):
        client.query(make_request(ROUSSEAU), ON)  # the probe fails: open again
    assert len(transport.requests) == 9 and breaker.state == "open"


def test_circuit_closes_again_after_a_successful_probe(
    engine: AdriEngine, clock: FakeClock
) -> None:
    breaker = CircuitBreaker(threshold=1, cooldown=10.0, clock=clock)
    healthy = {"up": False}
    respond = _engine_responder(engine)
    transport = RecordingTransport(
        lambda request: respond(request) if healthy["up"] else httpx.Response(503)
    )
    client = _client(transport, clock, breaker=breaker)
    with pytest.raises(AdriUnavailable):
        client.query(make_request(ROUSSEAU), ON)
    healthy["up"] = True
    clock.now += 10.0
    assert client.query(make_request(ROUSSEAU), ON).amo_open
    assert breaker.state == "closed"


def test_query_adri_over_a_dead_service_returns_unavailable(clock: FakeClock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    result = query_adri(_client(RecordingTransport(refuse), clock), make_request(ROUSSEAU), ON)
    assert isinstance(result, AdriUnavailableResult)
    assert result.reason == "connexion_impossible"


def test_query_adri_over_http_found(engine: AdriEngine, clock: FakeClock) -> None:
    client = _client(RecordingTransport(_engine_responder(engine)), clock)
    result = query_adri(client, make_request(DUBOIS), date(2026, 6, 30))
    assert isinstance(result, AdriFound) and result.answer.amo_open


def test_an_unexpected_error_during_the_probe_does_not_wedge_the_breaker(clock: FakeClock) -> None:
    breaker = CircuitBreaker(threshold=1, cooldown=5.0, clock=clock)
    breaker.record_failure()
    clock.now += 5.0

    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("bug in a transport")

    with pytest.raises(RuntimeError):
        _client(RecordingTransport(broken), clock, breaker=breaker).query(
            make_request(ROUSSEAU), ON
        )
    assert breaker.state == "open"  # re-opened, so a probe will be allowed after the cooldown
    clock.now += 5.0
    assert breaker.allow()
