"""Inter-AMC directory as a separate process: lookup, then fallback when it fails or dies."""

from __future__ import annotations

from datetime import date

from tele_sim_process import SimProcess, start

from openfse.adapters.teleservices.interamc import HttpInterAmcDirectory
from openfse.adapters.teleservices.resilience import RetryPolicy
from openfse.composition import make_interamc_directory
from openfse.services.teleservices import (
    ConventionSource,
    TeleserviceConfig,
    local_conventions,
    lookup_conventions,
)

ON = date(2026, 7, 1)
POLICY = RetryPolicy(backoff=(0.05,), connect_timeout=0.3, read_timeout=0.4, total_budget=1.0)


def test_directory_process_answers(interamc_sim: SimProcess) -> None:
    directory = make_interamc_directory(
        TeleserviceConfig(backend="simulated-http", url=interamc_sim.url)
    )
    lookup = lookup_conventions(directory, local_conventions(), "0098532001", ON)
    assert lookup.source is ConventionSource.ANNUAIRE
    assert [(c.convention_type, c.csr) for c in lookup.conventions] == [
        ("AL", "001"),
        ("AL", "002"),
    ]


def test_directory_down_falls_back_to_local_tables(interamc_sim: SimProcess) -> None:
    interamc_sim.admin("POST", "/_admin/faults", {"mode": "down"})
    try:
        directory = HttpInterAmcDirectory(interamc_sim.url, policy=POLICY)
        lookup = lookup_conventions(directory, local_conventions(), "98532001", ON)
    finally:
        interamc_sim.admin("DELETE", "/_admin/faults")
    assert lookup.source is ConventionSource.TABLES_LOCALES
    assert [(c.convention_type, c.csr) for c in lookup.conventions] == [("AL", "001")]
    assert "Annuaire Inter-AMC indisponible" in lookup.message
    assert interamc_sim.stats()["/annuaire/v1/amc/98532001/conventions 503"] == 3


def test_directory_killed_mid_session_falls_back() -> None:
    sim = start("openfse.simulators.interamc")
    try:
        directory = HttpInterAmcDirectory(sim.url, policy=POLICY)
        first = lookup_conventions(directory, local_conventions(), "00401125", ON)
        sim.kill()
        second = lookup_conventions(directory, local_conventions(), "00401125", ON)
    finally:
        sim.kill()
    assert first.source is ConventionSource.ANNUAIRE
    assert second.source is ConventionSource.TABLES_LOCALES
    assert [c.csr for c in second.conventions] == ["003"]  # the HELIUM convention of 2026
    assert second.directory_problem is not None
