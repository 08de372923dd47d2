"""Read-side use cases for the lists of the cabinet (patients, professionals,
prescribers): search by the start of a name, sorted, limited. Writes come with issue-specific
services; these only read, inside a unit of work bound to the cabinet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from openfse.services import prescribers
from openfse.store.models import Patient, Professional
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


# The prescriber pick-list of the invoice screen: the search of the « Prescripteurs » list.
search_prescribers = prescribers.search
