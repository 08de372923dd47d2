"""AMO régimes/caisses (SNDS) and the starting list of AMC organisms."""

from __future__ import annotations

import pytest

from openfse.errors import InvalidInput
from openfse.referentials import organisms


def test_find_caisse_01_751_is_cpam_paris() -> None:
    caisse = organisms.find_caisse("01", "751")
    assert caisse is not None and caisse.name == "CPAM Paris" and caisse.type == "RG"
    assert organisms.find_caisse("1", "751") == caisse  # code régime without its leading zero
    assert organisms.find_caisse("01", "999") is None


def test_a_caisse_has_the_default_centre_until_the_user_adds_one() -> None:
    caisse = organisms.find_caisse("01", "841")
    assert caisse is not None and caisse.centre == organisms.DEFAULT_CENTRE == "0000"
    # Aide eS-KAP+: organism 01 841 5623 = régime 01, caisse 841, centre 5623.
    assert caisse.organism_number("5623") == "018415623"
    assert caisse.organism_number() == "018410000"
    with pytest.raises(InvalidInput):
        caisse.organism_number("56234")


def test_regimes_are_the_snds_grands_regimes() -> None:
    regimes = {regime.code: regime for regime in organisms.amo_regimes()}
    assert regimes["01"].label.startswith("Régime général")
    assert regimes["02"].label.startswith("Mutualité sociale agricole")
    assert "2020" in regimes["03"].note  # RSI absorbed by the régime général
    assert "99" not in regimes  # "valeur inconnue"
    assert organisms.find_regime("2") == regimes["02"]


def test_caisses_by_regime_and_placeholders_dropped() -> None:
    msa = organisms.amo_caisses("02")
    assert msa and all(caisse.regime == "02" for caisse in msa)
    assert len(organisms.amo_caisses()) > 300
    assert not any("COMPLETER" in caisse.name for caisse in organisms.amo_caisses())
    with pytest.raises(InvalidInput) as error:
        organisms.amo_caisses("98")
    assert error.value.code == "unknown_regime"
    with pytest.raises(InvalidInput):
        organisms.amo_caisses("abc")


def test_search_amo_by_name_or_code() -> None:
    assert {caisse.caisse for caisse in organisms.search_amo("cpam paris")} == {"751", "752"}
    assert organisms.search_amo("PARÌS") == organisms.search_amo("paris")  # accents ignored
    assert [caisse.name for caisse in organisms.search_amo("01 751")] == ["CPAM Paris"]
    assert organisms.search_amo("") == []


def test_special_amc_numbers_are_present() -> None:
    assert organisms.find_amc("55555551").kind == "sortant_c2s"  # type: ignore[union-attr]
    # Dossier LOGOSw: the C2S itself, managed by the caisse (99999997) or an organism.
    assert organisms.find_amc("99999997").kind == "c2s"  # type: ignore[union-attr]
    assert organisms.find_amc("88888888").kind == "c2s"  # type: ignore[union-attr]
    ame = organisms.find_amc("75500017")
    assert ame is not None and ame.kind == "ame" and ame.verified
    mahorais = [item for item in organisms.amc_organisms() if item.kind == "regime_mahorais"]
    assert len(mahorais) == 1


def test_c2s_managed_by_the_caisse_is_built_from_the_caisse() -> None:
    caisse = organisms.find_caisse("01", "751")
    assert caisse is not None
    c2s = organisms.c2s_managed_by_caisse(caisse, "1234")
    assert c2s.number == "017511234"
    assert c2s.contract_type == organisms.C2S_CONTRACT_TYPE == "89"
    assert c2s.gestion == "unique" and c2s.kind == "c2s"
    assert not c2s.verified  # the number form is an inference, said so


def test_find_amc_ignores_leading_zeros_and_blanks() -> None:
    # Manuel eS-KAP+ prints ACORIS as 0780004099, dossier LOGOSw as 780004099.
    acoris = organisms.find_amc("0780004099")
    assert acoris is not None and acoris.name == "ACORIS Mutuelles"
    assert organisms.find_amc("780 004 099") == acoris
    assert organisms.find_amc("1400001") == organisms.find_amc("01400001")
    assert organisms.find_amc("not a number") is None


def test_well_known_mutuelles_are_listed_and_invented_numbers_are_marked_demo() -> None:
    names = " ".join(item.name for item in organisms.amc_organisms())
    for expected in ("MGEN", "Harmonie", "CAMIEG", "MNH", "Malakoff", "AG2R", "Axa", "Groupama",
                     "Swiss Life", "Allianz", "Almerys", "Viamedis", "SP Santé"):  # fmt: skip
        assert expected in names, expected
    for item in organisms.amc_organisms():
        # Invented numbers use the 99990 prefix, and only they do.
        assert item.verified == (not item.number.startswith("99990")), item
        assert item.source, item


def test_search_amc_by_name_or_number() -> None:
    assert [item.number for item in organisms.search_amc("almerys")] == ["98532001"]
    assert "00490003" in [item.number for item in organisms.search_amc("0049")]
    assert "780004099" in [item.number for item in organisms.search_amc("78000")]
    assert organisms.search_amc(" ") == []
