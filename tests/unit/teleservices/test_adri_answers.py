"""ADRi answers from the shipped data set (in-process backend) and the query_adri results."""

from __future__ import annotations

from datetime import date

import pytest
from tele_helpers import (
    ADRUN,
    BERNARD,
    DUBOIS,
    DURAND_MSA,
    FONTAINE,
    GARNIER,
    HAMIDI,
    KOUASSI,
    LAMBERT_TWIN_2,
    ON,
    ROUSSEAU,
    make_request,
)

from openfse.adapters.teleservices.port import (
    AdriIdentityMismatch,
    AdriInvalidAnswer,
    AdriUnavailable,
    AdriUnknownPatient,
)
from openfse.composition.inprocess_adri import InProcessAdriClient
from openfse.domain.rights import AdriAnswer, AmcCoverageKind, Organisme
from openfse.periods import Period
from openfse.services.teleservices import (
    ADRI_UNAVAILABLE_MESSAGE,
    AdriFound,
    AdriMismatch,
    AdriOutcome,
    AdriUnavailableResult,
    AdriUnknown,
    query_adri,
)


def test_open_rights(adri: InProcessAdriClient) -> None:
    answer = adri.query(make_request(ROUSSEAU), ON)
    assert answer.amo_open
    assert answer.beneficiary.display_name == "ROUSSEAU Claire"
    assert answer.organisme == Organisme("01", "751", "7511")
    assert answer.ald == () and answer.amc is None


def test_rights_closed_on_june_30_are_returned_closed_on_july_1(adri: InProcessAdriClient) -> None:
    # DUBOIS: AMO 2025-07-01 → 2026-06-30, no later period.
    request = make_request(DUBOIS)
    on_last_day = adri.query(request, date(2026, 6, 30))
    next_day = adri.query(request, date(2026, 7, 1))
    assert on_last_day.amo_open
    assert not next_day.amo_open
    assert next_day.amo.period == Period(date(2025, 7, 1), date(2026, 6, 30))
    # A year earlier the first period is the one returned.
    assert adri.query(request, date(2025, 1, 1)).amo.period.end == date(2025, 6, 30)


def test_two_ald_with_code_label_cim10_and_dates(adri: InProcessAdriClient) -> None:
    answer = adri.query(make_request(FONTAINE), ON)
    assert [(a.code, a.cim10, a.period.start, a.period.end) for a in answer.ald] == [
        ("8", "E11", date(2023, 1, 15), date(2028, 1, 14)),
        ("5", "I50", date(2024, 3, 1), date(2029, 2, 28)),
    ]
    assert answer.ald[0].label == "Diabète de type 1 et diabète de type 2"  # IR_ALD_V
    assert len(answer.active_ald) == 2
    assert [e.code for e in answer.active_exonerations] == ["4"]
    assert answer.regime_local  # Moselle: Alsace-Moselle régime local


def test_ended_ald_is_listed_but_not_active(adri: InProcessAdriClient) -> None:
    # Dossier LOGOSw: "[ald terminée]" next to "[ald active]". ALD 23 ended 2025-10-23.
    answer = adri.query(make_request(GARNIER), ON)
    assert {a.code for a in answer.ald} == {"23", "8"}
    assert [a.code for a in answer.active_ald] == ["8"]


def test_ald_not_yet_started_is_not_returned(adri: InProcessAdriClient) -> None:
    # No future rights (dossier LOGOSw): on 2022-01-01 GARNIER's ALD 8 (from 2022-06-24) is unknown.
    answer = adri.query(make_request(GARNIER), date(2022, 1, 1))
    assert [a.code for a in answer.ald] == ["23"]


def test_c2s_managed_by_the_caisse(adri: InProcessAdriClient) -> None:
    answer = adri.query(make_request(BERNARD), ON)
    assert answer.active_amc is not None
    assert answer.active_amc.kind is AmcCoverageKind.C2S
    assert answer.active_amc.number == "99999997"  # "C2S gérée par le régime obligatoire"
    assert answer.active_amc.contract_type == "89"
    assert answer.active_amc.period == Period(date(2026, 3, 1), date(2027, 2, 28))


def test_ame_with_provisional_nir_8(adri: InProcessAdriClient) -> None:
    answer = adri.query(make_request(KOUASSI), ON)
    assert answer.beneficiary.nir.startswith("8")
    assert answer.active_amc is not None and answer.active_amc.kind is AmcCoverageKind.AME
    assert answer.organisme == Organisme("01", "841", "5623")


def test_provisional_nir_7_with_lunar_birth_date(adri: InProcessAdriClient) -> None:
    answer = adri.query(make_request(HAMIDI), ON)
    assert answer.beneficiary.birth_date.is_lunar
    assert answer.amo_open


def test_provisional_nir_with_the_wrong_centre_is_unknown(adri: InProcessAdriClient) -> None:
    with pytest.raises(AdriUnknownPatient):
        adri.query(make_request(KOUASSI, centre="5624"), ON)


def test_twins_are_told_apart_by_rang(adri: InProcessAdriClient) -> None:
    assert adri.query(make_request(LAMBERT_TWIN_2), ON).beneficiary.prenom == "Jules"
    assert adri.query(make_request(LAMBERT_TWIN_2, rang=1), ON).beneficiary.prenom == "Emma"


def test_msa_beneficiary_with_exoneration(adri: InProcessAdriClient) -> None:
    answer = adri.query(make_request(DURAND_MSA), ON)
    assert answer.organisme.regime == "02"
    assert [e.code for e in answer.active_exonerations] == ["5"]


@pytest.mark.parametrize(
    "changes",
    [
        {"nir": "175057511203355"},  # valid NIR, unknown to the caisses
        {"regime": "02"},  # known NIR, other régime
    ],
)
def test_unknown_patient(adri: InProcessAdriClient, changes: dict[str, object]) -> None:
    with pytest.raises(AdriUnknownPatient) as error:
        adri.query(make_request(ROUSSEAU, **changes), ON)
    assert error.value.code == "adri_unknown_patient"
    assert "aucun bénéficiaire" in error.value.message


def test_beneficiary_affiliated_only_later_is_unknown_today(adri: InProcessAdriClient) -> None:
    # HAMIDI's rights start 2026-05-01: ADRi returns no future rights.
    with pytest.raises(AdriUnknownPatient):
        adri.query(make_request(HAMIDI), date(2026, 4, 30))


def test_wrong_birth_date_gives_a_mismatch_with_what_the_caisse_holds(
    adri: InProcessAdriClient,
) -> None:
    request = make_request(FONTAINE, birth_date="04/02/1976")
    with pytest.raises(AdriIdentityMismatch) as error:
        adri.query(request, ON)
    assert error.value.request is request
    assert error.value.returned.beneficiary.display_name == "FONTAINE Monique"
    assert str(error.value.returned.beneficiary.birth_date) == "03/02/1976"
    assert error.value.returned.ald  # the full answer, so the user can continue with it


def test_adrun_name_mismatch_is_detected_against_the_local_file(
    adri: InProcessAdriClient,
) -> None:
    # Manuel eS-KAP+, "Consultation ADRI - ADRUN": the file says "ADRUN", ADRi "ADRUN Baptiste".
    with pytest.raises(AdriIdentityMismatch) as error:
        adri.query(make_request(ADRUN, expected_nom="ADRUN"), ON)
    assert "concernent ADRUN Baptiste" in error.value.message
    assert error.value.message.endswith("Souhaitez-vous continuer ?")
    # With the full identity of the file, no dialog.
    answer = adri.query(make_request(ADRUN, expected_nom="Adrun", expected_prenom="BAPTISTE"), ON)
    assert answer.amo_open


# --------------------------------------------------------------------------- query_adri


class _Raising:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def query(self, request: object, on: date) -> AdriAnswer:
        raise self.error


def test_query_adri_found(adri: InProcessAdriClient) -> None:
    result = query_adri(adri, make_request(DUBOIS), date(2026, 7, 1))
    assert isinstance(result, AdriFound)
    assert result.message == "Droits AMO fermés au 01/07/2026 (ADRi)."


def test_query_adri_unknown_and_mismatch_are_results(adri: InProcessAdriClient) -> None:
    unknown = query_adri(adri, make_request(ROUSSEAU, regime="02"), ON)
    assert isinstance(unknown, AdriUnknown) and unknown.outcome is AdriOutcome.UNKNOWN
    mismatch = query_adri(adri, make_request(ADRUN, expected_nom="ADRUN"), ON)
    assert isinstance(mismatch, AdriMismatch)
    assert mismatch.returned.beneficiary.prenom == "Baptiste"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (AdriUnavailable("delai_depasse", attempts=3, elapsed=2.9), "delai_depasse"),
        (AdriUnavailable("circuit_ouvert"), "circuit_ouvert"),
        (AdriInvalidAnswer("champ version absent"), "reponse_illisible"),
    ],
)
def test_query_adri_never_raises_for_unavailability(error: Exception, reason: str) -> None:
    result = query_adri(_Raising(error), make_request(ROUSSEAU), ON)
    assert isinstance(result, AdriUnavailableResult)
    assert result.reason == reason
    assert result.message == ADRI_UNAVAILABLE_MESSAGE
    assert "facturez avec les droits de la carte Vitale" in result.message
