"""Prescripteurs (services.prescribers) on a real SQLite database holding the demo cabinet:
the fiche's rules (nom and one identification number required, keys checked, duplicates
refused), search by the start of the last or first name, update, delete, the journal."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable

import pytest

from openfse.config import Settings
from openfse.errors import NotFound
from openfse.ids import rpps as rpps_id
from openfse.services import prescribers
from openfse.services.prescribers import FieldErrors, InvalidForm
from openfse.store.uow import UnitOfWork

MakeUow = Callable[[], UnitOfWork]
_serial = itertools.count(1)


# ``settings`` and ``make_uow``: the module's demo cabinet (tests/services/conftest.py).


def _new_rpps() -> str:
    """A fresh RPPS with its Luhn key (the demo uses 1000000001x…)."""
    body = f"2000{next(_serial):06d}"
    return body + rpps_id.calc_check_digits(body)


def _errors(excinfo: pytest.ExceptionInfo[InvalidForm]) -> dict[str, str]:
    return excinfo.value.errors


def test_a_prescriber_needs_a_name_and_one_identification_number(make_uow: MakeUow) -> None:
    with pytest.raises(InvalidForm) as excinfo:
        prescribers.create(make_uow(), {"last_name": " ", "first_name": "Jean"})
    errors = _errors(excinfo)
    assert errors["last_name"] == "Le nom est requis."
    assert errors["rpps"].startswith("Saisissez au moins un numéro d'identification")
    assert excinfo.value.as_dict()["fields"] == errors  # the API returns them all


def test_every_identifier_is_checked_with_its_key(make_uow: MakeUow) -> None:
    # RPPS 10001347698 is valid (Luhn over 11 digits): …99 is off by one on the key.
    # Numéro AM 06 4 01823 7 is valid (Luhn over 9 digits): …9 is wrong.
    # ADELI 78 93 1059 6 is valid: département 7X does not exist.
    with pytest.raises(InvalidForm) as excinfo:
        prescribers.create(make_uow(), {"last_name": "GENE", "rpps": "10001347699",
                                        "am_number": "06 4 01823 9", "adeli": "7X9310596",
                                        "postal_code": "7500", "phone": "abc"})
    errors = _errors(excinfo)
    assert errors["rpps"] == "Clé du numéro RPPS incorrecte : 9 saisie, 8 attendue."
    assert errors["am_number"].startswith("Clé du numéro de facturation incorrecte : 9 saisie")
    assert errors["adeli"].startswith("Le département du numéro ADELI est incorrect : 7X")
    assert errors["postal_code"] == "Le code postal doit comporter 5 chiffres (« 7500 » saisi)."
    assert "phone" in errors


def test_create_stores_the_compact_numbers_and_journals(make_uow: MakeUow) -> None:
    # The seed's prescriber list shows « GENE Alain 99 1 14560 8 » (numéro AM with its key).
    created = prescribers.create(make_uow(), {
        "last_name": "GENE", "first_name": "Alain", "am_number": "99 1 14560 8",
        "specialty_code": "1", "structure": "  Centre   de santé  ", "city": "Paris",
    })
    assert created.am_number == "991145608"
    assert created.specialty_code == "01"  # "1" and "01" are one code
    assert created.structure == "Centre de santé"
    assert prescribers.specialty_label(created.specialty_code) == "Médecine générale"
    with make_uow() as uow:
        history = uow.journal_entries.history("prescriber", created.id)
        assert [entry.action for entry in history] == ["create"]


def test_duplicate_numbers_are_refused_with_the_owner_named(make_uow: MakeUow) -> None:
    rpps = _new_rpps()
    first = prescribers.create(make_uow(), {"last_name": "PAROLE", "first_name": "Jean",
                                            "rpps": rpps})
    with pytest.raises(InvalidForm) as excinfo:
        prescribers.create(make_uow(), {"last_name": "AUTRE", "rpps": rpps})
    assert _errors(excinfo)["rpps"] == "Le prescripteur PAROLE Jean porte déjà ce numéro RPPS."
    # Saving the same fiche again is not a duplicate of itself.
    same = prescribers.update(make_uow(), first.id, {"last_name": "PAROLE",
                                                      "first_name": "Jean", "rpps": rpps})
    assert same.rpps == rpps


def test_search_by_start_of_last_or_first_name_in_both_orders(make_uow: MakeUow) -> None:
    for last, first in (("ZORRO", "Yvette"), ("ZOLA", "Emile"), ("YVAIN", "Zoé")):
        prescribers.create(make_uow(), {"last_name": last, "first_name": first,
                                        "rpps": _new_rpps()})
    ascending = [p.last_name for p in prescribers.search(make_uow(), "zo")]
    # ZOLA and ZORRO by last name, YVAIN by his first name Zoé (accents ignored).
    assert ascending == ["YVAIN", "ZOLA", "ZORRO"]
    descending = [p.last_name for p in prescribers.search(make_uow(), "zo", order="desc")]
    assert descending == ["ZORRO", "ZOLA", "YVAIN"]
    assert [p.last_name for p in prescribers.search(make_uow(), "yvette")] == ["ZORRO"]


def test_update_replaces_fields_and_journals_what_changed(make_uow: MakeUow) -> None:
    rpps = _new_rpps()
    created = prescribers.create(make_uow(), {"last_name": "MASSEUR", "first_name": "Anne",
                                              "rpps": rpps})
    updated = prescribers.update(make_uow(), created.id, {
        "last_name": "MASSEUR", "first_name": "Anne", "rpps": rpps, "specialty_code": "21",
    })
    assert prescribers.specialty_label(updated.specialty_code) == "Sage-femme"
    with make_uow() as uow:
        entries = uow.journal_entries.history("prescriber", created.id)
        assert [e.action for e in entries] == ["create", "update"]
        assert entries[-1].changes == {"specialty_code": {"before": None, "after": "21"}}


def test_an_unknown_specialty_is_refused(make_uow: MakeUow) -> None:
    with pytest.raises(InvalidForm) as excinfo:
        prescribers.create(make_uow(), {"last_name": "X", "rpps": _new_rpps(),
                                        "specialty_code": "99"})
    assert _errors(excinfo) == {
        "specialty_code": "Spécialité inconnue : « 99 ». Choisissez-la dans la liste."}


def test_delete_removes_the_fiche_and_journals_it(make_uow: MakeUow) -> None:
    created = prescribers.create(make_uow(), {"last_name": "ROY", "rpps": _new_rpps()})
    prescribers.delete(make_uow(), created.id)
    with pytest.raises(NotFound, match="Prescripteur introuvable"):
        prescribers.get(make_uow(), created.id)
    with make_uow() as uow:
        actions = [e.action for e in uow.journal_entries.history("prescriber", created.id)]
    assert actions == ["create", "delete"]


def test_field_errors_keep_the_first_message_per_field() -> None:
    errors = FieldErrors()
    assert errors.text("nom", "x" * 5, label="Le nom", max_length=3) is None
    errors.add("nom", "second")
    assert errors.errors == {"nom": "Le nom ne peut dépasser 3 caractères (5 saisis)."}
    assert errors.flag("ok", "on") is True and errors.flag("ok", None) is False
    assert errors.email("mail", "pas-une-adresse") is None
    with pytest.raises(InvalidForm, match="2 champs à corriger"):
        errors.raise_if_any()


def test_the_json_api_round_trip(settings: Settings) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient

    from security.sessions import logged_in  # tests/security: log-in for the guard

    from openfse.web.app import create_app

    with logged_in(TestClient(create_app(settings)), settings) as client:
        refused = client.post("/api/prescribers", json={"last_name": "API", "rpps": "123"})
        assert refused.status_code == 422
        assert refused.json()["error"]["fields"] == {
            "rpps": "Le numéro RPPS comporte 11 chiffres, clé comprise."}  # the schema's
        rpps = _new_rpps()
        created = client.post("/api/prescribers", json={"last_name": "API", "rpps": rpps,
                                                        "specialty_code": "15"})
        assert created.status_code == 201
        body = created.json()
        assert body["specialty_label"] == "Ophtalmologie" and body["rpps"] == rpps
        url = f"/api/prescribers/{body['id']}"
        changed = client.put(url, json={"last_name": "API", "rpps": rpps, "city": "Nantes"})
        assert changed.json()["city"] == "Nantes" and changed.json()["specialty_code"] is None
        assert client.get("/api/prescribers", params={"q": "api"}).json()[0]["id"] == body["id"]
        assert client.delete(url).status_code == 204
        assert client.get(url).json()["error"]["code"] == "not_found"
