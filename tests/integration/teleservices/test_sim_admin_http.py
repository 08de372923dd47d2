"""The simulators' HTTP plumbing: health, admin endpoints, bad requests, loopback only."""

from __future__ import annotations

import httpx
import pytest
from tele_sim_process import SimProcess


def test_bound_to_loopback_only(adri_sim: SimProcess) -> None:
    assert adri_sim.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    "body",
    [{"mode": "tornado"}, {"mode": "down", "probability": 2}, {"mode": "down", "count": -1}],
)
def test_bad_fault_settings_are_refused(adri_sim: SimProcess, body: dict[str, object]) -> None:
    response = httpx.post(f"{adri_sim.url}/_admin/faults", json=body, timeout=2.0)
    assert response.status_code == 400


def test_unknown_fault_header_is_refused(adri_sim: SimProcess) -> None:
    response = httpx.post(
        f"{adri_sim.url}/adri/v1/droits", json={}, headers={"X-Sim-Fault": "meteor"}, timeout=2.0
    )
    assert response.status_code == 400


def test_malformed_json_body_is_a_400(adri_sim: SimProcess) -> None:
    response = httpx.post(f"{adri_sim.url}/adri/v1/droits", content=b"{nir", timeout=2.0)
    assert response.status_code == 400
    assert response.json()["erreur"]["code"] == "requete_invalide"


def test_unknown_route_is_a_404_that_is_not_unknown_patient(adri_sim: SimProcess) -> None:
    response = httpx.get(f"{adri_sim.url}/adri/v2/droits", timeout=2.0)
    assert response.status_code == 404
    assert response.json()["erreur"]["code"] == "route_inconnue"


def test_directory_unknown_amc(interamc_sim: SimProcess) -> None:
    response = httpx.get(
        f"{interamc_sim.url}/annuaire/v1/amc/12345678/conventions",
        params={"date": "2026-07-01"},
        timeout=2.0,
    )
    assert response.status_code == 404 and response.json()["erreur"]["code"] == "amc_inconnue"
