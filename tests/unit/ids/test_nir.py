"""NIR: worked keys, each part's error, Corsica, overseas, provisional numbers, formatting."""

from __future__ import annotations

import pytest

from openfse.ids import nir
from openfse.ids.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)


def test_worked_key_of_a_man_born_in_paris_in_january_1983():
    # docs/rules.md §G (dossier LOGOSw): 1 83 01 75 111 001 -> 49.
    # 1830175111001 = 97 x 18867784649 + 48, so the key is 97 - 48 = 49.
    assert nir.calc_check_digits("1 83 01 75 111 001") == "49"
    assert nir.validate("1 83 01 75 111 001 49") == "183017511100149"


def test_worked_key_of_a_woman_born_in_paris_in_december_2006():
    # docs/rules.md §G (lbcd78): 2 06 12 75 111 005 -> 64. 2061275111005 mod 97 = 33; 97 - 33 = 64.
    assert nir.calc_check_digits("2 06 12 75 111 005") == "64"
    assert nir.is_valid("206127511100564")


def test_corsica_counts_2a_as_19_and_2b_as_18():
    # 2A: 2530719073004 mod 97 = 54 -> key 43; 2B: 2530718073004 mod 97 = 27 -> key 70.
    assert nir.calc_check_digits("2530 72A 073004") == "43"
    assert nir.calc_check_digits("253072b073004") == "70"
    assert nir.validate("2 53 07 2a 073 004 43") == "253072A07300443"
    assert nir.validate("253072B07300470") == "253072B07300470"


def test_a_wrong_key_names_the_key_and_both_values():
    with pytest.raises(InvalidChecksum) as caught:
        nir.validate("1 83 01 75 111 001 12")
    error = caught.value
    assert error.part == "cle"
    assert error.code == "nir.invalid_checksum"
    assert error.message == "Clé du NIR incorrecte : 12 saisie, 49 attendue."


def test_the_key_is_required():
    with pytest.raises(InvalidLength) as caught:
        nir.validate("1 83 01 75 111 001")
    assert caught.value.code == "nir.invalid_length"
    assert "15 caractères" in caught.value.message and "13 saisis" in caught.value.message


@pytest.mark.parametrize(
    ("number", "part"),
    [
        ("X83017511100149", "sexe"),
        ("1X3017511100149", "annee"),
        ("1830X7511100149", "mois"),
        ("183012C11100149", "departement"),
        ("1830175X1100149", "commune"),
        ("1830175111X0149", "ordre"),
        ("18301751110014X", "cle"),
    ],
)
def test_a_letter_is_reported_in_the_part_where_it_stands(number, part):
    with pytest.raises(InvalidFormat) as caught:
        nir.validate(number)
    assert caught.value.part == part
    assert caught.value.code == "nir.invalid_format"


def test_unicode_superscript_digits_are_not_digits():
    # str.isdigit() is True for "²": a naive validator would accept this.
    with pytest.raises(InvalidFormat):
        nir.validate("1830175111001 4²")


@pytest.mark.parametrize("sexe", ["0", "3", "4", "5", "6", "9"])
def test_sexe_must_be_1_2_7_or_8(sexe):
    body = sexe + "830175111001"
    with pytest.raises(InvalidComponent) as caught:
        nir.validate(body + nir.calc_check_digits(body))
    assert caught.value.part == "sexe"


@pytest.mark.parametrize("mois", ["01", "12", "20", "42", "50", "99"])
def test_months_of_complete_and_incomplete_civil_records_are_accepted(mois):
    body = f"183{mois}75111001"
    assert nir.is_valid(body + nir.calc_check_digits(body))


@pytest.mark.parametrize("mois", ["00", "13", "19", "43", "49"])
def test_other_months_are_refused_as_the_month(mois):
    body = f"183{mois}75111001"
    with pytest.raises(InvalidComponent) as caught:
        nir.validate(body + nir.calc_check_digits(body))
    assert caught.value.part == "mois"
    assert mois in caught.value.message


@pytest.mark.parametrize("departement", ["00", "970", "979", "980", "983"])
def test_departements_that_do_not_exist_are_refused(departement):
    body = f"18301{departement}{'11' if len(departement) == 3 else '111'}001"
    with pytest.raises(InvalidComponent) as caught:
        nir.validate(body + nir.calc_check_digits(body))
    assert caught.value.part == "departement"


def test_provisional_numbers_start_with_7_or_8():
    # 7830175111001 mod 97 = 57 -> key 40.
    assert nir.calc_check_digits("7830175111001") == "40"
    assert nir.is_provisional("7 83 01 75 111 001 40")
    assert not nir.is_provisional("1 83 01 75 111 001 49")


def test_split_gives_each_part():
    parts = nir.split("1 83 01 75 111 001 49")
    assert parts == nir.NIRParts("1", "83", "01", "75", "111", "001", "49")


def test_split_overseas_has_a_three_character_departement():
    # 1830197111001 mod 97 = 60 -> key 37.
    parts = nir.split("1 83 01 971 11 001 37")
    assert (parts.departement, parts.commune) == ("971", "11")


def test_born_abroad_keeps_the_country_code_as_commune():
    body = "1830199216001"  # 99 + 216 (INSEE country code of Morocco)
    parts = nir.split(body + nir.calc_check_digits(body))
    assert (parts.departement, parts.commune) == ("99", "216")


def test_format_is_the_carte_vitale_presentation():
    assert nir.format("183017511100149") == "1 83 01 75 111 001 49"
    assert nir.format("253072a07300443") == "2 53 07 2A 073 004 43"


def test_calc_check_digits_refuses_a_body_of_the_wrong_length():
    with pytest.raises(InvalidLength):
        nir.calc_check_digits("183017511100")
