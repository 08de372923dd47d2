"""AMO organism: régime / caisse / centre, known régimes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from openfse.ids import organisme
from openfse.ids.exceptions import InvalidComponent, InvalidFormat, InvalidLength

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"


def test_the_example_of_seed_000():
    # « Par exemple pour un organisme 01 841 5623, le code caisse est 841 et le code centre
    # est 5623. »
    assert organisme.validate("01 841 5623") == "018415623"
    assert organisme.split("01 841 5623") == organisme.OrganismeParts("01", "841", "5623")
    assert organisme.regime_label("018415623") == "Régime général"


def test_the_screen_of_seed_001():
    assert organisme.is_valid("01 349 9881")


def test_an_unknown_regime_is_named():
    with pytest.raises(InvalidComponent) as caught:
        organisme.validate("11 841 5623")
    assert caught.value.part == "regime"
    assert caught.value.code == "organisme.invalid_component"
    assert "11" in caught.value.message


def test_the_unknown_value_99_is_not_a_regime():
    assert not organisme.is_valid("99 000 0000")


@pytest.mark.parametrize(
    ("number", "part"),
    [("0X8415623", "regime"), ("0184X5623", "caisse"), ("01841562X", "centre")],
)
def test_a_letter_is_reported_in_its_part(number, part):
    with pytest.raises(InvalidFormat) as caught:
        organisme.validate(number)
    assert caught.value.part == part


def test_a_missing_digit():
    with pytest.raises(InvalidLength) as caught:
        organisme.validate("01 841 562")
    assert "régime 2 + caisse 3 + centre 4" in caught.value.message


def test_format():
    assert organisme.format("018415623") == "01 841 5623"


def test_regimes_are_the_snds_grands_regimes():
    # The shipped constant must match the public table it was copied from (less 99, unknown).
    table = SHARED / "data" / "organismes" / "snds" / "IR_GRG_V.csv"
    if not table.exists():
        pytest.skip(f"shared data not found at {table}")
    with table.open(encoding="utf-8") as handle:
        codes = {row["GRG_COD"].zfill(2) for row in csv.DictReader(handle, delimiter=";")}
    assert set(organisme.REGIMES) == codes - {"99"}
