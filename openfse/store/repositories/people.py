"""Professionals (and the remplaçant calendar), prescribers, users, cabinets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from openfse.errors import NotFound
from openfse.store.models import (
    AppUser,
    Cabinet,
    Prescriber,
    Professional,
    ProfessionalKind,
    ReplacementDay,
)
from openfse.store.models.search_text import prefix_upper_bound, search_key
from openfse.store.repositories.base import (
    Repository,
    SortOrder,
    check_limit,
    ordered,
)


class ProfessionalRepository(Repository[Professional]):
    model = Professional
    noun = "Professionnel"

    def active(self, kind: ProfessionalKind | None = None) -> Sequence[Professional]:
        """Active professionals (optionally only titulaires or remplaçants), by name."""
        stmt = self._select().where(Professional.active.is_(True))
        if kind is not None:
            stmt = stmt.where(Professional.kind == kind)
        stmt = stmt.order_by(Professional.last_name, Professional.first_name, Professional.id)
        return self.session.scalars(stmt).all()

    def by_rpps(self, rpps: str) -> Professional | None:
        return self.session.scalars(self._select().where(Professional.rpps == rpps)).first()

    def by_billing_number(self, billing_number: str) -> Professional | None:
        stmt = self._select().where(Professional.billing_number == billing_number)
        return self.session.scalars(stmt).first()

    # -- remplaçant calendar -------------------------------------------------------------
    def add_replacement_day(self, remplacant_id: int, titulaire_id: int,
                            day: date) -> ReplacementDay:
        """Record that the remplaçant works for the titulaire on ``day``."""
        row = ReplacementDay(cabinet_id=self.cabinet_id, remplacant_id=remplacant_id,
                             titulaire_id=titulaire_id, day=day)
        self.flush_guarded([row])
        return row

    def replacement_days(self, remplacant_id: int, start: date,
                         end: date) -> Sequence[ReplacementDay]:
        """The remplaçant's days between ``start`` and ``end`` inclusive."""
        stmt = (select(ReplacementDay)
                .where(ReplacementDay.cabinet_id == self.cabinet_id,
                       ReplacementDay.remplacant_id == remplacant_id,
                       ReplacementDay.day >= start, ReplacementDay.day <= end)
                .order_by(ReplacementDay.day))
        return self.session.scalars(stmt).all()

    def replaced_titulaire(self, remplacant_id: int, day: date) -> Professional | None:
        """Whom the remplaçant replaces on ``day`` (his invoices use that titulaire's
        numéro de facturation), or None if he is not replacing anyone that day."""
        stmt = (self._select()
                .join(ReplacementDay, ReplacementDay.titulaire_id == Professional.id)
                .where(ReplacementDay.cabinet_id == self.cabinet_id,
                       ReplacementDay.remplacant_id == remplacant_id,
                       ReplacementDay.day == day))
        return self.session.scalars(stmt).first()

    def calendar(self, remplacant_id: int,
                 titulaire_id: int | None = None) -> Sequence[ReplacementDay]:
        """Every day of the remplaçant's calendar (only those for ``titulaire_id`` if given),
        in date order."""
        stmt = select(ReplacementDay).where(ReplacementDay.cabinet_id == self.cabinet_id,
                                            ReplacementDay.remplacant_id == remplacant_id)
        if titulaire_id is not None:
            stmt = stmt.where(ReplacementDay.titulaire_id == titulaire_id)
        return self.session.scalars(stmt.order_by(ReplacementDay.day)).all()

    def is_replacing(self, remplacant_id: int, titulaire_id: int, day: date) -> bool:
        """Does the remplaçant's calendar hold ``day`` for this titulaire?"""
        stmt = select(exists().where(ReplacementDay.cabinet_id == self.cabinet_id,
                                     ReplacementDay.remplacant_id == remplacant_id,
                                     ReplacementDay.titulaire_id == titulaire_id,
                                     ReplacementDay.day == day))
        return bool(self.session.scalar(stmt))

    def remplacants_of(self, titulaire_id: int, *,
                       active_only: bool = True) -> Sequence[Professional]:
        """Remplaçants whose calendar holds at least one day for this titulaire, by name."""
        stmt = self._select().where(
            Professional.kind == ProfessionalKind.REMPLACANT,
            exists().where(ReplacementDay.cabinet_id == self.cabinet_id,
                           ReplacementDay.remplacant_id == Professional.id,
                           ReplacementDay.titulaire_id == titulaire_id))
        if active_only:
            stmt = stmt.where(Professional.active.is_(True))
        stmt = stmt.order_by(Professional.last_name, Professional.first_name, Professional.id)
        return self.session.scalars(stmt).all()

    def titulaires_of(self, remplacant_id: int) -> Sequence[Professional]:
        """Titulaires the remplaçant's calendar holds days for, by name."""
        titulaire = aliased(Professional)
        stmt = (select(titulaire)
                .where(titulaire.cabinet_id == self.cabinet_id,
                       exists().where(ReplacementDay.cabinet_id == self.cabinet_id,
                                      ReplacementDay.remplacant_id == remplacant_id,
                                      ReplacementDay.titulaire_id == titulaire.id))
                .order_by(titulaire.last_name, titulaire.first_name, titulaire.id))
        return self.session.scalars(stmt).all()

    def remove_replacement_days(self, rows: Sequence[ReplacementDay]) -> None:
        """Delete these calendar days (rows loaded by ``calendar``)."""
        for row in rows:
            self._check_owned(row)
        self.flush_guarded(delete=list(rows))

    def remove_replacement_day(self, remplacant_id: int, day: date) -> None:
        stmt = select(ReplacementDay).where(ReplacementDay.cabinet_id == self.cabinet_id,
                                            ReplacementDay.remplacant_id == remplacant_id,
                                            ReplacementDay.day == day)
        row = self.session.scalars(stmt).first()
        if row is None:
            raise NotFound(f"Aucun remplacement enregistré le {day:%d/%m/%Y}.")
        self.flush_guarded(delete=[row])


class PrescriberRepository(Repository[Prescriber]):
    model = Prescriber
    noun = "Prescripteur"

    def by_rpps(self, rpps: str) -> Prescriber | None:
        return self.session.scalars(self._select().where(Prescriber.rpps == rpps)).first()

    def by_am_number(self, am_number: str) -> Prescriber | None:
        """The prescriber with this numéro AM (numéro de facturation + clé, 9 digits)."""
        stmt = self._select().where(Prescriber.am_number == am_number)
        return self.session.scalars(stmt).first()

    def search(self, text: str, *, order: SortOrder = "asc",
               limit: int = 50) -> Sequence[Prescriber]:
        """Prescribers whose "NOM PRENOM" or "PRENOM NOM" starts with ``text``, in "NOM
        PRENOM" order (an empty text lists them all)."""
        key = search_key(text)
        if not key:
            return self._prefix_search(Prescriber.search_name, "", order=order, limit=limit)
        upper = prefix_upper_bound(key)
        # Two ranges on two indexed keys; a cabinet has tens to hundreds of prescribers.
        matches = or_(
            and_(Prescriber.search_name >= key, Prescriber.search_name < upper),
            and_(Prescriber.search_first_name >= key, Prescriber.search_first_name < upper),
        )
        stmt = (self._select().where(matches)
                .order_by(ordered(Prescriber.search_name, order), ordered(Prescriber.id, order))
                .limit(check_limit(limit)))
        return self.session.scalars(stmt).all()


class UserRepository(Repository[AppUser]):
    model = AppUser
    noun = "Utilisateur"

    def by_login(self, login: str) -> AppUser | None:
        return self.session.scalars(self._select().where(AppUser.login == login)).first()

    def by_professional(self, professional_id: int) -> AppUser | None:
        """The account a professional logs in with (made at his first CPS log-in)."""
        stmt = self._select().where(AppUser.professional_id == professional_id)
        return self.session.scalars(stmt.order_by(AppUser.id)).first()

    def staff(self) -> Sequence[AppUser]:
        """Accounts not linked to a professional (secrétariat, administration), by login."""
        stmt = self._select().where(AppUser.professional_id.is_(None)).order_by(AppUser.login)
        return self.session.scalars(stmt).all()


class CabinetRepository:
    """Cabinets themselves (not tenant-scoped: used by setup and administration)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, cabinet: Cabinet) -> Cabinet:
        self.session.add(cabinet)
        self.session.flush()
        return cabinet

    def get(self, cabinet_id: int) -> Cabinet:
        cabinet = self.session.get(Cabinet, cabinet_id)
        if cabinet is None:
            raise NotFound(f"Cabinet introuvable (n° {cabinet_id}).")
        return cabinet

    def list(self) -> Sequence[Cabinet]:
        return self.session.scalars(select(Cabinet).order_by(Cabinet.id)).all()
