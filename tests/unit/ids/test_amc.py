"""Numéro AMC: lengths seen in the seeds, special C2S values, optional Luhn key."""

from __future__ import annotations

import pytest

from openfse.ids import amc
from openfse.ids.exceptions import InvalidFormat, InvalidLength

# Numbers printed in the vendor manuals (manuel eS-KAP+, dossier LOGOSw).
SEEN = [
    "779926294",
    "803795038",
    "1400001",
    "780004099",
    "0780004099",
    "69906121",
    "44992741",
    "311799878",
    "98532001",
    "00490003",
    "00401125",
    "02420016",
    "441510765",
    "423959295",
    "55555551",
    "88888888",
    "99999997",
]


@pytest.mark.parametrize("number", SEEN)
def test_numbers_seen_in_the_seeds_are_valid(number):
    assert amc.validate(number) == number


def test_all_seen_numbers_but_one_carry_a_luhn_key():
    assert [n for n in SEEN if not amc.has_luhn_key(n)] == ["98532001"]


def test_special_values_and_their_meaning():
    assert "régime obligatoire" in amc.is_special("99999997")
    assert "organisme complémentaire" in amc.is_special("88888888")
    assert "Sortant" in amc.is_special("55555551")
    assert amc.is_special("0055555551") == amc.is_special("55555551")
    assert amc.is_special("780004099") is None


def test_c2s_contract_type():
    assert amc.C2S_TYPE_CONTRAT == "89"


@pytest.mark.parametrize("number", ["123456", "12345678901"])
def test_lengths_outside_7_to_10_digits(number):
    with pytest.raises(InvalidLength) as caught:
        amc.validate(number)
    assert caught.value.code == "amc.invalid_length"


def test_letters_are_refused():
    with pytest.raises(InvalidFormat):
        amc.validate("7800O4099")  # letter O typed for a zero
