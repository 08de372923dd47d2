"""The ADRi data set knows the people of the test cartes Vitale: read the card, ask ADRi."""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any

import pytest
import yaml

from openfse.adapters.teleservices.port import AdriRequest
from openfse.composition.inprocess_adri import InProcessAdriClient
from openfse.domain.cards import AmoAffiliation, VitaleBeneficiary
from openfse.domain.rights import Organisme
from openfse.periods import Period

ON = date(2026, 7, 1)


def _card_beneficiaries() -> list[dict[str, Any]]:
    folder = resources.files("openfse.simulators").joinpath("data/cards")
    people = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith("vitale_") and entry.name.endswith(".yaml"):
            card = yaml.safe_load(entry.read_text(encoding="utf-8"))
            people += [{"file": entry.name, **b} for b in card["card"]["beneficiaries"]]
    return people


CARD_PEOPLE = _card_beneficiaries()


@pytest.mark.skipif(not CARD_PEOPLE, reason="no test Vitale card shipped yet")
@pytest.mark.parametrize(
    "person", CARD_PEOPLE, ids=[f"{p['file']}:{p['prenom']}" for p in CARD_PEOPLE]
)
def test_every_test_card_beneficiary_is_known_to_adri(
    adri: InProcessAdriClient, person: dict[str, Any]
) -> None:
    request = AdriRequest.create(
        nir=person["nir"],
        birth_date=person["date_naissance"],
        rang=person["rang"],
        regime=person["amo"]["organisme"]["regime"],
        expected_nom=person["nom"],
        expected_prenom=person["prenom"],
    )
    answer = adri.query(request, ON)  # no mismatch: same identity as the card
    assert answer.amo_open
    assert answer.beneficiary.birth_date.compact() == person["date_naissance"]


def test_request_from_a_card_beneficiary_with_a_lunar_birth_date(
    adri: InProcessAdriClient,
) -> None:
    # vitale_famille.yaml: the conjointe, born "19841300" (month 13), qualité 02.
    sophie = VitaleBeneficiary(
        nom="DUBOIS",
        prenom="SOPHIE",
        date_naissance="19841300",
        rang=1,
        qualite="02",
        nir="178047511501217",
        amo=AmoAffiliation(Organisme("01", "751", "9881"), "10", (Period(date(2025, 1, 1)),)),
    )
    request = AdriRequest.from_vitale(sophie)
    assert request.caisse is None  # definitive NIR: no caisse/centre in the query
    answer = adri.query(request, ON)
    assert answer.beneficiary.qualite == "02" and answer.beneficiary.birth_date.is_lunar


def test_expired_card_rights_are_open_again_in_adri(adri: InProcessAdriClient) -> None:
    # vitale_droits_expires.yaml: closed on the card since 2024-12-31; renewed at the caisse.
    anne = AdriRequest.create(nir="266097505603158", birth_date="19660921", rang=1, regime="01")
    assert adri.query(anne, ON).amo_open
