"""The conventions offered on the invoice for the chosen mutuelle (issue 6, manuel eS-KAP+:
« Lorsque le logiciel interroge l'annuaire Inter-AMC, il récupère les informations liées aux
conventions en vigueur. S'il échoue il récupère depuis les tables de convention. Une liste
présente les conventions identifiées, permettant au professionnel de sélectionner la
convention appropriée »).

The lookup itself (directory first, local tables on failure) is
:func:`openfse.services.teleservices.lookup_conventions`; this module ties it to the patient's
mutuelle: its AMC number, and the convention stored on it, preselected when it is offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openfse.adapters.teleservices.port import InterAmcDirectory
from openfse.domain.rights import Convention
from openfse.services.teleservices import ConventionLookup, ConventionSource, lookup_conventions
from openfse.store.uow import UnitOfWork

__all__ = ["ConventionOffer", "convention_key", "matching_key", "offer_for_coverage", "split_key"]

_SEPARATOR = "|"


def convention_key(convention_type: str, csr: str) -> str:
    """How a convention is named in the form: ``AL|001`` (type de convention | CSR)."""
    return f"{convention_type}{_SEPARATOR}{csr}"


def split_key(key: str) -> tuple[str, str] | None:
    """``AL|001`` → ``("AL", "001")``; None for anything else (no convention chosen)."""
    convention_type, separator, csr = key.strip().partition(_SEPARATOR)
    if not separator or not convention_type:
        return None
    return convention_type, csr


def label_of(convention: Convention) -> str:
    """What tells two conventions apart for the user: the AMC, routing, signataire."""
    text = f"{convention.amc_name} — routage {convention.routage}, hôte {convention.hote}"
    return f"{text}, signataire {convention.signataire}" if convention.signataire else text


@dataclass(frozen=True, slots=True)
class ConventionOffer:
    """The list to choose from, where it comes from, and the preselected convention."""

    amc_number: str
    lookup: ConventionLookup
    chosen: str  # convention_key of the preselected convention, "" for none

    @property
    def from_directory(self) -> bool:
        return self.lookup.source is ConventionSource.ANNUAIRE

    @property
    def options(self) -> list[tuple[str, Convention, str]]:
        """(key, convention, label) of each convention offered."""
        return [(convention_key(c.convention_type, c.csr), c, label_of(c))
                for c in self.lookup.conventions]


def offer_for_coverage(
    uow: UnitOfWork,
    directory: InterAmcDirectory,
    fallback: InterAmcDirectory,
    *,
    patient_id: int,
    coverage_id: int,
    on: date,
    chosen: str = "",
    chosen_for: str = "",
) -> ConventionOffer | None:
    """The conventions of the AMC of the patient's mutuelle ``coverage_id`` in force ``on``.

    Preselected: ``chosen`` (what the user picked before, in the list of the AMC
    ``chosen_for``) when offered, else the convention stored on the mutuelle (attestation,
    fiche) when offered. None when the mutuelle is not
    the patient's. Never raises for a directory failure (the invoice is never blocked).
    """
    with uow:
        coverage = next((c for c in uow.amc_coverages.for_patient(patient_id)
                         if c.id == coverage_id), None)
        if coverage is None:
            return None
        amc_number = coverage.amc_number
        stored = (coverage.convention_type or "", coverage.csr or "")
    lookup = lookup_conventions(directory, fallback, amc_number, on)
    keys = [convention_key(c.convention_type, c.csr) for c in lookup.conventions]
    if chosen not in keys or chosen_for != amc_number:
        chosen = matching_key(lookup.conventions, stored)
    return ConventionOffer(amc_number, lookup, chosen)


def matching_key(conventions: tuple[Convention, ...], stored: tuple[str, str]) -> str:
    """The offered convention matching the mutuelle's: same type, same CSR (or any CSR when
    the mutuelle holds only the type)."""
    convention_type, csr = stored
    if not convention_type:
        return ""
    for c in conventions:
        if c.convention_type == convention_type and (not csr or c.csr == csr):
            return convention_key(c.convention_type, c.csr)
    return ""
