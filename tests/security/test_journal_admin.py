"""The admin role opens no patient file, and reads no patient name in the journal either
(issue 12, finding 8: « Facture de MARTIN PAUL » in the admin's journal)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from openfse.services.audit import HIDDEN_SUMMARY
from openfse.store.models import UserRole

PATIENT = {"last_name": "JOURNALADMIN", "first_name": "Odile", "sex": "F",
           "birth_date": "12/04/1961", "amo_regime": "01", "amo_caisse": "751",
           "amo_centre": "9881", "nir": "2 61 04 75 111 007 52"}


def test_the_admin_reads_the_journal_without_any_patient_name(
        client_for: Callable[[UserRole], TestClient]) -> None:
    created = client_for(UserRole.TITULAIRE).post("/api/patients", json=PATIENT)
    assert created.status_code == 201, created.text
    husband = client_for(UserRole.TITULAIRE).post("/api/patients", json={
        **PATIENT, "first_name": "Marcel", "sex": "M", "birth_date": "03/03/1959",
        "nir": "1 59 03 75 111 008 86"})
    assert husband.status_code == 201, husband.text
    linked = client_for(UserRole.TITULAIRE).post(  # « lien familial : JOURNALADMIN Odile … »
        f"/api/patients/{husband.json()['patient']['id']}/family",
        json={"relative_id": created.json()["patient"]["id"], "relation": "conjoint"})
    assert linked.status_code in (200, 201), linked.text
    client_for(UserRole.TITULAIRE).post("/parametres/cabinet",
                                        data={"time_zone": "Europe/Paris"})

    titulaire_view = client_for(UserRole.TITULAIRE).get("/journal").text
    admin = client_for(UserRole.ADMIN).get("/journal")

    assert "JOURNALADMIN" in titulaire_view
    assert admin.status_code == 200
    assert "JOURNALADMIN" not in admin.text and "Odile" not in admin.text
    assert HIDDEN_SUMMARY in admin.text  # the line is there, its detail withheld
    assert client_for(UserRole.ADMIN).get(
        f"/api/patients/{created.json()['patient']['id']}").status_code == 403
