"""``/api/invoices`` over HTTP (docs/formats/invoice.md), on the demo cabinet."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from uow_support import unit_of

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.clock import Clock

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

TODAY = Clock().today()  # the API validates against the real date: care is billed "today"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from openfse.web.app import create_app

    home: Path = tmp_path_factory.mktemp("invoices-api")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=TODAY)
    from security.sessions import logged_in  # tests/security: log-in for the guard

    with logged_in(TestClient(create_app(settings)), settings) as test_client:
        yield test_client


def patient_id(client: TestClient, name: str) -> int:
    found = client.get("/api/patients", params={"q": name}).json()
    return int(found[0]["id"])


def titulaire_id(client: TestClient) -> int:
    pros = client.get("/api/professionals").json()
    return int(next(p["id"] for p in pros if p["kind"] == "titulaire"))


def doc(client: TestClient, patient: str = "BERNARD JEAN", **extra: Any) -> dict[str, Any]:
    """The smallest draft: the rest comes from the patient file and the professional."""
    document: dict[str, Any] = {
        "professional_id": titulaire_id(client), "patient_id": patient_id(client, patient),
        "date_soins": TODAY.isoformat(), "acts": [{"code": "G"}],
        "parcours": "medecin_traitant",
    }
    document.update(extra)
    return document


def test_preview_prices_with_the_files_and_reports_diagnostics(client: TestClient) -> None:
    # BERNARD JEAN's mutuelle 052 (from his file) in tiers payant: G 30 = AMO 21 + AMC 9.
    answer = client.post("/api/invoices/preview", json=doc(
        client, tiers_payant={"amo": True, "amc": True},
        amc_choice={"coverage_id": _coverage_id(client, "BERNARD JEAN")}))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["priced"]["amo_brut"], body["priced"]["amc"]) == (21.0, 9.0)
    assert body["dues"] == {"amo": 21.0, "amc": 9.0, "patient": 0.0}
    assert (body["blocking"], body["amo_rights"]) == (False, "ouverts")
    assert '"amo_brut": 21.00' in answer.text  # amounts written with two decimals


def _coverage_id(client: TestClient, name: str) -> int:
    from openfse.services.invoicing import desk_context

    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    desk = desk_context(unit_of(ctx), titulaire_id(client), patient_id(client, name), TODAY)
    return next(iter(desk.amc_contracts))


def test_validate_returns_the_numbered_invoice(client: TestClient) -> None:
    photo = base64.b64encode(b"%PDF-1.4 ordonnance").decode()
    with unit_of(client.app.state.ctx) as uow:  # type: ignore[attr-defined]
        prescriber = uow.prescribers.list()[0].id
    answer = client.post("/api/invoices", headers={"X-OpenFSE-Actor": "secretaire"}, json=doc(
        client, acts=[{"code": "G"}, {"code": "MEG", "complement": "N"}],
        prescription={"date": TODAY.isoformat(), "prescriber_id": prescriber,
                      "ordonnance": {"media_type": "application/pdf", "filename": "o.pdf",
                                     "content_base64": photo}},
        secure_mode="desynchronise", amc=None))  # no mutuelle: the patient owes the 35,00
    assert answer.status_code == 201, answer.text
    invoice = answer.json()
    assert len(invoice["number"]) == 9 and invoice["display_status"] == "a_signer"
    assert invoice["display_status_label"] == "À signer"
    assert invoice["totals"]["total"] == 35.0  # G 30 + MEG 5
    assert [a["code"] for a in invoice["acts"]] == ["G", "MEG"]
    assert invoice["acts"][1]["complement"] == "N"
    assert invoice["balance"]["message"] == "Le paiement est incomplet"
    [attachment] = invoice["attachments"]
    file = client.get(f"/api/invoices/{invoice['id']}/attachments/{attachment['id']}")
    assert (file.status_code, file.content) == (200, b"%PDF-1.4 ordonnance")

    again = client.get(f"/api/invoices/{invoice['id']}").json()
    assert again["number"] == invoice["number"] and again["header"]["prescriber_id"] == prescriber


def test_blocking_controls_answer_422_with_every_diagnostic(client: TestClient) -> None:
    answer = client.post("/api/invoices", json=doc(client, "PETIT ANNE", acts=[
        {"code": "AFLB001", "nomenclature": "CCAM", "modifiers": ["K"]}]))
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "controls_failed"
    assert [d["code"] for d in error["diagnostics"] if d["severity"] == "blocking"] == [
        "droits_amo_fermes", "modificateur_non_autorise"]


@pytest.mark.parametrize(("body", "field", "code"), [
    # The shape (the OpenAPI schema, docs/formats/errors.md): invalid_form at the field.
    ({"patient_id": 1}, "professional_id", "invalid_form"),
    ({"accident_travail": {"organisme": "12"}}, "accident_travail.organisme", "invalid_form"),
    ({"acts": [{"code": "AMI", "regroupement": "A-1"}]}, "acts[0].regroupement",
     "invalid_form"),
    ({"prescription": {"ordonnance": {"media_type": "image/gif", "content_base64": "R0lG"}}},
     "prescription.ordonnance.media_type", "invalid_form"),
    # The rules a schema cannot say: the readers' own codes.
    ({"acts": [{"code": "G?"}]}, "acts[0].code", "invalid_draft"),
    ({"secure_mode": "magique"}, "secure_mode", "invalid_draft"),
    ({"prescription": {"ordonnance": {"media_type": "application/pdf",
                                      "content_base64": "R0lG"}}},  # a GIF called a PDF
     "prescription.ordonnance", "invalid_draft"),
    ({"professional_id": 999999}, None, "not_found"),
])
def test_bad_documents_are_refused_at_their_field(client: TestClient, body: dict[str, Any],
                                                  field: str | None, code: str) -> None:
    document = doc(client)
    document.update(body)
    if "patient_id" in body and len(body) == 1:
        del document["professional_id"]
    answer = client.post("/api/invoices", json=document)
    assert answer.status_code in (404, 422), answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    if field is not None:
        assert error["field"] == field


def test_malformed_json_is_refused(client: TestClient) -> None:
    answer = client.post("/api/invoices", content=b"{not json",
                         headers={"content-type": "application/json"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_json"


def test_payments_over_http(client: TestClient) -> None:
    invoice = client.post("/api/invoices", json=doc(client, "MULLER CELINE")).json()
    url = f"/api/invoices/{invoice['id']}/payments"

    paid = client.post(url, json={"kind": "cb", "amount": "25.00", "paid_on":
                                  TODAY.isoformat()})
    assert paid.status_code == 201
    assert paid.json()["balance"]["solde"]["patient"] == 5.0
    payment_id = client.get(f"/api/invoices/{invoice['id']}").json()["payments"][0]["id"]
    changed = client.put(f"{url}/{payment_id}", json={"kind": "cheque", "amount": 31,
                                                      "paid_on": TODAY.isoformat(),
                                                      "reference": "0001234"})
    assert changed.json()["balance"]["patient_state"] == "negatif"
    assert client.delete(f"{url}/{payment_id}").json()["balance"]["solde"]["patient"] == 30.0
    bad = client.post(url, json={"kind": "cb", "amount": "-3", "paid_on": TODAY.isoformat()})
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "amount")
    assert client.delete(f"{url}/999999").status_code == 404


def test_list_cancel_and_delete(client: TestClient) -> None:
    patient = patient_id(client, "LAURENT NATHAN")
    first = client.post("/api/invoices", json=doc(client, "LAURENT NATHAN")).json()
    second = client.post("/api/invoices", json=doc(client, "LAURENT NATHAN")).json()

    listed = client.get("/api/invoices", params={"patient_id": patient, "status": "a_signer"})
    assert listed.json()["total"] == 2
    assert listed.json()["items"][0]["patient"]["name"] == "LAURENT NATHAN"

    cancelled = client.post(f"/api/invoices/{first['id']}/cancel", json={"reason": "doublon"})
    assert cancelled.status_code == 201
    assert (cancelled.json()["kind"], cancelled.json()["cancels_id"]) == (
        "cancellation", first["id"])
    assert cancelled.json()["total"] == -30.0
    refused = client.post("/api/invoices/delete", json={"ids": [first["id"], second["id"]]})
    assert refused.status_code == 409  # the cancelled one is not « non transmise »
    deleted = client.post("/api/invoices/delete", json={"ids": [second["id"]]})
    assert deleted.json()["items"][0]["display_status"] == "supprimee"
    left = client.get("/api/invoices", params={"patient_id": patient}).json()
    assert [item["display_status"] for item in left["items"]] == ["annulee"]
    assert client.get("/api/invoices/999999").status_code == 404


def test_sign_and_secure_with_the_cards_in_the_reader(client: TestClient) -> None:
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    reader = ctx.card_reader
    reader.insert("cps_titulaire")
    reader.verify_pin("1234")
    reader.insert("vitale_famille")  # MARTIN PAUL's card
    try:
        secure = client.post("/api/invoices", json=doc(client, "MARTIN PAUL")).json()
        later = client.post("/api/invoices", json=doc(
            client, "MARTIN PAUL", secure_mode="desynchronise")).json()

        signed = client.post("/api/invoices/sign", json={"ids": [secure["id"], later["id"]]})
        assert [r["id"] for r in signed.json()["refused"]] == [secure["id"]]
        to_secure = client.get("/api/invoices/to-secure",
                               params={"nir": "178047511501217"}).json()["items"]
        assert later["id"] in [item["id"] for item in to_secure]

        with_card = client.post("/api/invoices/sign", json={"ids": [secure["id"]],
                                                            "with_vitale": True}).json()
        assert with_card["done"][0]["display_status"] == "securisee"
        secured = client.post("/api/invoices/secure", json={"ids": [later["id"]]}).json()
        assert secured["done"][0]["display_status"] == "securisee"
    finally:
        reader.remove("vitale_famille")
        reader.remove("cps_titulaire")


def test_a_cancelled_invoice_is_replaced_through_the_api(client: TestClient) -> None:
    # « Corriger et refacturer » for integrators: replaces_id names the cancelled invoice.
    first = client.post("/api/invoices", json=doc(client, secure_mode="desynchronise")).json()
    assert client.post(f"/api/invoices/{first['id']}/cancel",
                       json={"reason": "à corriger"}).status_code == 201
    new = client.post("/api/invoices", json=doc(client, secure_mode="desynchronise",
                                                 replaces_id=first["id"]))
    assert new.status_code == 201, new.text
    assert new.json()["header"]["replaces_id"] == first["id"]
    assert "vitale_signature" in new.json()["lifecycle"]
    again = client.post("/api/invoices", json=doc(client, secure_mode="desynchronise",
                                                   replaces_id=first["id"]))
    assert again.status_code == 422 and again.json()["error"]["field"] == "replaces_id"
