"""One form-error type, one JSON shape (issue 11, point 4; docs/formats/errors.md).

A patient, a prescriber and a favourite refused on several fields at once answer the same
shape through the API: 422, ``code`` ``invalid_form``, a French ``message``, ``field`` the first
wrong field and ``fields`` every wrong field with its French message, at its JSON path. The
same holds for a body refused by the schema (every field, not only the first).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openfse.config import Settings
from openfse.errors import FormErrors, InvalidInput
from openfse.services.amc_coverage import AmcCoverageInvalid
from openfse.services.fiches import InvalidForm
from openfse.services.patient_forms import PatientFormErrors
from openfse.services.professionals import InvalidForm as ProfessionalInvalidForm

DEMO_DAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from security.sessions import logged_in

    from openfse.composition.demo import load_demo
    from openfse.web.app import create_app

    home = Settings.from_env({"OPENFSE_HOME": str(tmp_path_factory.mktemp("errors"))})
    load_demo(home, today=DEMO_DAY)
    with logged_in(TestClient(create_app(home)), home) as client:
        yield client


def _refusal(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert error["code"] == "invalid_form"
    assert isinstance(error["message"], str) and error["message"]
    assert error["field"] == next(iter(error["fields"]))  # the first wrong field
    assert all(isinstance(m, str) and m for m in error["fields"].values())
    return error


def test_the_form_errors_of_every_service_are_one_type() -> None:
    assert PatientFormErrors is FormErrors
    assert InvalidForm is FormErrors
    assert ProfessionalInvalidForm is FormErrors
    assert AmcCoverageInvalid is FormErrors
    assert issubclass(FormErrors, InvalidInput)
    error = FormErrors({"nir": "Clé du NIR incorrecte.", "phone": "Numéro invalide."})
    assert error.as_dict() == {
        "code": "invalid_form", "field": "nir",
        "message": "2 champs à corriger : Clé du NIR incorrecte.",
        "fields": {"nir": "Clé du NIR incorrecte.", "phone": "Numéro invalide."}}


def test_a_patient_refused_on_several_fields_lists_them_all(client: TestClient) -> None:
    error = _refusal(client.post("/api/patients", json={
        "last_name": "", "birth_date": "31/02/1990", "nir": "180057512345612",
        "alds": [{"code": "8", "cim10": "E11", "start": "2026-01-01", "end": "2025-01-01"}]}))
    assert set(error["fields"]) >= {"last_name", "birth_date", "nir"}
    assert error["fields"]["nir"].startswith("Clé du NIR incorrecte")
    # A row of the form is named by its JSON path, as the body names it.
    assert any(name.startswith("alds[0].") for name in error["fields"])


def test_a_prescriber_refused_on_several_fields_lists_them_all(client: TestClient) -> None:
    error = _refusal(client.post("/api/prescribers", json={
        "last_name": "DURAND", "rpps": "10000000000", "am_number": "123456789"}))
    assert set(error["fields"]) == {"rpps", "am_number"}
    assert error["fields"]["rpps"].startswith("Clé du numéro RPPS incorrecte")


def test_a_favourite_refused_on_several_fields_lists_them_all(client: TestClient) -> None:
    error = _refusal(client.post("/api/favourites", json={
        "label": "Pansement", "acts": [{"code": "ZZZ"}, {"code": "G", "coefficient": "1"},
                                       {"code": "AFLB001", "coefficient": "2"}]}))
    assert set(error["fields"]) == {"acts[0].code", "acts[2].coefficient"}


def test_a_body_the_schema_refuses_lists_every_field(client: TestClient) -> None:
    # Before issue 11 only the first field of a request-validation error was answered.
    error = _refusal(client.post("/api/prescribers", json={
        "last_name": "", "phone": "abc", "postal_code": "7501", "unknown": 1}))
    assert set(error["fields"]) == {"last_name", "phone", "postal_code", "unknown"}
    assert error["fields"]["last_name"] == "Champ requis."
    assert error["fields"]["postal_code"] == "5 chiffres attendus."
    error = _refusal(client.post("/api/favourites", json={
        "label": "x", "acts": [{"code": "AMI", "quantity": 0}, {"code": "AMI", "phase": "a"}]}))
    assert set(error["fields"]) == {"acts[0].quantity", "acts[1].phase"}


def test_other_refusals_keep_the_shape(client: TestClient) -> None:
    missing = client.get("/api/prescribers/999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert set(missing.json()["error"]) >= {"code", "message", "field"}
    wrong_method = client.patch("/api/prescribers")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET, POST"
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    # A path segment that is no id is no route: 404, not a validation error.
    assert client.get("/api/prescribers/abc").status_code == 404
