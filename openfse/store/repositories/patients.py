"""Patients and their coverage.

Name search: the typed text is reduced to a search key (``search_key``: "élo" → "ELO") and
matched as a **prefix** of three keys, so the desk finds a patient whichever way it types:
"NOM PRENOM" (``search_name``), "PRENOM NOM" (``search_first_name``) and "NOM D'USAGE
PRENOM" (``search_usage_name``). Each prefix is a byte-order range on a covering index,
limited to the first ``limit`` rows in name order; the union of the three short lists is then
sorted once. The cost therefore grows with ``limit``, not with the number of patients (bench:
``bench/bench_patient_search.py``).

The same field takes a NIR (13 or 15 characters, spaces allowed) or a date of birth
(``jj/mm/aaaa``, possibly after the start of a name): :mod:`openfse.domain.patient_search` says
which, the NIR is a range on the ``(cabinet_id, nir)`` index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, String, and_, bindparam, or_, select, union

from openfse.domain.patient_search import (
    BirthDateSearch,
    NirSearch,
    parse_patient_search,
)
from openfse.store.models import Ald, AmcCoverage, AmoCoverage, FamilyLink, Patient
from openfse.store.models.search_text import prefix_upper_bound, search_key
from openfse.store.repositories.base import Repository, SortOrder, check_limit, ordered

C = TypeVar("C", AmoCoverage, AmcCoverage, Ald)


class PatientRepository(Repository[Patient]):
    model = Patient
    noun = "Patient"

    def search(self, text: str, *, order: SortOrder = "asc", limit: int = 50) -> list[Patient]:
        """Patients whose last, first or usage name starts with ``text``, in name order; or
        whose NIR, or date of birth, ``text`` is.

        An empty search lists the cabinet's patients in name order.
        """
        check_limit(limit)
        wanted = parse_patient_search(text)
        if isinstance(wanted, NirSearch):
            return self._by_typed_nir(wanted, order, limit)
        if isinstance(wanted, BirthDateSearch):
            return self._born(wanted, order, limit)
        key = search_key(text)
        params: dict[str, Any] = {"cabinet_id": self.cabinet_id, "limit": limit}
        if key:
            params |= {"key": key, "upper": prefix_upper_bound(key)}
        return list(self.session.scalars(_search_statement(order, bool(key)), params))

    def _by_typed_nir(self, wanted: NirSearch, order: SortOrder, limit: int) -> list[Patient]:
        """Files covered under that NIR (the ouvrant droit's, printed on the card of the whole
        family): a range on the ``(cabinet_id, nir)`` index; a 15-character NIR must also have
        that key (a file typed without the key matches its 13 characters); and the file whose
        beneficiary's own NIR it is (a child with his own card), on its own index."""
        def covered(column: Any) -> ColumnElement[bool]:
            found = and_(column >= wanted.first13, column < prefix_upper_bound(wanted.first13))
            if wanted.full:
                found = and_(found, or_(column == wanted.full, column == wanted.first13))
            return found

        stmt = (self._select().where(or_(covered(Patient.nir), covered(Patient.beneficiary_nir)))
                .order_by(ordered(Patient.search_name, order), ordered(Patient.id, order))
                .limit(limit))
        return list(self.session.scalars(stmt))

    def _born(self, wanted: BirthDateSearch, order: SortOrder, limit: int) -> list[Patient]:
        """Files born that day (the date as the card writes it), the start of a name too
        when typed with it."""
        stmt = (self._select().where(Patient.birth_date_text == wanted.birth_date_text)
                .order_by(ordered(Patient.search_name, order), ordered(Patient.id, order)))
        key = search_key(wanted.name)
        if key:
            upper = prefix_upper_bound(key)
            stmt = stmt.where(or_(*(and_(column >= key, column < upper) for column in (
                Patient.search_name, Patient.search_first_name, Patient.search_usage_name))))
        return list(self.session.scalars(stmt.limit(limit)))

    def by_nir(self, nir: str) -> Sequence[Patient]:
        """Everyone covered under this NIR (as ouvrant droit or as beneficiary): a family."""
        stmt = (self._select()
                .where(or_(Patient.nir == nir, Patient.beneficiary_nir == nir))
                .order_by(Patient.birth_rank, Patient.search_name, Patient.id))
        return self.session.scalars(stmt).all()

    def find_beneficiary(self, nir: str, birth_date_text: str, birth_rank: int) -> Patient | None:
        """The patient a Vitale card designates: (NIR ouvrant droit, birth date text, rang).

        The oldest record wins if the desk created duplicates.
        """
        stmt = (self._select()
                .where(Patient.nir == nir, Patient.birth_date_text == birth_date_text,
                       Patient.birth_rank == birth_rank)
                .order_by(Patient.id)
                .limit(1))
        return self.session.scalars(stmt).first()


@cache
def _search_statement(order: SortOrder, prefix: bool) -> Select[Patient]:
    """The search query, built once per (order, prefix?) with bound parameters: each desk
    keystroke then only binds values to an already compiled statement (building the union of
    subqueries cost more than running it)."""
    cabinet = bindparam("cabinet_id", type_=Integer)
    limit = bindparam("limit", type_=Integer)
    name_order = (ordered(Patient.search_name, order), ordered(Patient.id, order))
    if not prefix:
        return (select(Patient).where(Patient.cabinet_id == cabinet).order_by(*name_order)
                .limit(limit))
    key, upper = bindparam("key", type_=String), bindparam("upper", type_=String)
    branches = [
        select(Patient.id, Patient.search_name)
        .where(Patient.cabinet_id == cabinet, column >= key, column < upper)
        .order_by(*name_order)
        .limit(limit)
        .subquery()
        for column in (Patient.search_name, Patient.search_first_name, Patient.search_usage_name)
    ]
    # SQLite refuses ORDER BY/LIMIT inside a compound SELECT member: wrap each branch.
    matches = union(*(select(b.c.id, b.c.search_name) for b in branches)).subquery()
    top_ids = (select(matches.c.id)
               .order_by(ordered(matches.c.search_name, order), ordered(matches.c.id, order))
               .limit(limit))
    return select(Patient).where(Patient.id.in_(top_ids)).order_by(*name_order)


class _PatientRowRepository(Repository[C]):
    """Rows owned by a patient, with a rights period (``rights_start``/``rights_end``)."""

    def for_patient(self, patient_id: int) -> Sequence[C]:
        """All rows of the patient, most recent period first."""
        stmt = (self._select().where(self.model.patient_id == patient_id)
                .order_by(self.model.rights_start.desc().nulls_last(), self.model.id.desc()))
        return self.session.scalars(stmt).all()

    def _on(self, patient_id: int, day: date) -> Select[C]:
        """Rows whose period contains ``day`` (open bounds are unlimited)."""
        model: Any = self.model
        return (self._select()
                .where(model.patient_id == patient_id,
                       or_(model.rights_start.is_(None), model.rights_start <= day),
                       or_(model.rights_end.is_(None), model.rights_end >= day))
                .order_by(model.rights_start.desc().nulls_last(), model.id.desc()))


class AmoCoverageRepository(_PatientRowRepository[AmoCoverage]):
    model = AmoCoverage
    noun = "Droits AMO"

    def on(self, patient_id: int, day: date) -> AmoCoverage | None:
        """The AMO rights in force on ``day`` (the latest-starting period if several)."""
        return self.session.scalars(self._on(patient_id, day).limit(1)).first()


class AmcCoverageRepository(_PatientRowRepository[AmcCoverage]):
    model = AmcCoverage
    noun = "Contrat complémentaire"

    def on(self, patient_id: int, day: date) -> Sequence[AmcCoverage]:
        """AMC contracts in force on ``day`` (a patient may hold more than one)."""
        return self.session.scalars(self._on(patient_id, day)).all()


class AldRepository(_PatientRowRepository[Ald]):
    model = Ald
    noun = "ALD"

    def on(self, patient_id: int, day: date) -> Sequence[Ald]:
        """ALD recognised on ``day``."""
        return self.session.scalars(self._on(patient_id, day)).all()


class FamilyLinkRepository(Repository[FamilyLink]):
    """Family links; a link belongs to both files it joins (see ``models.family``)."""

    model = FamilyLink
    noun = "Lien familial"

    def of_patient(self, patient_id: int) -> Sequence[FamilyLink]:
        """Every link where the patient is on either side, oldest first."""
        stmt = (self._select()
                .where(or_(FamilyLink.patient_id == patient_id,
                           FamilyLink.relative_id == patient_id))
                .order_by(FamilyLink.id))
        return self.session.scalars(stmt).all()

    def between(self, one: int, other: int) -> FamilyLink | None:
        """The link joining two files, whichever way round it was recorded."""
        stmt = self._select().where(or_(
            (FamilyLink.patient_id == one) & (FamilyLink.relative_id == other),
            (FamilyLink.patient_id == other) & (FamilyLink.relative_id == one)))
        return self.session.scalars(stmt.limit(1)).first()
