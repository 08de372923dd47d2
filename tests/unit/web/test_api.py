"""The JSON API: contract, errors, and the cabinet's lists."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openfse

G_DRAFT = {
    "date_soins": "2026-03-02",
    "profession": "medecin",
    "patient": {"age": 45, "regime": "01", "parcours": "medecin_traitant"},
    "acts": [{"code": "G", "nomenclature": "NGAP"}],
}


def test_health_and_openapi(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/health").json() == {
        "status": "ok",
        "version": openfse.__version__,
        "database": "SQLite",
    }
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/price",
        "/api/patients",
        "/api/referentials/ccam",
        "/api/referentials/ngap",
        "/api/organisms/amo",
        "/api/organisms/amc",
        "/api/prescribers",
    ):
        assert path in paths
    assert not any(p.startswith("/patients") for p in paths)  # HTML pages stay out of the API


def test_price_endpoint_matches_the_cli_contract(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/price", content=json.dumps(G_DRAFT))
    assert response.status_code == 200
    assert '"amo_brut": 21.00' in response.text  # G 30 € × 70 %, two decimals, never a float
    bad = client.post("/api/price", content=json.dumps({**G_DRAFT, "profession": "plombier"}))
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "profession"
    assert client.post("/api/price", content=b"{oops").json()["error"]["code"] == "invalid_json"


def test_patients_search_by_name_prefix_and_order(client) -> None:  # type: ignore[no-untyped-def]
    names = [p["first_name"] for p in client.get("/api/patients", params={"q": "martin"}).json()]
    assert names == ["SOPHIE", "HUGO", "LEA", "PAUL"]  # DUBOIS (usage name MARTIN) sorts first
    reverse = client.get("/api/patients", params={"q": "martin", "order": "desc"}).json()
    assert [p["first_name"] for p in reverse] == ["PAUL", "LEA", "HUGO", "SOPHIE"]
    assert len(client.get("/api/patients", params={"limit": 200}).json()) == 30
    assert client.get("/api/patients", params={"limit": 0}).status_code == 422


def test_lists_of_the_cabinet(client) -> None:  # type: ignore[no-untyped-def]
    professionals = client.get("/api/professionals").json()
    assert {p["kind"] for p in professionals} == {"titulaire", "remplacant"}
    assert len(client.get("/api/prescribers").json()) == 6
    amo = client.get("/api/organisms/amo", params={"q": "cpam paris"}).json()
    assert any(o["regime"] == "01" and o["caisse"] == "751" for o in amo)
    amc = client.get("/api/organisms/amc", params={"q": "mgen"}).json()
    assert amc and amc[0]["name"].upper().startswith("MGEN")


def test_referentials_endpoints(client) -> None:  # type: ignore[no-untyped-def]
    acts = client.get("/api/referentials/ccam", params={"q": "HBJD001", "on": "2026-03-02"}).json()
    assert acts[0]["code"] == "HBJD001"
    keys = client.get(
        "/api/referentials/ngap",
        params={"profession": "medecin", "on": "2024-12-21", "prefix": "G"},
    ).json()
    assert next(k for k in keys if k["code"] == "G")["value"] == "26.50"  # before 22/12/2024
    wrong = client.get("/api/referentials/ngap", params={"profession": "plombier"})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "profession"


def test_pages_answer_in_french(client) -> None:  # type: ignore[no-untyped-def]
    for path in (
        "/",
        "/patients",
        "/facture",
        "/prescripteurs",
        "/parametres",
        "/professionnels",
        "/factures",
        "/teletransmission",
        "/favoris",
        "/profils",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="fr">' in response.text
    missing = client.get("/inconnu")
    assert missing.status_code == 404 and "Page introuvable" in missing.text


def test_vendored_htmx_is_the_pinned_release() -> None:
    # htmx.org 2.0.11 from the npm registry: sha256 of dist/htmx.min.js.
    path = Path(openfse.__file__).parent / "web" / "static" / "vendor" / "htmx-2.0.11.min.js"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
