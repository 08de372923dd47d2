"""``/api/invoices`` speaks the one error shape and declares its bodies (issue 11, points 4 and
8; docs/formats/errors.md, docs/formats/invoice.md).

- a validation refused by the controls answers ``controls_failed`` in the one shape: ``field``,
  ``fields`` (the blocking diagnostics' fields) and, as its own member, every ``diagnostic``;
- ``date_from`` / ``date_to`` are ISO dates: ``0`` is refused, not read as 1 January 1970;
- the OpenAPI document describes each invoice body by its model, not as « an object »;
- the refusals of the edge (``invalid_text``, ``json_too_deep``, ``body_too_large``) have the
  keys of every other refusal, ``fields`` included on 422.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openfse.config import Settings
from openfse.domain.clock import Clock

TODAY = Clock().today()  # the API validates against the cabinet's day


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from security.sessions import logged_in

    from openfse.composition.demo import load_demo
    from openfse.web.app import create_app

    home = Settings.from_env({"OPENFSE_HOME": str(tmp_path_factory.mktemp("invoice-api")),
                              "OPENFSE_MAX_BODY_BYTES": str(64 * 1024)})
    load_demo(home, today=TODAY)
    with logged_in(TestClient(create_app(home)), home) as client:
        yield client


def _draft(client: TestClient, patient: str, **extra: Any) -> dict[str, Any]:
    pros = client.get("/api/professionals").json()
    found = client.get("/api/patients", params={"q": patient}).json()
    return {"professional_id": next(p["id"] for p in pros if p["kind"] == "titulaire"),
            "patient_id": found[0]["id"], "date_soins": TODAY.isoformat(),
            "acts": [{"code": "G"}], "parcours": "medecin_traitant", **extra}


def test_a_validation_refused_by_the_controls_answers_the_one_shape(client: TestClient) -> None:
    # PETIT ANNE's AMO rights are closed, and K is no modifier of AFLB001 (CCAM): two blocking
    # diagnostics, one of them about a field of the document.
    answer = client.post("/api/invoices", json=_draft(client, "PETIT ANNE", acts=[
        {"code": "AFLB001", "nomenclature": "CCAM", "modifiers": ["K"]}]))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "controls_failed"
    assert error["message"].startswith("Facture refusée par les contrôles")
    blocking = [d for d in error["diagnostics"] if d["severity"] == "blocking"]
    assert [d["code"] for d in blocking] == ["droits_amo_fermes", "modificateur_non_autorise"]
    named = {d["field"]: d["message"] for d in blocking if d["field"]}
    assert "acts[0].modifiers" in named
    assert error["fields"] == named
    assert error["field"] == next(iter(named))


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["0", "1700000000", "2026-03-02T00:00", "02/03/2026"])
def test_the_list_dates_are_iso_days(client: TestClient, name: str, value: str) -> None:
    answer = client.get("/api/invoices", params={name: value})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_form", name)
    assert client.get("/api/invoices", params={name: "2026-03-02"}).status_code == 200


def test_the_openapi_document_declares_every_invoice_body(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    expected = {("/api/invoices/preview", "post"): "InvoiceDraftIn",
                ("/api/invoices", "post"): "InvoiceDraftIn",
                ("/api/invoices/{invoice_id}/payments", "post"): "PaymentIn",
                ("/api/invoices/{invoice_id}/payments/{payment_id}", "put"): "PaymentIn",
                ("/api/invoices/{invoice_id}/cancel", "post"): "CancelIn",
                ("/api/invoices/delete", "post"): "InvoiceIdsIn",
                ("/api/invoices/sign", "post"): "SignIn",
                ("/api/invoices/secure", "post"): "InvoiceIdsIn"}
    for (path, method), model in expected.items():
        body = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"] == f"#/components/schemas/{model}", (path, method, body)
    answer = paths["/api/invoices"]["post"]["responses"]["201"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/InvoiceOut"}
    refused = paths["/api/invoices"]["post"]["responses"]["422"]["content"]["application/json"]
    assert refused["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def _edge_error(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    return error


def test_the_edge_refusals_have_the_one_shape(client: TestClient) -> None:
    control = _edge_error(client.get("/api/invoices", params={"assure_nir": "1\x01"}), 422)
    assert control == {"code": "invalid_text", "field": None, "fields": {},
                       "message": control["message"]}
    deep = _edge_error(client.post("/api/invoices/preview", content=b"[" * 40 + b"]" * 40,
                                   headers={"content-type": "application/json"}), 422)
    assert deep == {"code": "json_too_deep", "field": None, "fields": {},
                    "message": "Données trop imbriquées : 32 niveaux au plus."}
    large = _edge_error(client.post("/api/invoices/preview", content=json.dumps(
        {"acts": [{"code": "G" * 100}] * 1000}).encode(),
        headers={"content-type": "application/json"}), 413)
    assert large == {"code": "body_too_large", "field": None,
                     "message": "Envoi trop volumineux : 64 Ko au plus."}
