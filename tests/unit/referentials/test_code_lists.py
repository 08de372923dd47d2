"""SESAM-Vitale code lists (manuel eS-KAP+, dossier LOGOSw, SNDS, docs/rules.md,
docs/formats/price.md)."""

from __future__ import annotations

from datetime import date

import pytest

from openfse.errors import InvalidInput
from openfse.referentials import codes
from openfse.referentials._dated import read_data_rows

DAY = date(2025, 6, 1)


def test_nature_assurance_keeps_the_api_ids_and_gives_the_sesam_codes() -> None:
    assert codes.NATURE_ASSURANCE.codes(DAY) == ["maladie", "maternite", "at", "smg"]
    sesam = {i.code: i.attribute("sesam_code") for i in codes.NATURE_ASSURANCE.items(DAY)}
    assert sesam == {"maladie": "MA", "maternite": "MT", "at": "AT", "smg": "SM"}
    # The B2 norm spells maladie "AS" and uses "MA" for maternité (SNDS IR_ASU_V): keep both.
    assert codes.NATURE_ASSURANCE.require("maternite", DAY).attribute("b2_code") == "MA"


def test_exoneration_codes_of_the_seed_and_rules_digest() -> None:
    assert codes.EXONERATION.codes(DAY) == ["0", "3", "4", "5", "7", "9"]
    assert codes.EXONERATION.require("3", DAY).label == "Soins particuliers exonérés"
    assert codes.EXONERATION.require("4", DAY).confidence == "M"  # not in the seed


def test_parcours_ids_are_those_of_the_price_contract_with_their_fse_letter() -> None:
    contract_ids = {
        "medecin_traitant", "adresse_par_mt", "urgence", "hors_residence",
        "generaliste_recemment_installe", "zone_sous_medicalisee", "acces_direct",
        "moins_16_ans", "non_concerne", "hors_parcours",
    }  # fmt: skip
    assert contract_ids <= set(codes.PARCOURS.codes(DAY))
    letters = {i.code: i.attribute("fse_code") for i in codes.PARCOURS.items(DAY)}
    # SNDS IR_QPE_V: T médecin traitant, O orienté, U urgence, H hors résidence, D accès direct,
    # J généraliste récemment installé, B zone déficitaire, S hors coordination.
    assert letters["medecin_traitant"] == "T" and letters["adresse_par_mt"] == "O"
    assert letters["urgence"] == "U" and letters["acces_direct"] == "D"
    assert letters["hors_parcours"] == "S" and letters["non_concerne"] == ""
    assert codes.PARCOURS.require("hors_parcours", DAY).attribute("in_parcours") == "no"
    assert codes.PARCOURS.require("moins_16_ans", DAY).attribute("in_parcours") == "yes"


def test_qualificatifs_entente_preseable_and_pieces() -> None:
    assert codes.QUALIFICATIF_DEPENSE.codes(DAY) == ["A", "E", "N", "G", "D"]
    assert codes.ENTENTE_PREALABLE.codes(DAY) == ["9", "0", "4", "5", "D"]
    assert codes.ENTENTE_PREALABLE.require("D", DAY).label == "Réponse défavorable"
    assert "carte_vitale" in codes.PIECE_JUSTIFICATIVE.codes(DAY)


def test_qualite_beneficiaire_00_is_the_assure_and_others_are_flagged_unsure() -> None:
    assert codes.QUALITE_BENEFICIAIRE.require("00", DAY).label == "Assuré"
    assert codes.QUALITE_BENEFICIAIRE.require("00", DAY).confidence == "H"
    assert codes.QUALITE_BENEFICIAIRE.require("06", DAY).confidence == "L"


def test_modes_payments_and_adri() -> None:
    assert codes.MODE_SECURISATION.codes(DAY) == [
        "securise", "desynchronise", "degrade", "sesam_sans_vitale",
    ]  # fmt: skip
    assert codes.MODE_SECURISATION.require("degrade", DAY).attribute("paper") == "yes"
    assert codes.TYPE_PAIEMENT.codes(DAY) == ["cheque", "cb", "especes", "virement", "autre"]
    assert codes.MODE_ADRI.codes(DAY) == ["manuel", "automatique_cible", "systematique"]
    default = codes.MODE_ADRI.default(DAY)
    assert default is not None and default.code == "automatique_cible"
    assert codes.EXONERATION.default(DAY) is None
    assert codes.GESTION_AMC.codes(DAY) == ["unique", "separee"]


def test_an_unknown_code_is_refused_with_a_precise_french_message() -> None:
    with pytest.raises(InvalidInput) as error:
        codes.EXONERATION.validate("6", DAY)
    assert error.value.code == "invalid_exoneration"
    assert error.value.field == "exo"
    assert "« 6 » inconnue" in error.value.message
    assert "7 (Soins exonérés : dispositif de prévention)" in error.value.message


def test_validate_trims_and_returns_the_code() -> None:
    assert codes.QUALIFICATIF_DEPENSE.validate(" E ", DAY) == "E"


def test_codes_are_not_valid_before_their_start() -> None:
    with pytest.raises(InvalidInput) as error:
        codes.EXONERATION.validate("3", date(1999, 12, 31))
    assert "non valable le 31/12/1999" in error.value.message
    assert codes.EXONERATION.items(date(1999, 12, 31)) == []


def test_the_open_indicateur_list_accepts_printed_codes_but_labels_only_known_ones() -> None:
    indicateur = codes.INDICATEUR_TRAITEMENT_AMC
    assert indicateur.is_open and not codes.EXONERATION.is_open
    assert indicateur.validate("22", DAY) == "22"
    assert indicateur.validate("1A", DAY) == "1A"  # any 2-character code of an attestation
    assert indicateur.get("1A", DAY) is None
    with pytest.raises(InvalidInput):
        indicateur.validate("123", DAY)
    with pytest.raises(InvalidInput):
        indicateur.require("1A", DAY)


def test_every_row_of_the_file_belongs_to_a_declared_list_and_cites_a_source() -> None:
    declared = {code_list.list_id for code_list in codes.ALL_LISTS}
    rows = read_data_rows("code_lists.csv")
    assert {row["list"] for row in rows} == declared
    for row in rows:
        assert row["source"] and row["confidence"] in codes.CONFIDENCES, row
    for code_list in codes.ALL_LISTS:
        listed = code_list.codes(DAY)
        assert listed and len(listed) == len(set(listed)), code_list
