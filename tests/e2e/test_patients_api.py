"""The patients JSON API end to end (the app in process, its own demo database): files,
errors with their codes, family, ADRi, carte Vitale."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from openfse.config import Settings
from openfse.domain.clock import Clock

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

# 1 83 01 75 111 0xx with its key (97 − N mod 97), for files of this module only.
from openfse.ids import nir as ids_nir


def nir(order: int) -> str:
    body = f"18301751110{order:02d}"
    return body + ids_nir.calc_check_digits(body)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from openfse.composition.demo import load_demo
    from openfse.web.app import create_app

    home = tmp_path_factory.mktemp("patients-api")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=date(2026, 3, 2))
    from security.sessions import logged_in  # tests/security: log-in for the guard

    with logged_in(TestClient(create_app(settings)), settings) as client:
        yield client


def ctx(api: TestClient) -> Any:
    return api.app.state.ctx  # type: ignore[attr-defined]


def find(api: TestClient, q: str) -> dict[str, Any]:
    [found] = api.get("/api/patients", params={"q": q}).json()
    return found  # type: ignore[no-any-return]


def new_patient(api: TestClient, order: int, **extra: Any) -> dict[str, Any]:
    body = {"last_name": f"APITEST{chr(64 + order)}", "first_name": "Zoé", "nir": nir(order),
            "birth_date": "01/01/1983", "amo_regime": "01", "amo_caisse": "751",
            "amo_centre": "9881", "periods": [{"start": "2026-01-01", "end": "2026-12-31"}],
            **extra}
    response = api.post("/api/patients", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_search_by_the_start_of_a_name_in_both_orders(api: TestClient) -> None:
    names = [p["first_name"] for p in api.get("/api/patients", params={"q": "martin"}).json()]
    assert names == ["SOPHIE", "HUGO", "LEA", "PAUL"]
    reverse = api.get("/api/patients", params={"q": "martin", "order": "desc"}).json()
    assert [p["first_name"] for p in reverse] == ["PAUL", "LEA", "HUGO", "SOPHIE"]


def test_create_reports_every_wrong_field_then_saves_the_file(api: TestClient) -> None:
    bad = api.post("/api/patients", json={"nir": "1 83 01 75 111 001 12", "birth_date": "x"})
    assert bad.status_code == 422
    error = bad.json()["error"]  # docs/formats/errors.md
    assert error["code"] == "invalid_form"
    # 1830175111001 mod 97 = 48, key 49.
    assert error["fields"]["nir"] == "Clé du NIR incorrecte : 12 saisie, 49 attendue."
    assert set(error["fields"]) == {"last_name", "birth_date", "nir"}
    # A phone of the wrong shape is refused by the schema itself (the OpenAPI pattern).
    bad = api.post("/api/patients", json={"mobile_phone": "12", "ik_plain_km": "1000"})
    assert set(bad.json()["error"]["fields"]) == {"mobile_phone", "ik_plain_km"}

    file = new_patient(api, 1, ik_plain_km="4,5", alds=[{"code": "8", "cim10": "E11"}])
    assert file["patient"]["birth_date"] == "1983-01-01"
    assert file["details"]["ik_plain_km"] == "4.5"
    # Rights typed for 2026: open today during 2026, closed after (the API says which).
    expected = "ouverts" if Clock().today() <= date(2026, 12, 31) else "fermés"
    assert [a["state"] for a in file["amo"]] == [expected]
    assert file["alds"][0]["cim10"] == "E11"
    assert file["unpaid"] == "0.00" and file["identity_locked"] is False
    again = api.post("/api/patients", json={"last_name": "X", "nir": nir(1),
                                            "birth_date": "01/01/1983"})
    assert again.status_code == 409
    duplicate = again.json()["error"]
    assert (duplicate["code"], duplicate["patient_id"]) == ("duplicate_patient",
                                                            file["patient"]["id"])


def test_a_card_file_refuses_identity_changes_but_takes_contact_details(api: TestClient) -> None:
    paul = find(api, "martin paul")
    refused = api.put(f"/api/patients/{paul['id']}", json={"last_name": "MARTINEZ"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "identity_locked"
    saved = api.put(f"/api/patients/{paul['id']}", json={"last_name": "Martin",
                                                         "city": "Lyon"})
    assert saved.status_code == 200 and saved.json()["details"]["city"] == "Lyon"
    assert saved.json()["identity_locked"] is True


def test_delete_merge_and_family(api: TestClient) -> None:
    one, two = new_patient(api, 2), new_patient(api, 3, mobile_phone="0611223344")
    a, b = one["patient"]["id"], two["patient"]["id"]
    lea = find(api, "martin lea")["id"]
    added = api.post(f"/api/patients/{b}/family", json={"relative_id": lea,
                                                        "relation": "enfant"})
    assert added.status_code == 201 and added.json()[0]["relation"] == "enfant"
    twice = api.post(f"/api/patients/{lea}/family", json={"relative_id": b,
                                                          "relation": "parent"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "family_link_exists"
    merged = api.post(f"/api/patients/{a}/merge", json={"other_id": b})
    assert merged.status_code == 200
    body = merged.json()
    assert body["details"]["mobile_phone"] == "0611223344" and len(body["amo"]) == 2
    assert [m["patient"]["id"] for m in body["family"]] == [lea]
    assert api.get(f"/api/patients/{b}").status_code == 404
    link = body["family"][0]["link_id"]
    assert api.delete(f"/api/patients/{a}/family/{link}").status_code == 204
    assert api.delete(f"/api/patients/{a}").status_code == 204
    assert api.get(f"/api/patients/{a}").json()["error"]["code"] == "not_found"


def test_adri_compare_then_apply_the_chosen_fields(api: TestClient) -> None:
    anne = find(api, "petit anne")["id"]
    assert api.get(f"/api/patients/{anne}").json()["rights_closed"] is True
    answer = api.post(f"/api/patients/{anne}/adri")
    assert answer.status_code == 200
    body = answer.json()
    assert body["outcome"] == "found" and body["amo_open"] is True
    assert [f["key"] for f in body["fields"] if f["differs"]] == ["droits"]
    applied = api.post(f"/api/patients/{anne}/adri/{body['token']}",
                       json={"take_from_adri": ["droits"]})
    assert applied.status_code == 200 and applied.json()["rights_closed"] is False
    wrong = api.post(f"/api/patients/{anne}/adri/{body['token']}",
                     json={"take_from_adri": ["nom"]})
    assert wrong.status_code == 422
    expired = api.post(f"/api/patients/{anne}/adri/inconnu", json={})
    assert expired.status_code == 404 and expired.json()["error"]["code"] == "pending_expired"


def test_adri_unknown_and_down_have_their_codes(api: TestClient) -> None:
    from openfse.adapters.teleservices.port import AdriUnavailable

    generated = find(api, "bernard")["id"]  # a demo patient ADRi does not know
    unknown = api.post(f"/api/patients/{generated}/adri")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "adri_unknown_patient"

    class Down:
        def query(self, request: object, on: date) -> object:
            raise AdriUnavailable("delai_depasse")

    working, ctx(api).adri = ctx(api).adri, Down()
    try:
        down = api.post(f"/api/patients/{find(api, 'petit anne')['id']}/adri")
        created = api.post("/api/patients/adri", json={"nir": "152066912304548",
                                                       "birth_date": "21/06/1952"})
    finally:
        ctx(api).adri = working
    assert down.status_code == 503 and down.json()["error"]["code"] == "adri_unavailable"
    assert "facturez avec les droits de la carte Vitale" in down.json()["error"]["message"]
    assert created.status_code == 503


def test_create_by_adri(api: TestClient) -> None:
    created = api.post("/api/patients/adri", json={"nir": "890059935001131",
                                                   "birth_date": "08/05/1990",
                                                   "caisse": "841", "centre": "5623"})
    assert created.status_code == 201
    file = created.json()
    assert file["patient"]["source"] == "adri" and file["amc"][0]["source"] == "adri"
    missing = api.post("/api/patients/adri", json={"nir": "890059935001131",
                                                   "birth_date": "08/05/1990"})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "caisse"


def test_carte_vitale_reading_and_import(api: TestClient) -> None:
    reader = ctx(api).card_reader
    reader.remove()
    reader.insert("vitale_sans_amc")
    assert api.get("/api/patients/vitale/beneficiaries").json()["error"]["code"] == (
        "cps_required")
    reader.insert("cps_titulaire")
    [grey] = api.get("/api/patients/vitale/beneficiaries").json()
    assert grey["status"] == "gris" and grey["patient_id"] is None
    file = api.post("/api/patients/vitale", json={"nir": grey["nir"],
                                                  "birth_date": grey["birth_date"],
                                                  "rank": grey["rank"]}).json()
    assert file["patient"]["source"] == "vitale" and file["identity_locked"]
    [green] = api.get("/api/patients/vitale/beneficiaries").json()
    assert green["status"] == "vert" and green["patient_id"] == file["patient"]["id"]
    absent = api.post("/api/patients/vitale", json={"nir": grey["nir"], "birth_date": "19000101",
                                                    "rank": 1})
    assert absent.status_code == 404
    reader.remove()
