"""Read-side use cases for the lists of the cabinet (patients, professionals, prescribers,
organisms): search by the start of a name, sorted, limited. Writes come with issue-specific
services; these only read, inside a unit of work bound to the cabinet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from openfse.store.models import AmcOrganism, AmoOrganism, Patient, Prescriber, Professional
from openfse.store.uow import UnitOfWork

SortOrder = Literal["asc", "desc"]


@dataclass(frozen=True, slots=True)
class CabinetCounts:
    patients: int
    professionals: int
    prescribers: int


def counts(uow: UnitOfWork) -> CabinetCounts:
    with uow:
        return CabinetCounts(
            patients=uow.patients.count(),
            professionals=uow.professionals.count(),
            prescribers=uow.prescribers.count(),
        )


def search_patients(
    uow: UnitOfWork, text: str, *, order: SortOrder = "asc", limit: int = 50
) -> list[Patient]:
    with uow:
        return list(uow.patients.search(text, order=order, limit=limit))


def list_professionals(uow: UnitOfWork) -> Sequence[Professional]:
    with uow:
        return uow.professionals.list(limit=500)


def search_prescribers(
    uow: UnitOfWork, text: str, *, order: SortOrder = "asc", limit: int = 50
) -> Sequence[Prescriber]:
    with uow:
        return uow.prescribers.search(text, order=order, limit=limit)


def search_amo_organisms(uow: UnitOfWork, text: str, *, limit: int = 50) -> Sequence[AmoOrganism]:
    with uow:
        return uow.amo_organisms.search(text, limit=limit)


def search_amc_organisms(uow: UnitOfWork, text: str, *, limit: int = 50) -> Sequence[AmcOrganism]:
    with uow:
        return uow.amc_organisms.search(text, limit=limit)
