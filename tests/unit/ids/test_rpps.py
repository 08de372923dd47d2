"""RPPS: Luhn key on 11 digits, errors, IDNPS."""

from __future__ import annotations

import pytest

from openfse.ids import rpps
from openfse.ids.exceptions import InvalidChecksum, InvalidFormat, InvalidLength


@pytest.mark.parametrize(
    "number",
    [
        "10001347698",  # dossier LOGOSw: a dentist's « N°9225 » (RPPS), letter to a complementary
        "99700557897",  # manuel eS-KAP+: test CPS card of a remplaçant (REMPEXMED)
        "10000001916",  # ANS example: IDNPS 810000001916
    ],
)
def test_published_numbers_pass(number):
    assert rpps.validate(number) == number


def test_worked_luhn_key():
    # 1000134769, from the right, doubling every other digit starting with the last:
    # 9->18->9, 7->14->5, 3->6, 0->0, 0->0 = 20; the others 6+4+1+0+1 = 12; 20 + 12 = 32,
    # and the key completes 32 to the next multiple of 10: 8.
    assert rpps.calc_check_digits("1000134769") == "8"


def test_a_wrong_key_names_the_key():
    with pytest.raises(InvalidChecksum) as caught:
        rpps.validate("10001347690")
    assert caught.value.part == "cle"
    assert caught.value.code == "rpps.invalid_checksum"
    assert caught.value.message == "Clé du numéro RPPS incorrecte : 0 saisie, 8 attendue."


def test_wrong_length():
    with pytest.raises(InvalidLength) as caught:
        rpps.validate("1000134769")
    assert caught.value.code == "rpps.invalid_length"


def test_letters_are_reported_in_the_body_or_the_key():
    with pytest.raises(InvalidFormat) as caught:
        rpps.validate("1000134X698")
    assert caught.value.part == "numero"
    with pytest.raises(InvalidFormat) as caught:
        rpps.validate("1000134769X")
    assert caught.value.part == "cle"


def test_separators_are_ignored_and_format_gives_the_digits():
    assert rpps.compact(" 100 0134 7698 ") == "10001347698"
    assert rpps.format("100.013.476.98") == "10001347698"


def test_idnps_is_8_followed_by_the_rpps_number():
    assert rpps.to_idnps("10001347698") == "810001347698"
