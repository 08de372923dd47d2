"""The patient file's coverage rows → the domain's :class:`~openfse.domain.coverage.CoverageFile`,
and the pricing situation on a day (``domain/coverage.py`` holds every rule).

Call inside an entered unit of work: these functions read, never write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from openfse.domain.coverage import (
    AldRight,
    AmcRight,
    AmoRight,
    CoverageFile,
    PricingSituation,
    contract_document,
    pricing_situation,
)
from openfse.domain.pricing.codes import Gestion
from openfse.domain.pricing.json_readers import date_value, missing
from openfse.periods import Period
from openfse.store.models import Patient
from openfse.store.uow import UnitOfWork

__all__ = ["coverage_file", "document_from_file", "patient_and_situation", "situation_for",
           "situation_on"]


def coverage_file(uow: UnitOfWork, patient: Patient) -> CoverageFile:
    """The patient's AMO periods, ALD and complementary contracts, most recent first."""
    return CoverageFile(
        birth_date=patient.birth_date,
        alsace_moselle=patient.alsace_moselle,
        amo=tuple(AmoRight(Period(row.rights_start, row.rights_end), row.regime,
                           row.exoneration, row.alsace_moselle)
                  for row in uow.amo_coverages.for_patient(patient.id)),
        alds=tuple(AldRight(row.code, Period(row.rights_start, row.rights_end))
                   for row in uow.alds.for_patient(patient.id)),
        amcs=tuple(AmcRight(
            id=row.id, amc_number=row.amc_number,
            period=Period(row.rights_start, row.rights_end), name=row.amc_name,
            contract_type=row.contract_type, formula_code=row.formula_code,
            formula_parameter=row.formula_parameter, gestion=Gestion(row.gestion.value),
            tiers_payant=row.tiers_payant, contrat_responsable=row.contrat_responsable)
            for row in uow.amc_coverages.for_patient(patient.id)),
    )


def situation_on(uow: UnitOfWork, patient: Patient, on: date) -> PricingSituation:
    """What the file says the engine must know on the date of care ``on``."""
    return pricing_situation(coverage_file(uow, patient), on)


def situation_for(uow: UnitOfWork, patient_id: int, on: date) -> PricingSituation:
    """:func:`situation_on` in its own unit of work (the invoice screen's defaults).

    Raises:
        NotFound: no such patient in this cabinet.
    """
    with uow:
        return situation_on(uow, uow.patients.get(patient_id), on)


def document_from_file(uow: UnitOfWork, patient_id: int,
                       document: Mapping[str, object]) -> dict[str, object]:
    """An ``openfse price`` draft completed from the patient's file on its ``date_soins``
    (``openfse price --patient``): the ``patient`` keys the draft does not give, and
    ``amc``, ``tiers_payant``, ``exo`` when it leaves them out — the same mapping as the
    invoice screen and the API.

    Raises:
        DraftError: ``date_soins`` missing or invalid (its JSON path in ``field``).
        NotFound: no such patient in this cabinet.
    """
    if "date_soins" not in document:
        raise missing("date_soins")
    on = date_value(document["date_soins"], "date_soins")
    written = contract_document(situation_for(uow, patient_id, on))
    completed = {**written, **document}
    given = document.get("patient")
    file_patient = written["patient"]
    assert isinstance(file_patient, dict)
    completed["patient"] = {**file_patient, **given} if isinstance(given, Mapping) else (
        given if "patient" in document else file_patient)
    if "exo" not in document and document.get("nature_assurance", "maladie") != "maladie":
        completed.pop("exo", None)  # an exonération goes with the maladie insurance only
    return completed


def patient_and_situation(uow: UnitOfWork, patient_id: int, on: date
                          ) -> tuple[Patient | None, PricingSituation | None]:
    """The patient (None when this cabinet has no such file) and his situation on ``on``,
    in one unit of work (the invoice screen)."""
    with uow:
        patient = uow.patients.find(patient_id)
        if patient is None:
            return None, None
        return patient, situation_on(uow, patient, on)
