"""Server errors found by the form fuzz (test_form_fuzz.py), each pinned by a worked example."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from openfse.domain.pricing import json_readers
from openfse.domain.pricing.errors import DraftError
from openfse.errors import InvalidInput
from openfse.services import patient_forms, preferences
from openfse.services.fiches import FieldErrors
from openfse.store.models import UserRole
from openfse.typed_numbers import record_id, small_int


def test_a_birth_rank_of_thousands_of_digits_is_refused_in_french() -> None:
    # Rule (aide eS-KAP+): the rang de naissance is 1 to 9. A 5,000-digit rank made int() raise
    # « Exceeds the limit (4300 digits) » → HTTP 500 on « Modifier le patient ».
    with pytest.raises(InvalidInput, match="Rang de naissance invalide"):
        patient_forms._rank("9" * 5000)
    assert patient_forms._rank("01") == 1  # a leading zero is still accepted
    with pytest.raises(InvalidInput):
        patient_forms._rank("10")


# --------------------------------------------------------------------------- the shared reader
# Each finding below was « isdigit() then int() » on a posted id: int() raises ValueError on
# more than 4,300 digits and on « ² » (a digit for isdigit(), not for int()) → HTTP 500.
HUGE = "9" * 5000
NOT_AN_ID = [HUGE, "²", "١٢", "-1", "1e3", " ", "0x1f", "9" * 19]


def test_record_id_reads_at_most_18_ascii_digits_and_never_raises() -> None:
    # Rule: a record id is 1 to 10**18 - 1 (below the 64-bit BIGINT limit 2**63 - 1), ASCII
    # digits only; anything else is no id (None), never an exception.
    assert record_id("42") == 42
    assert record_id(" 0042 ") == 42  # blanks and leading zeros do not count
    assert record_id("9" * 18) == 10**18 - 1
    assert record_id(7) == 7
    for value in [*NOT_AN_ID, "", "0", None, True, 3.0, -5, 10**18]:
        assert record_id(value) is None, value
    # A small count: the bound is the caller's (the preference delays have 3 digits at most).
    assert small_int("0" * 5000 + "30", max_digits=3) == 30
    assert small_int("1000", max_digits=3) is None
    assert small_int("0", max_digits=3) == 0


# --------------------------------------------------------------------------- one per finding
@pytest.fixture(scope="module")
def titulaire(client_for: Callable[[UserRole], TestClient]) -> TestClient:
    return client_for(UserRole.TITULAIRE)


def _first_id(client: TestClient, url: str, **where: str) -> int:
    rows = [row for row in client.get(url).json()
            if all(row.get(key) == value for key, value in where.items())]
    assert rows, (url, where)
    return int(rows[0]["id"])


@pytest.mark.parametrize("value", [HUGE, "²"])
def test_a_mutuelle_posted_with_a_huge_organism_fiche_id_is_refused_in_french(
    titulaire: TestClient, value: str,
) -> None:
    # Was: amc_coverage._organism_id → int(value) → 500 on « Ajouter une mutuelle ».
    patient = _first_id(titulaire, "/api/patients")
    answer = titulaire.post(f"/patients/{patient}/mutuelles/nouvelle",
                            data={"amc_organism_id": value, "amc_number": "12345678"})
    assert answer.status_code == 422, answer.text[:500]
    assert "Fiche organisme invalide" in answer.text


def test_a_mutuelle_edited_with_a_huge_organism_fiche_id_is_refused(titulaire: TestClient) -> None:
    # Same reader on « Modifier la mutuelle » (…/mutuelles/{coverage_id}).
    patient_id = coverage_id = 0
    for patient in titulaire.get("/api/patients").json():
        coverages = titulaire.get(f"/api/patients/{patient['id']}/amc").json()
        if coverages:
            patient_id, coverage_id = patient["id"], coverages[0]["id"]
            break
    assert coverage_id, "the demo cabinet has a patient with a mutuelle"
    answer = titulaire.post(f"/patients/{patient_id}/mutuelles/{coverage_id}",
                            data={"amc_organism_id": HUGE})
    assert answer.status_code == 422, answer.text[:500]
    assert "Fiche organisme invalide" in answer.text


@pytest.mark.parametrize("value", [HUGE, "²"])
def test_a_huge_ticked_invoice_id_in_the_list_is_ignored(titulaire: TestClient, value: str) -> None:
    # Was: web/ui/invoices._selected → int(v) → 500 on « Factures » (the ticked lines).
    answer = titulaire.post("/factures/selection", data={"ids": [value]})
    assert answer.status_code < 500, answer.text[:500]


@pytest.mark.parametrize("query", ["professionnel=%C2%B2", "patient_id=%C2%B2"])
def test_the_invoice_list_filtered_by_a_superscript_id_is_answered(
    titulaire: TestClient, query: str,
) -> None:
    # Found next to the previous one: « ² » passed isdigit() and int("²") raised → 500 on the
    # « Factures » list filters (a GET: the fuzz posts forms only).
    answer = titulaire.get(f"/factures?{query}")
    assert answer.status_code == 200, answer.text[:500]


@pytest.mark.parametrize("value", [HUGE, "²"])
def test_a_favourite_for_a_huge_professional_id_is_refused_in_french(
    titulaire: TestClient, value: str,
) -> None:
    # Was: favourites._professional_id → int(text) → 500 on « Nouveau favori ».
    answer = titulaire.post("/favoris/nouveau", data={"label": "Consultation",
                                                      "professional_id": value})
    assert answer.status_code == 422, answer.text[:500]
    assert "Professionnel introuvable dans ce cabinet" in answer.text


def test_a_favourite_edited_for_a_huge_professional_id_is_refused(titulaire: TestClient) -> None:
    # Same reader on « Modifier le favori » (/favoris/{id}).
    favourite = _first_id(titulaire, "/api/favourites")
    answer = titulaire.post(f"/favoris/{favourite}", data={"label": "Consultation",
                                                           "professional_id": HUGE})
    assert answer.status_code == 422, answer.text[:500]
    assert "Professionnel introuvable dans ce cabinet" in answer.text


@pytest.mark.parametrize("value", [HUGE, "²"])
def test_the_calendar_of_a_huge_titulaire_id_redraws_without_one(
    titulaire: TestClient, value: str,
) -> None:
    # Was: web/ui/professionals → int(titulaire) → 500 on the remplaçant's calendar.
    professional = _first_id(titulaire, "/api/professionals")
    answer = titulaire.post(f"/professionnels/{professional}/calendrier",
                            data={"titulaire": value, "shown_titulaire": ""})
    assert answer.status_code == 200, answer.text[:500]


@pytest.mark.parametrize("value", [HUGE, "²", "1000"])
def test_a_huge_transmission_delay_is_refused_in_french(titulaire: TestClient, value: str) -> None:
    # Rule (docs/protocols.md §1.7): the ARL wait is a whole number of days within its bounds. Was:
    # preferences._days read the digits with its own isdigit + int (now the shared reader).
    before = titulaire.get("/api/preferences").json()
    errors = FieldErrors()
    assert preferences._days("arl_wait_days", value, errors) is None
    assert errors.errors["arl_wait_days"].startswith("Nombre de jours entier de ")
    answer = titulaire.post("/teletransmission/reglages", data={"arl_wait_days": value})
    assert answer.status_code == 303, answer.text[:500]  # back to the page, refusal flashed
    assert "Nombre de jours entier de " in titulaire.get("/teletransmission").text
    assert titulaire.get("/api/preferences").json() == before  # refused: nothing changed


@pytest.mark.parametrize("value", ["", HUGE, "²"])
def test_an_invoice_form_with_no_usable_professional_id_is_answered_not_a_500(
    titulaire: TestClient, value: str,
) -> None:
    # Was: pricing/json_readers.integer → DraftError (empty) or ValueError (5,000 digits, « ² »)
    # escaping the « Nouvelle facture » screen as a 500.
    with pytest.raises(DraftError, match="expected an integer"):
        json_readers.integer(value, "professional_id", 1, 10**9)
    answer = titulaire.post("/facture", data={"professional_id": value, "patient_id": value})
    assert answer.status_code < 500, answer.text[:500]


@pytest.mark.parametrize("numero", ["²", "9" * 5000, "1234567890"])
def test_an_invoice_number_filter_that_is_no_number_is_said_not_a_500(
    client_for: Callable[[UserRole], TestClient], numero: str,
) -> None:
    page = client_for(UserRole.TITULAIRE).get("/factures", params={"numero": numero})
    assert page.status_code in (200, 422), page.status_code
    assert ("Numéro de facture : 1 à 9 chiffres." in page.text
            or "n&#39;est pas acceptée" in page.text)  # over 100 characters: the page says so
    assert "<html" in page.text  # a French page, never JSON in front of the user
