"""Paramètres SV (services.organisms): the AMO and AMC lists of the demo cabinet on a real
SQLite database — fiche rules, name/number search and sort, update, delete refused while a
patient's coverage uses the organism."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from openfse.config import Settings
from openfse.errors import Conflict
from openfse.services import organisms
from openfse.services.prescribers import InvalidForm
from openfse.store.journal import JournalAction
from openfse.store.models import AmcCoverage, AmcGestion, AmoCoverage, DataSource, Patient
from openfse.store.uow import UnitOfWork

MakeUow = Callable[[], UnitOfWork]

# Manuel eS-KAP+, « Ajout organisme AMO »: régime 01, caisse 349, centre 9881.
SEED_AMO = {"regime": "01", "caisse": "349", "centre": "9881", "flux": "",
            "comment": "Centre de Rennes"}
# Manuel eS-KAP+, « Fiche AMC »: ACORIS MUTUELLES 0780004099, type contrat 0, gestion séparée.
ACORIS = {"name": "ACORIS MUTUELLES TEST", "number": "0780004099", "contract_type": "0",
          "gestion": "separee", "address_line1": "6-8, VIADUC KENNEDY",
          "postal_code": "54042", "city": "NANCY CEDEX", "phone": "08.10.00.10.20"}


# ``settings`` and ``make_uow``: the module's demo cabinet (tests/services/conftest.py).


def _patient_with(make_uow: MakeUow, coverage: AmoCoverage | AmcCoverage) -> None:
    with make_uow() as uow:
        patient = Patient(last_name="COUVERT", first_name="Léa", source=DataSource.MANUEL)
        uow.journal_change(patient, JournalAction.CREATE)
        coverage.patient_id = patient.id
        uow.journal_change(coverage, JournalAction.CREATE)
        uow.commit()


# -- AMO -----------------------------------------------------------------------------------

def test_amo_fiche_takes_the_caisse_name_from_the_reference_list(make_uow: MakeUow) -> None:
    # 01 351 is "CPAM Rennes" in the shipped caisse list (SNDS IR_CAI_V); the cabinet list
    # holds it with the default centre 0000, so centre 9881 is a new fiche.
    organism = organisms.create_amo(make_uow(), {**SEED_AMO, "caisse": "351"})
    assert (organism.regime, organism.caisse, organism.centre) == ("01", "351", "9881")
    assert organism.name == "CPAM Rennes"
    assert organism.user_edited and organism.comment == "Centre de Rennes"
    with pytest.raises(InvalidForm) as excinfo:
        organisms.create_amo(make_uow(), {**SEED_AMO, "caisse": "351"})
    assert excinfo.value.errors == {
        "regime": "L'organisme 01 351 9881 existe déjà : « CPAM Rennes »."}


def test_the_seed_organism_needs_a_name_when_the_caisse_is_not_listed(
        make_uow: MakeUow) -> None:
    # Manuel eS-KAP+ types 01 349 9881 (Régime, Caisse, Centre « Requis »); caisse 349 is not in
    # the 2020 SNDS list, so the name must be typed.
    with pytest.raises(InvalidForm) as excinfo:
        organisms.create_amo(make_uow(), SEED_AMO)
    assert excinfo.value.errors == {
        "name": "Le nom est requis : cette caisse n'est pas dans la liste de référence."}
    organism = organisms.create_amo(make_uow(), {**SEED_AMO, "name": "CPAM 35 (centre 9881)"})
    assert organism.name == "CPAM 35 (centre 9881)"


def test_amo_codes_are_checked_part_by_part(make_uow: MakeUow) -> None:
    with pytest.raises(InvalidForm) as excinfo:
        organisms.create_amo(make_uow(), {"regime": "1", "caisse": "34X", "centre": ""})
    errors = excinfo.value.errors
    assert errors["regime"] == "Le code régime doit comporter 2 chiffres (« 1 » saisi)."
    assert errors["caisse"] == "Le code caisse doit comporter 3 chiffres (« 34X » saisi)."
    assert errors["centre"] == "Le code centre est requis."
    with pytest.raises(InvalidForm) as excinfo:
        organisms.create_amo(make_uow(), {"regime": "11", "caisse": "841", "centre": "5623",
                                          "name": "Inconnu"})
    assert excinfo.value.errors["regime"].startswith("Code régime inconnu : 11")


def test_amo_search_by_name_or_number_prefix(make_uow: MakeUow) -> None:
    by_name = organisms.search_amo(make_uow(), "cpam paris")
    assert ("01", "751") in [(o.regime, o.caisse) for o in by_name]
    assert all(o.name.upper().startswith("CPAM PARIS") for o in by_name)
    # Digits: régime + caisse + centre ("01 751" → CPAM Paris) or the caisse alone ("751").
    assert {o.caisse for o in organisms.search_amo(make_uow(), "01 751")} == {"751"}
    assert ("02", "751") in {(o.regime, o.caisse)
                             for o in organisms.search_amo(make_uow(), "751")}
    names = [o.name for o in organisms.search_amo(make_uow(), "cpam", limit=200)]
    assert names == sorted(names, key=lambda n: n.upper()) and len(names) > 50
    reverse = [o.name for o in organisms.search_amo(make_uow(), "cpam", order="desc",
                                                    limit=200)]
    assert reverse == names[::-1]


def test_amo_delete_is_refused_while_patient_rights_use_it(make_uow: MakeUow) -> None:
    organism = organisms.create_amo(make_uow(), {"regime": "01", "caisse": "921",
                                                 "centre": "4321", "name": "CPAM 92 test"})
    _patient_with(make_uow, AmoCoverage(regime="01", caisse="921", centre="4321",
                                        source=DataSource.MANUEL))
    with pytest.raises(Conflict) as excinfo:
        organisms.delete_amo(make_uow(), organism.id)
    assert excinfo.value.code == "organism_in_use"
    assert excinfo.value.message == (
        "Suppression impossible : l'organisme AMO « 01 921 4321 » est utilisé par 1 droit "
        "AMO de patient (COUVERT Léa). Modifiez d'abord ces dossiers.")
    unused = organisms.create_amo(make_uow(), {"regime": "01", "caisse": "921",
                                               "centre": "4322", "name": "CPAM 92 bis"})
    organisms.delete_amo(make_uow(), unused.id)
    assert not organisms.search_amo(make_uow(), "01 921 4322")


# -- AMC -----------------------------------------------------------------------------------

def test_amc_fiche_rules(make_uow: MakeUow) -> None:
    with pytest.raises(InvalidForm) as excinfo:
        organisms.create_amc(make_uow(), {"number": "12345", "gestion": "mixte",
                                          "contract_type": "C2S", "email": "x@"})
    errors = excinfo.value.errors
    assert errors["number"] == "Le numéro AMC doit comporter de 7 à 10 chiffres (5 saisis)."
    assert errors["gestion"].startswith("Mode de gestion inconnu")
    assert errors["contract_type"].startswith("Le type de contrat s'écrit avec 1 ou 2 chiffres")
    assert errors["name"] == "Le nom est requis."
    assert "email" in errors


def test_an_amc_number_is_the_same_with_or_without_leading_zeros(make_uow: MakeUow) -> None:
    # ACORIS 780004099 is in the shipped list; SESAM-Vitale pads it to 0780004099.
    with pytest.raises(InvalidForm) as excinfo:
        organisms.create_amc(make_uow(), ACORIS)
    assert excinfo.value.errors["number"].startswith("Le numéro 0780004099 est déjà celui de")


def test_amc_create_update_search_and_delete(make_uow: MakeUow) -> None:
    created = organisms.create_amc(make_uow(), {**ACORIS, "number": "12345674",
                                                "name": "ADEP TEST", "verified": "on"})
    assert created.gestion is AmcGestion.SEPAREE and created.verified
    assert created.phone == "08.10.00.10.20"
    updated = organisms.update_amc(make_uow(), created.id, {
        **ACORIS, "number": "12345674", "name": "ADEP TEST", "gestion": "unique",
        "convention_type": "AL", "csr": "001"})
    assert updated.gestion is AmcGestion.UNIQUE and not updated.verified
    assert (updated.convention_type, updated.csr) == ("AL", "001")
    assert [o.name for o in organisms.search_amc(make_uow(), "adep t")] == ["ADEP TEST"]
    assert [o.name for o in organisms.search_amc(make_uow(), "1234567")] == ["ADEP TEST"]
    organisms.delete_amc(make_uow(), created.id)
    assert organisms.search_amc(make_uow(), "adep t") == []
    with make_uow() as uow:
        actions = [e.action for e in uow.journal_entries.history("amc_organism", created.id)]
    assert actions == ["create", "update", "delete"]


def test_amc_search_by_number_ignores_leading_zeros(make_uow: MakeUow) -> None:
    # ACORIS is listed as 780004099: "0780004" (as padded on a card) finds it too.
    assert [o.number for o in organisms.search_amc(make_uow(), "780004")] == ["780004099"]
    assert [o.number for o in organisms.search_amc(make_uow(), "0780004")] == ["780004099"]
    names = [o.name for o in organisms.search_amc(make_uow(), "m", order="desc")]
    assert names == sorted(names, key=lambda n: n.upper(), reverse=True)


def test_amc_delete_is_refused_while_a_contract_carries_its_number(make_uow: MakeUow) -> None:
    organism = organisms.create_amc(make_uow(), {"number": "76543210", "name": "ACTIL TEST",
                                                 "gestion": "separee"})
    # The contract names the organism by number only (as read from a card), zero-padded.
    _patient_with(make_uow, AmcCoverage(amc_number="0076543210", gestion=AmcGestion.SEPAREE,
                                        source=DataSource.VITALE))
    with pytest.raises(Conflict, match="utilisé par 1 contrat AMC de patient"):
        organisms.delete_amc(make_uow(), organism.id)


def test_luhn_hint_is_given_only_for_ordinary_numbers() -> None:
    # 98532001 is a real « N° de télétransmission » that fails Luhn (openfse.ids.amc);
    # 780004099 passes; 55555551 is the special "sortant de C2S" number.
    assert organisms.luhn_warning("98532001") is not None
    assert organisms.luhn_warning("780004099") is None
    assert organisms.luhn_warning("55555551") is None


def test_the_json_api_lists_and_refuses_like_the_screens(settings: Settings) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient

    from security.sessions import logged_in  # tests/security: log-in for the guard

    from openfse.web.app import create_app

    with logged_in(TestClient(create_app(settings)), settings) as client:
        mgen = client.get("/api/organisms/amc", params={"q": "MGEN"}).json()[0]
        # Demo patients hold MGEN contracts: 409 with the French reason.
        refused = client.delete(f"/api/organisms/amc/{mgen['id']}")
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "organism_in_use"
        wrong = client.post("/api/organisms/amo", json={"regime": "01", "caisse": "7510",
                                                        "centre": "9881"})
        assert wrong.status_code == 422
        assert set(wrong.json()["error"]["fields"]) == {"caisse"}
        created = client.post("/api/organisms/amo", json={"regime": "01", "caisse": "751",
                                                          "centre": "1234"})
        assert created.status_code == 201 and created.json()["name"] == "CPAM Paris"
        url = f"/api/organisms/amo/{created.json()['id']}"
        changed = client.put(url, json={"regime": "01", "caisse": "751", "centre": "1234",
                                         "flux": "EDI", "favourite": True})
        assert changed.json()["flux"] == "EDI" and changed.json()["favourite"] is True
        found = client.get("/api/organisms/amo", params={"q": "017511234"}).json()
        assert [o["id"] for o in found] == [created.json()["id"]]
        assert client.delete(url).status_code == 204
