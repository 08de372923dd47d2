"""The cabinet's AMO and AMC organism fiches.

Search (manuel eS-KAP+, « Liste des organismes … Recherche A>Z »): text made of digits (spaces
allowed) is a prefix of the organism's number — régime + caisse + centre for the AMO (or the
caisse code alone: "751"), the AMC number with or without its leading zeros ("780" finds
``0780004099``); any other text is a prefix of the name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, or_, select

from openfse.store.models import AmcCoverage, AmcOrganism, AmoCoverage, AmoOrganism, Patient
from openfse.store.repositories.base import Repository, SortOrder, check_limit, ordered

_NUMBER_SEARCH = re.compile(r"[0-9][0-9 ]*")
USAGE_EXAMPLES = 3
M = TypeVar("M", AmoOrganism, AmcOrganism)


@dataclass(frozen=True, slots=True)
class Usage:
    """How many patient coverages point at an organism, and a few of those patients."""

    count: int
    patients: tuple[str, ...]  # "NOM Prénom" of the first ones, by name


def number_prefix(text: str) -> str | None:
    """The digits of a number search ("01 751" → "01751"), or None for a name search."""
    stripped = text.strip()
    if not _NUMBER_SEARCH.fullmatch(stripped):
        return None
    return stripped.replace(" ", "")


def _without_leading_zeros(column: Any) -> Any:
    return func.ltrim(column, "0")


class _OrganismRepository(Repository[M]):
    """Search shared by both fiches: name prefix or number prefix, A>Z or Z>A by name."""

    def _number_matches(self, digits: str) -> ColumnElement[bool]:
        """Rows whose number starts with ``digits`` (each fiche knows its number)."""
        raise NotImplementedError

    def search(self, text: str, *, order: SortOrder = "asc",
               limit: int = 50) -> Sequence[M]:
        digits = number_prefix(text)
        if digits is None:
            return self._prefix_search(self.model.search_name, text, order=order, limit=limit)
        stmt = (self._select().where(self._number_matches(digits))
                .order_by(ordered(self.model.search_name, order), ordered(self.model.id, order))
                .limit(check_limit(limit)))
        return self.session.scalars(stmt).all()

    def _usage(self, *conditions: ColumnElement[bool], coverage: Any) -> Usage:
        where = (coverage.cabinet_id == self.cabinet_id, *conditions)
        count = self.session.scalar(select(func.count()).select_from(coverage).where(*where))
        names = self.session.execute(
            select(Patient.last_name, Patient.first_name)
            .join(coverage, coverage.patient_id == Patient.id)
            .where(*where)
            .group_by(Patient.id, Patient.last_name, Patient.first_name)
            .order_by(Patient.last_name, Patient.first_name)
            .limit(USAGE_EXAMPLES)
        ).all()
        return Usage(int(count or 0),
                     tuple(f"{last} {first or ''}".strip() for last, first in names))


class AmoOrganismRepository(_OrganismRepository[AmoOrganism]):
    model = AmoOrganism
    noun = "Organisme AMO"

    def by_code(self, regime: str, caisse: str, centre: str) -> AmoOrganism | None:
        """The fiche of organism régime + caisse + centre (e.g. 01 349 9881)."""
        stmt = self._select().where(AmoOrganism.regime == regime, AmoOrganism.caisse == caisse,
                                    AmoOrganism.centre == centre)
        return self.session.scalars(stmt).first()

    def _number_matches(self, digits: str) -> ColumnElement[bool]:
        code = AmoOrganism.regime + AmoOrganism.caisse + AmoOrganism.centre
        return or_(code.startswith(digits, autoescape=True),
                   AmoOrganism.caisse.startswith(digits, autoescape=True))

    def usage(self, organism: AmoOrganism) -> Usage:
        """Patient AMO rights attached to this régime + caisse + centre."""
        return self._usage(AmoCoverage.regime == organism.regime,
                           AmoCoverage.caisse == organism.caisse,
                           AmoCoverage.centre == organism.centre, coverage=AmoCoverage)


class AmcOrganismRepository(_OrganismRepository[AmcOrganism]):
    model = AmcOrganism
    noun = "Organisme AMC"

    def by_number(self, number: str) -> AmcOrganism | None:
        """The fiche of AMC number ``number`` (numéro AMC or NRM), written exactly so."""
        return self.session.scalars(self._select().where(AmcOrganism.number == number)).first()

    def same_number(self, number: str) -> Sequence[AmcOrganism]:
        """Fiches whose number is ``number`` up to leading zeros (``0780004099`` is
        ``780004099``: SESAM-Vitale pads the number to 10 characters)."""
        stmt = self._select().where(
            _without_leading_zeros(AmcOrganism.number) == number.lstrip("0"))
        return self.session.scalars(stmt.order_by(AmcOrganism.id)).all()

    def _number_matches(self, digits: str) -> ColumnElement[bool]:
        return or_(AmcOrganism.number.startswith(digits, autoescape=True),
                   _without_leading_zeros(AmcOrganism.number).startswith(
                       digits.lstrip("0"), autoescape=True))

    def usage(self, organism: AmcOrganism) -> Usage:
        """Patient AMC contracts linked to this fiche or carrying its number."""
        return self._usage(
            or_(AmcCoverage.amc_organism_id == organism.id,
                _without_leading_zeros(AmcCoverage.amc_number) == organism.number.lstrip("0")),
            coverage=AmcCoverage)
