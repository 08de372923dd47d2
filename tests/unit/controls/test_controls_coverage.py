"""Nature d'assurance, exonération, prescription, parcours: what each requires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from openfse.domain.controls import (
    ControlInput,
    Diagnostic,
    Severity,
    exoneration,
    nature,
    parcours,
    prescription,
)
from openfse.domain.invoice import AccidentTravail, Prescription
from openfse.domain.pricing import ActDraft, PatientContext
from openfse.domain.pricing.codes import Exo, NatureAssurance, Profession
from openfse.periods import Period

Build = Callable[..., ControlInput]
ALD_2026 = (Period(date(2023, 1, 1), date(2028, 12, 31)),)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


# -- nature d'assurance ------------------------------------------------------------------------

def test_accident_du_travail_needs_its_organisme_and_date(make_input: Build) -> None:
    at = {"nature_assurance": NatureAssurance.AT}
    assert codes(nature.check(make_input(pricing=at))) == ["accident_travail_incomplet"]
    typed = AccidentTravail(date=date(2023, 3, 7), organisme="013499881", code="01",
                            identifiant="020105342")  # manuel eS-KAP+
    assert nature.check(make_input(pricing=at, draft={"accident_travail": typed})) == []
    # From the card: « AT du 03/09/2002 », no identifiant, code A2, organisme 023490000.
    card = AccidentTravail(date=date(2002, 9, 3), organisme="023490000", code="A2")
    assert nature.check(make_input(pricing=at, draft={"accident_travail": card})) == []


def test_at_details_on_another_nature_are_a_mistake(make_input: Build) -> None:
    typed = AccidentTravail(date=date(2023, 3, 7), organisme="013499881")
    found = nature.check(make_input(draft={"accident_travail": typed}))
    assert codes(found) == ["accident_travail_sans_nature_at"]


def test_maternite_needs_its_date(make_input: Build) -> None:
    mt = {"nature_assurance": NatureAssurance.MATERNITE}
    assert codes(nature.check(make_input(pricing=mt))) == ["date_maternite_manquante"]
    assert nature.check(make_input(pricing=mt,
                                   draft={"maternite_date": date(2024, 10, 17)})) == []


def test_accident_de_droit_commun_needs_its_date_and_the_nature_maladie(make_input: Build
                                                                        ) -> None:
    found = nature.check(make_input(draft={"accident_droit_commun": True}))
    assert codes(found) == ["date_accident_manquante"]
    found = nature.check(make_input(
        pricing={"nature_assurance": NatureAssurance.MATERNITE},
        draft={"accident_droit_commun": True, "accident_date": date(2026, 1, 1),
               "maternite_date": date(2025, 10, 1)}))
    assert codes(found) == ["accident_droit_commun_hors_maladie"]


def test_soins_medicaux_gratuits_need_the_amount(make_input: Build) -> None:
    smg = {"nature_assurance": NatureAssurance.SMG}
    assert codes(nature.check(make_input(pricing=smg))) == ["montant_smg_manquant"]
    assert nature.check(make_input(pricing={**smg, "smg_amount": Decimal("200")})) == []


# -- exonération -------------------------------------------------------------------------------

def test_exo_ald_without_ald_is_refused(make_input: Build) -> None:
    found = exoneration.check(make_input(pricing={"exo": Exo.ALD}))
    assert codes(found) == ["exoneration_ald_sans_ald"] and found[0].field == "exo"
    per_act = exoneration.check(make_input(acts=(ActDraft("G", soins_en_rapport_ald=True),)))
    assert [(d.code, d.field) for d in per_act] == [("exoneration_ald_sans_ald", "acts[0].exo")]


def test_exo_ald_with_an_ald_in_force_or_forced_is_accepted(make_input: Build) -> None:
    with_ald = make_input(pricing={"exo": Exo.ALD, "soins_en_rapport_ald": True},
                          beneficiary={"ald_rights": ALD_2026})
    assert exoneration.check(with_ald) == []
    forced = make_input(pricing={"exo": Exo.ALD}, draft={"forcage_ald": True})
    assert exoneration.check(forced) == []


def test_an_ald_ended_before_the_care_does_not_count(make_input: Build) -> None:
    ended = (Period(date(2020, 1, 1), date(2025, 12, 31)),)
    found = exoneration.check(make_input(pricing={"exo": Exo.ALD},
                                         beneficiary={"ald_rights": ended}))
    assert codes(found) == ["exoneration_ald_sans_ald"]


@pytest.mark.parametrize("nature_", [NatureAssurance.MATERNITE, NatureAssurance.AT,
                                     NatureAssurance.SMG])
def test_an_exoneration_with_a_100_percent_nature_is_refused(make_input: Build,
                                                             nature_: NatureAssurance) -> None:
    found = exoneration.check(make_input(pricing={"nature_assurance": nature_,
                                                  "exo": Exo.SOINS_PARTICULIERS}))
    assert codes(found) == ["exoneration_incompatible_nature"]
    # « Pas d'exonération » (0) says nothing: accepted.
    assert exoneration.check(make_input(pricing={"nature_assurance": nature_,
                                                 "exo": Exo.NONE})) == []


def test_an_exoneration_on_an_act_of_a_maternite_invoice_is_refused(make_input: Build) -> None:
    found = exoneration.check(make_input(acts=(ActDraft("G", exo=Exo.PREVENTION),),
                                         pricing={"nature_assurance": NatureAssurance.MATERNITE}))
    assert [(d.code, d.field) for d in found] == [("exoneration_incompatible_nature",
                                                   "acts[0].exo")]


# -- prescription ------------------------------------------------------------------------------

@pytest.mark.parametrize("profession", [Profession.INFIRMIER, Profession.MASSEUR_KINESITHERAPEUTE,
                                        Profession.ORTHOPHONISTE])
def test_auxiliaires_acts_need_a_prescription(make_input: Build, profession: Profession
                                              ) -> None:
    # NGAP, Dispositions générales, art. 5: AMI 4.5 + IK without an ordonnance → rejected.
    found = prescription.check(make_input(profession=profession,
                                          acts=(ActDraft("AMI"), ActDraft("IK", quantity=10))))
    assert codes(found) == ["prescription_requise"] and found[0].severity is Severity.BLOCKING


def test_a_prescription_needs_its_prescriber_and_date(make_input: Build) -> None:
    found = prescription.check(make_input(profession=Profession.INFIRMIER,
                                          draft={"prescription": Prescription()}))
    assert codes(found) == ["prescripteur_manquant", "date_prescription_manquante"]
    complete = Prescription(date=date(2026, 2, 20), prescriber_id=3)
    assert prescription.check(make_input(profession=Profession.INFIRMIER,
                                         draft={"prescription": complete})) == []


def test_a_medecin_bills_without_prescription(make_input: Build) -> None:
    assert prescription.check(make_input()) == []


# -- parcours de soins -------------------------------------------------------------------------

def test_a_medecin_invoice_needs_the_parcours(make_input: Build) -> None:
    found = parcours.check(make_input(pricing={"patient": PatientContext(age=40)}))
    assert [(d.code, d.field) for d in found] == [("parcours_non_renseigne",
                                                   "patient.parcours")]
    nurse = make_input(profession=Profession.INFIRMIER, acts=(ActDraft("AMI"),),
                       pricing={"patient": PatientContext(age=40)})
    assert parcours.check(nurse) == []
