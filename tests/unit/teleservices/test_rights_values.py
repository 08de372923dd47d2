"""openfse.domain.rights: periods, birth dates, identity, answers at a date, ADRi preference."""

from __future__ import annotations

from datetime import date

import pytest

from openfse.domain.rights import (
    AdriAnswer,
    AdriMode,
    AldCondition,
    AmcCoverage,
    AmcCoverageKind,
    AmoRights,
    Beneficiary,
    BirthDate,
    Exoneration,
    InvalidBirthDate,
    InvalidRightsData,
    Organisme,
    PatientSource,
    amc_numbers_match,
    normalize_name,
    same_identity,
    should_call_adri,
)
from openfse.periods import InvalidPeriod, Period


def test_period_is_inclusive_at_both_ends() -> None:
    # A right closed on 2026-06-30 still covers that day and no longer covers 2026-07-01.
    closed = Period(date(2025, 7, 1), date(2026, 6, 30))
    assert closed.covers(date(2026, 6, 30))
    assert not closed.covers(date(2026, 7, 1))
    assert closed.ended_before(date(2026, 7, 1))
    assert not closed.covers(date(2025, 6, 30))


def test_open_ended_period_covers_any_later_day() -> None:
    assert Period(date(2024, 1, 1)).covers(date(2099, 12, 31))
    assert str(Period(date(2024, 1, 1))) == "du 01/01/2024 au …"


def test_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidPeriod) as error:
        Period(date(2026, 1, 2), date(2026, 1, 1))
    assert "précède le début" in error.value.message


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("12/03/1985", "1985-03-12"),
        ("1985-03-12", "1985-03-12"),
        ("19850312", "1985-03-12"),
        ("00/00/1979", "1979-00-00"),  # lunar: day and month unknown
        ("00/07/1979", "1979-07-00"),  # lunar: day unknown
    ],
)
def test_birth_dates_accept_card_forms_including_lunar_dates(text: str, iso: str) -> None:
    assert BirthDate.parse(text).iso() == iso


def test_lunar_birth_date_has_no_calendar_date() -> None:
    assert BirthDate.parse("00/00/1979").as_date() is None
    assert BirthDate.parse("00/00/1979").is_lunar
    # Out-of-calendar dates are lunar too and kept verbatim (vitale_famille.yaml: 19841300).
    assert BirthDate.parse("19841300").is_lunar
    assert BirthDate.parse("19841300").compact() == "19841300"
    assert BirthDate.parse("31/02/1985").is_lunar
    assert BirthDate.of(date(1985, 3, 12)).as_date() == date(1985, 3, 12)


@pytest.mark.parametrize("text", ["12/3/1985", "1985/03/12", "x", "01/01/1799", "1985-3-12"])
def test_malformed_birth_dates_are_refused_with_the_field(text: str) -> None:
    with pytest.raises(InvalidBirthDate) as error:
        BirthDate.parse(text)
    assert error.value.field == "date_naissance"


def test_names_compare_without_accents_case_or_punctuation() -> None:
    assert normalize_name(" Lefèvre-d'Arc ") == "LEFEVRE D ARC"
    who = Beneficiary("ADRUN", "Baptiste", BirthDate(1948, 8, 14), 1, "00", "148081305500387")
    assert same_identity("adrun", "baptiste", who)
    # Manuel eS-KAP+ "ADRUN" dialog: the file holds only "ADRUN", ADRi returns "ADRUN Baptiste".
    assert not same_identity("ADRUN", "", who)


def test_organisme_codes_are_checked_and_printed_as_on_the_attestation() -> None:
    assert str(Organisme("01", "841", "5623")) == "01 841 5623"  # aide eS-KAP+
    with pytest.raises(InvalidRightsData) as error:
        Organisme("01", "84", "5623")
    assert error.value.field == "caisse"


def test_ald_requires_a_cim10_code() -> None:
    AldCondition("8", "Diabète", "E11", Period(date(2023, 1, 15)))
    AldCondition("8", "Diabète", "E11.9", Period(date(2023, 1, 15)))
    with pytest.raises(InvalidRightsData):
        AldCondition("8", "Diabète", "diabète", Period(date(2023, 1, 15)))


def _answer(on: date) -> AdriAnswer:
    return AdriAnswer(
        queried_on=on,
        beneficiary=Beneficiary(
            "GARNIER", "Luc", BirthDate(1961, 3, 17), 1, "00", "161031305508762"
        ),
        organisme=Organisme("01", "131", "1311"),
        amo=AmoRights(Period(date(2025, 7, 1), date(2026, 6, 30))),
        exonerations=(Exoneration("5", "Invalidité", Period(date(2020, 5, 1))),),
        ald=(
            AldCondition(
                "23", "Psychiatrie", "F10", Period(date(2019, 10, 24), date(2025, 10, 23))
            ),
            AldCondition("8", "Diabète", "E10", Period(date(2022, 6, 24), date(2027, 6, 23))),
        ),
        amc=AmcCoverage(
            AmcCoverageKind.C2S,
            "99999997",
            "C2S",
            Period(date(2025, 7, 1), date(2026, 6, 30)),
            "89",
        ),
    )


def test_answer_states_are_read_at_the_query_date() -> None:
    # On 2026-06-30 everything dated to that day is still open; on 2026-07-01 AMO and C2S are
    # closed; the ALD 23 ended 2025-10-23 in both cases, the ALD 8 runs to 2027-06-23.
    before, after = _answer(date(2026, 6, 30)), _answer(date(2026, 7, 1))
    assert before.amo_open and not after.amo_open
    assert before.active_amc is not None and after.active_amc is None
    assert [a.code for a in before.active_ald] == ["8"] == [a.code for a in after.active_ald]
    assert [e.code for e in after.active_exonerations] == ["5"]


def test_amc_numbers_match_with_or_without_leading_zeros() -> None:
    # Manuel eS-KAP+ prints "ALMERYS(0098532001)" and "Numéro AMC 98532001".
    assert amc_numbers_match("0098532001", "98532001")
    assert not amc_numbers_match("98532001", "98532002")


@pytest.mark.parametrize(
    ("mode", "source", "known", "asked", "expected"),
    [
        # Appli carte Vitale: always, whatever the mode (manuel eS-KAP+).
        (AdriMode.MANUEL, PatientSource.APPLI_CARTE_VITALE, True, False, True),
        (AdriMode.AUTOMATIQUE_CIBLE, PatientSource.APPLI_CARTE_VITALE, True, False, True),
        # Manual: only when the user presses "Interroger l'ADRI".
        (AdriMode.MANUEL, PatientSource.CARTE_VITALE, False, False, False),
        (AdriMode.MANUEL, PatientSource.DOSSIER, False, True, True),
        # Systematic: every invoice.
        (AdriMode.SYSTEMATIQUE, PatientSource.CARTE_VITALE, True, False, True),
        # Targeted (default): when the day's rights are not known from a card read.
        (AdriMode.AUTOMATIQUE_CIBLE, PatientSource.CARTE_VITALE, True, False, False),
        (AdriMode.AUTOMATIQUE_CIBLE, PatientSource.CARTE_VITALE, False, False, True),
        (AdriMode.AUTOMATIQUE_CIBLE, PatientSource.DOSSIER, False, False, True),
    ],
)
def test_should_call_adri_follows_the_preference(
    mode: AdriMode, source: PatientSource, known: bool, asked: bool, expected: bool
) -> None:
    assert (
        should_call_adri(mode, source=source, rights_known_today=known, user_requested=asked)
        is expected
    )


def test_default_adri_mode_is_targeted_automatic() -> None:
    assert AdriMode.default() is AdriMode.AUTOMATIQUE_CIBLE  # manuel eS-KAP+ "(défaut)"
