"""Card value types and pure rules: code porteur formats, lunar dates, status colours."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from openfse.domain.cards import (
    AccidentTravail,
    AmcContract,
    AmoAffiliation,
    ApcvMode,
    ApcvSession,
    CpsCard,
    CpsSituation,
    InvalidCardData,
    InvalidPinFormat,
    InvalidUnblockCodeFormat,
    KnownPatient,
    PinConfirmationMismatch,
    StatusColour,
    VitaleBeneficiary,
    VitaleCard,
    check_new_pin,
    check_pin_format,
    check_unblock_code_format,
    compare,
)
from openfse.domain.rights import Exoneration, Organisme
from openfse.periods import Period

NIR_PAUL = "178047511501217"  # 1 78 04 75 115 012 → key 97 − (1780475115012 mod 97) = 17

AMO = AmoAffiliation(
    Organisme("01", "751", "9881"), "10", (Period(date(2025, 1, 1), date(2027, 12, 31)),)
)


def beneficiary(**changes: object) -> VitaleBeneficiary:
    base = VitaleBeneficiary(
        nom="MARTIN",
        prenom="PAUL",
        date_naissance="19780412",
        rang=1,
        qualite="00",
        nir=NIR_PAUL,
        nir_individuel=NIR_PAUL,
        amo=AMO,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def known(**changes: object) -> KnownPatient:
    base = KnownPatient(
        nir=NIR_PAUL,
        date_naissance="19780412",
        rang=1,
        nom="Martin",
        prenom="Paul",
        qualite="00",
        nir_individuel=NIR_PAUL,
        regime="01",
        caisse="751",
        centre="9881",
        code_gestion="10",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- code porteur


@pytest.mark.parametrize("pin", ["0000", "1234", "9876"])
def test_a_code_porteur_is_four_digits(pin: str) -> None:
    assert check_pin_format(pin) == pin


@pytest.mark.parametrize("pin", ["", "123", "12345", "12a4", "12 4", "１２３４", "12²4"])
def test_anything_else_is_refused_before_reaching_the_card(pin: str) -> None:
    # "１２３４" (full-width) and "²" are str.isdigit() but not ASCII digits: refused.
    with pytest.raises(InvalidPinFormat) as caught:
        check_pin_format(pin)
    assert caught.value.code == "pin_format"
    assert pin not in caught.value.message or not pin  # the message never echoes the code


@pytest.mark.parametrize("code", ["12345678", "ABCD1234", "abcdEFGH"])
def test_an_unblock_code_has_eight_letters_or_digits(code: str) -> None:
    assert check_unblock_code_format(code) == code


@pytest.mark.parametrize("code", ["1234567", "123456789", "1234-678", "ABCDÉ123"])
def test_a_malformed_unblock_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidUnblockCodeFormat):
        check_unblock_code_format(code)


def test_the_new_code_porteur_typed_twice_must_match() -> None:
    assert check_new_pin("2580", "2580") == "2580"
    with pytest.raises(PinConfirmationMismatch) as caught:
        check_new_pin("2580", "2581")
    assert caught.value.field == "confirm"
    with pytest.raises(InvalidPinFormat):
        check_new_pin("258", "258")


# --------------------------------------------------------------------------- CPS


def situation(numero: int = 1, **changes: object) -> CpsSituation:
    base = CpsSituation(
        numero=numero,
        numero_facturation="75100012",
        cle_facturation="6",
        profession="10",
        specialite="01",
        mode_exercice="0",
        remplacant=False,
        conventionnement="1",
        caisse_rattachement="751",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_cps_holds_several_situations_found_by_number() -> None:
    card = CpsCard("1", "Monsieur", "LEGRAND", "PIERRE", "99900012347",
                   (situation(1), situation(2, numero_facturation="92100034")))
    assert card.situation(2).numero_facturation == "92100034"
    assert card.situation(1).facturation == "75100012 6"
    with pytest.raises(InvalidCardData):
        card.situation(3)


def test_a_cps_without_situation_or_with_duplicate_numbers_cannot_exist() -> None:
    with pytest.raises(InvalidCardData):
        CpsCard("1", "M.", "X", "Y", "99900012347", ())
    with pytest.raises(InvalidCardData):
        CpsCard("1", "M.", "X", "Y", "99900012347", (situation(1), situation(1)))


def test_cps_validity_is_checked_against_a_given_day() -> None:
    card = CpsCard("1", "M.", "X", "Y", "99900012347", (situation(),), date(2029, 12, 31))
    assert card.valid_on(date(2029, 12, 31))
    assert not card.valid_on(date(2030, 1, 1))


@pytest.mark.parametrize(
    "changes",
    [{"numero_facturation": "7510001"}, {"cle_facturation": "x"}, {"caisse_rattachement": "75"}],
)
def test_malformed_situation_fields_are_refused(changes: dict[str, str]) -> None:
    with pytest.raises(InvalidCardData):
        situation(**changes)


# --------------------------------------------------------------------------- Vitale


@pytest.mark.parametrize("lunar", ["19841300", "19820000", "19750031", "19600230"])
def test_lunar_birth_dates_are_kept_verbatim(lunar: str) -> None:
    # Day or month 00 or beyond the calendar (month 13, 31 February) are legal on Vitale cards.
    b = beneficiary(date_naissance=lunar)
    assert b.date_naissance == lunar
    assert b.is_lunar_birth
    assert b.calendar_birth_date() is None
    assert b.display_birth_date == f"{lunar[6:]}/{lunar[4:6]}/{lunar[:4]}"


def test_a_calendar_birth_date_converts() -> None:
    b = beneficiary()
    assert not b.is_lunar_birth
    assert b.calendar_birth_date() == date(1978, 4, 12)


@pytest.mark.parametrize(
    "changes",
    [
        {"date_naissance": "1978041"},
        {"date_naissance": "1978-04-1"},
        {"rang": 0},
        {"rang": 10},
        {"qualite": "0"},
        {"nir": "17804751150121"},
        {"nir_individuel": "1780475115012X"},
        {"nom": " "},
    ],
)
def test_impossible_beneficiary_data_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidCardData):
        beneficiary(**changes)


def test_twins_share_nir_and_birth_date_and_differ_by_rang() -> None:
    twin1 = beneficiary(prenom="LEA", date_naissance="20150315", rang=1, qualite="06",
                        nir_individuel=None)
    twin2 = replace(twin1, prenom="HUGO", rang=2)
    card = VitaleCard("0100000001", (beneficiary(), twin1, twin2))
    assert card.assure is not None and card.assure.prenom == "PAUL"
    assert twin1.key != twin2.key
    with pytest.raises(InvalidCardData):
        VitaleCard("0100000001", (twin1, replace(twin2, rang=1)))


def test_all_beneficiaries_of_a_card_share_the_ouvrant_droit_nir() -> None:
    other = beneficiary(nir="284209935012374", nir_individuel=None)
    with pytest.raises(InvalidCardData):
        VitaleCard("1", (beneficiary(), other))
    with pytest.raises(InvalidCardData):
        VitaleCard("1", ())


def test_amo_rights_are_open_inside_a_period_only() -> None:
    assert AMO.open_on(date(2026, 11, 23))
    assert not AMO.open_on(date(2028, 1, 1))
    with pytest.raises(InvalidCardData):
        AmoAffiliation(Organisme("01", "751", "9881"), "1", ())


def test_contract_type_89_is_the_c2s() -> None:
    period = Period(date(2026, 6, 1), date(2027, 5, 31))
    c2s = AmcContract("99999997", "C2S", "89", period)
    mutuelle = AmcContract("780004099", "ACORIS MUTUELLES", "00", period)
    assert c2s.is_c2s and not mutuelle.is_c2s
    assert c2s.active_on(date(2027, 5, 31)) and not c2s.active_on(date(2027, 6, 1))


def test_ald_exonerations_are_code_4() -> None:
    period = Period(date(2020, 5, 1), date(2030, 4, 30))
    ald = Exoneration("4", "ALD 8", period)
    b = beneficiary(exonerations=(Exoneration("3", "soins particuliers", period), ald))
    assert b.ald_exonerations == (ald,)


def test_an_accident_du_travail_needs_its_identifiant_and_organisme() -> None:
    at = AccidentTravail("020105342", date(2023, 3, 7), "013499881")
    assert at.organisme == "013499881"
    with pytest.raises(InvalidCardData):
        AccidentTravail("020105342", date(2023, 3, 7), "01349988")


def test_an_apcv_session_always_requires_adri() -> None:
    session = ApcvSession("s1", ApcvMode.QR, VitaleCard("1", (beneficiary(),)))
    assert session.adri_required is True
    assert session.beneficiaries[0].prenom == "PAUL"


# --------------------------------------------------------------------------- status colours


def test_unknown_beneficiary_is_grey() -> None:
    status = compare(beneficiary(), None)
    assert status.colour is StatusColour.GREY
    assert status.differences == ()


def test_same_data_is_green_even_with_accents_and_case() -> None:
    # Card: "LEFEVRE-D'ARC"; file: "Lefèvre d'Arc" — same person, same data.
    card = beneficiary(nom="LEFEVRE-D'ARC")
    status = compare(card, known(nom="Lefèvre d'Arc"))
    assert status.colour is StatusColour.GREEN
    assert status.differences == ()


def test_different_data_is_yellow_and_lists_the_fields() -> None:
    status = compare(beneficiary(), known(caisse="921", prenom="Paulo"))
    assert status.colour is StatusColour.YELLOW
    assert [(d.field, d.card_value, d.file_value) for d in status.differences] == [
        ("prenom", "PAUL", "Paulo"),
        ("caisse", "751", "921"),
    ]
    assert status.differences[1].label == "caisse"


def test_a_file_missing_card_data_is_not_up_to_date() -> None:
    status = compare(beneficiary(), known(code_gestion=None))
    assert status.colour is StatusColour.YELLOW
    assert [(d.field, d.card_value, d.file_value) for d in status.differences] == [
        ("code_gestion", "10", "")
    ]


def test_a_new_complementary_on_the_card_makes_the_file_yellow() -> None:
    period = Period(date(2026, 6, 1), date(2027, 5, 31))
    card = beneficiary(amc=AmcContract("99999997", "C2S", "89", period))
    assert compare(card, known()).colour is StatusColour.YELLOW
    # Leading zeros do not make AMC numbers differ (manuel eS-KAP+ "0098532001" / "98532001").
    assert compare(card, known(amc_number="0099999997")).colour is StatusColour.GREEN


def test_a_lunar_date_is_compared_verbatim() -> None:
    card = beneficiary(date_naissance="19841300")
    assert compare(card, known(date_naissance="19841300")).colour is StatusColour.GREEN
    status = compare(card, known(date_naissance="19841231"))
    assert [d.field for d in status.differences] == ["date_naissance"]
