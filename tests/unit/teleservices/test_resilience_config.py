"""Circuit breaker, retry policy, teleservice configuration and backend factories."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tele_helpers import ROUSSEAU, FakeClock, make_request

from openfse.adapters.teleservices.adri_http import HttpAdriClient
from openfse.adapters.teleservices.interamc import HttpInterAmcDirectory
from openfse.adapters.teleservices.interamc_local import LocalConventionTable
from openfse.adapters.teleservices.resilience import CircuitBreaker, RetryPolicy
from openfse.composition import make_adri_client, make_interamc_directory
from openfse.composition.inprocess_adri import InProcessAdriClient
from openfse.composition.inprocess_interamc import InProcessInterAmcDirectory
from openfse.services.teleservices import (
    InvalidTeleserviceConfig,
    TeleserviceConfig,
    local_conventions,
)
from openfse.simulators.adri.engine import default_data_path


def test_breaker_opens_after_threshold_consecutive_failures(clock: FakeClock) -> None:
    breaker = CircuitBreaker(threshold=3, cooldown=30.0, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # consecutive: a success resets the count
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.allow() and breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()


def test_half_open_breaker_lets_a_single_probe_through(clock: FakeClock) -> None:
    breaker = CircuitBreaker(threshold=1, cooldown=5.0, clock=clock)
    breaker.record_failure()
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # a concurrent caller still skips
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_retry_policy_backoff_repeats_its_last_pause() -> None:
    policy = RetryPolicy(max_attempts=5, backoff=(0.1, 0.3))
    assert [policy.pause_before(n) for n in (2, 3, 4, 5)] == [0.1, 0.3, 0.3, 0.3]


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"total_budget": 0}, {"read_timeout": -1}])
def test_retry_policy_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_default_configuration_is_the_in_process_data_set() -> None:
    client = make_adri_client(TeleserviceConfig())
    assert isinstance(client, InProcessAdriClient)
    assert client.query(make_request(ROUSSEAU), date(2026, 7, 1)).amo_open
    assert isinstance(make_interamc_directory(TeleserviceConfig()), InProcessInterAmcDirectory)


def test_switching_to_the_http_simulator_is_configuration() -> None:
    config = TeleserviceConfig.from_mapping(
        {
            "backend": "simulated-http",
            "url": "http://127.0.0.1:8701",
            "total_budget": "2.5",
            "max_attempts": "2",
        }
    )
    assert config.total_budget == 2.5 and config.max_attempts == 2
    client = make_adri_client(config)
    assert isinstance(client, HttpAdriClient)
    assert client.breaker is not None and client.breaker.threshold == 3
    client.close()
    directory = make_interamc_directory(config)
    assert isinstance(directory, HttpInterAmcDirectory)
    directory.close()


def test_one_word_setting_selects_the_backend() -> None:
    # openfse.config.Settings.adri (OPENFSE_ADRI): "in-process" or a URL.
    assert TeleserviceConfig.from_setting("in-process").backend == "in-process"
    remote = TeleserviceConfig.from_setting(" http://127.0.0.1:8701 ")
    assert (remote.backend, remote.url) == ("simulated-http", "http://127.0.0.1:8701")
    with pytest.raises(InvalidTeleserviceConfig):
        TeleserviceConfig.from_setting("adri.example:8701")


def test_in_process_backend_reads_another_data_file(tmp_path: Path) -> None:
    data = tmp_path / "people.yaml"
    data.write_text(default_data_path().read_text(encoding="utf-8"), encoding="utf-8")
    config = TeleserviceConfig.from_mapping({"backend": "in-process", "data_path": str(data)})
    assert config.data_path == data
    assert make_adri_client(config).query(make_request(ROUSSEAU), date(2026, 7, 1)).amo_open


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"backend": "soap"}, "backend"),
        ({"backend": "simulated-http"}, "url"),
        ({"backend": "simulated-http", "url": "127.0.0.1:8701"}, "url"),
        ({"total_budget": "vite"}, "total_budget"),
        ({"max_attempts": "0"}, "timeouts"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_configuration_is_a_typed_error(values: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidTeleserviceConfig) as error:
        TeleserviceConfig.from_mapping(values)
    assert error.value.field == field


def test_local_conventions_default_to_the_shipped_table(tmp_path: Path) -> None:
    assert local_conventions() is LocalConventionTable.shipped()
    own = tmp_path / "conv.csv"
    own.write_text(
        "amc_numero;amc_nom;type_convention;critere_secondaire;routage;hote;domaine;signataire;debut;fin\n"
        "12345678;Mutuelle;MX;001;MX;h;d.example;;2026-01-01;\n",
        encoding="utf-8",
    )
    assert [c.csr for c in local_conventions(own).conventions("12345678", date(2026, 7, 1))] == [
        "001"
    ]
