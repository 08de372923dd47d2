"""ADELI: Luhn key, parts, letters in the département, profession codes."""

from __future__ import annotations

import pytest

from openfse.ids import adeli
from openfse.ids.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength


@pytest.mark.parametrize(
    ("number", "profession"),
    [
        ("78 93 1059 6", "Psychologue"),  # published by a psychologue (caroleblancot.com)
        ("879101558", "Orthophoniste"),  # ANS FHIR API example (annuaire-sante issue #164)
    ],
)
def test_published_numbers_pass_and_name_their_profession(number, profession):
    assert adeli.is_valid(number)
    assert adeli.profession(number) == profession


def test_worked_luhn_key():
    # 78931059, from the right, doubling 9, 0, 3, 8: 18->9, 0, 6, 16->7 = 22;
    # the others 5 + 1 + 9 + 7 = 22; 44 -> key 6.
    assert adeli.calc_check_digits("78 93 1059") == "6"


def test_a_wrong_key_names_the_key():
    with pytest.raises(InvalidChecksum) as caught:
        adeli.validate("789310591")
    assert caught.value.part == "cle"
    assert caught.value.message == "Clé du numéro ADELI incorrecte : 1 saisie, 6 attendue."


@pytest.mark.parametrize("departement", ["00", "96", "99", "7X", "2C", "9E"])
def test_unknown_departements_are_refused(departement):
    with pytest.raises(InvalidComponent) as caught:
        adeli.validate(departement + "9310596")
    assert caught.value.part == "departement"


@pytest.mark.parametrize("departement", ["2A", "2B", "9A", "9B", "9C", "9D", "9F"])
def test_departements_written_with_a_letter_are_accepted_without_a_key_check(departement):
    # No public source says how the letter enters the key: only the format is checked.
    assert adeli.validate(departement.lower() + "9310590") == departement + "9310590"


@pytest.mark.parametrize(
    ("number", "part"),
    [("789X10596", "profession"), ("78931X596", "ordre"), ("78931059X", "cle")],
)
def test_letters_are_reported_in_their_part(number, part):
    with pytest.raises(InvalidFormat) as caught:
        adeli.validate(number)
    assert caught.value.part == part


def test_wrong_length():
    with pytest.raises(InvalidLength):
        adeli.validate("78931059")


def test_an_unlisted_profession_code_is_not_an_error():
    number = "7899" + "1059"
    assert adeli.profession(number + adeli.calc_check_digits(number)) is None


def test_format():
    assert adeli.format("789310596") == "78 93 1059 6"
