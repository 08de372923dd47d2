"""Unit of work: one business transaction, its repositories and its journal entries.

Services use it like this (cosmicpython's pattern, on SQLAlchemy 2)::

    with UnitOfWork(sessions, cabinet_id=1, actor="dr.martin", actor_user_id=3) as uow:
        patient = uow.patients.get(42)
        patient.phone = "0601020304"
        uow.journal_change(patient, JournalAction.UPDATE)  # before any query (see there)
        uow.commit()

Nothing is saved unless ``commit()`` is called; leaving the block — normally or by an
exception — rolls back what was not committed, and the objects that work touched are
expired. Objects only read stay readable after the block (detached). Journal entries are
written in the same transaction as the change they describe, so both are saved or neither.
A refused row (duplicate, cross-cabinet reference) raises ``Conflict`` (``openfse.errors``)
with a French message.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openfse.errors import OpenFSEError
from openfse.store.base import Base
from openfse.store.journal import JournalAction, JournalEntry, changes_of, record
from openfse.store.repositories import (
    AldRepository,
    AmcCoverageRepository,
    AmcOrganismRepository,
    AmoCoverageRepository,
    AmoOrganismRepository,
    CabinetMismatch,
    CabinetRepository,
    FavouriteRepository,
    JournalRepository,
    PatientRepository,
    PreferenceRepository,
    PrescriberRepository,
    ProfessionalRepository,
    Repository,
    UserRepository,
    conflict_from,
)
from openfse.store.repositories.base import guarded_write
from openfse.store.repositories.invoices import InvoiceRepository, PaymentRepository
from openfse.store.repositories.pending import PendingResultRepository
from openfse.store.repositories.transmission import (
    LotRepository,
    PaymentReturnLineRepository,
    ReceivedDocumentRepository,
    SentMessageRepository,
    TransmissionRunRepository,
)


class CabinetRequired(OpenFSEError):
    code = "cabinet_required"


class UnitOfWorkClosed(OpenFSEError):
    code = "unit_of_work_closed"


R = TypeVar("R", bound=Repository[Any])


class _Scoped(Generic[R]):
    """``uow.<name>``: a repository of the given class for the unit's session and cabinet."""

    def __init__(self, repository: type[R]) -> None:
        self.repository = repository

    def __get__(self, uow: UnitOfWork, owner: type[UnitOfWork]) -> R:
        return self.repository(uow.session, uow.require_cabinet())


class UnitOfWork:
    """A session bound to one cabinet and one actor, with repositories for that cabinet.

    ``cabinet_id`` may be None only for work on cabinets themselves (``uow.cabinets``).
    ``actor`` (a login, or the name of an unattended process such as ``cli``) and
    ``actor_user_id`` (None only for such processes) are required: the journal is a legal record
    and never names a default. On the web they come from the request's desk
    (:mod:`openfse.web.deps`).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        cabinet_id: int | None = None,
        actor: str,
        actor_user_id: int | None,
        request_id: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._session: Session | None = None
        self.cabinet_id = cabinet_id
        self.actor = actor
        self.actor_user_id = actor_user_id
        self.request_id = request_id
        self._unsaved = False  # flushed since the last commit/rollback

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a UnitOfWork is not re-entrant")
        self._session = self._sessions()
        self._unsaved = False
        event.listen(self._session, "after_flush", self._mark_unsaved)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        session, self._session = self.session, None
        try:
            if exc_type is not None or self._has_uncommitted(session):
                # Discard the work, and expire the objects it touched: none of them may
                # look saved once the block is left.
                session.rollback()
        finally:
            # Loaded objects are detached but stay readable (read-only units of work
            # return them to the web layer).
            session.close()

    def _mark_unsaved(self, _session: Session, _flush_context: object) -> None:
        self._unsaved = True

    def _has_uncommitted(self, session: Session) -> bool:
        return self._unsaved or bool(session.new or session.dirty or session.deleted)

    @property
    def session(self) -> Session:
        if self._session is None:
            raise UnitOfWorkClosed("Unité de travail fermée : ouvrir un bloc « with ».")
        return self._session

    def commit(self) -> None:
        """Save everything done so far (changes and journal entries) atomically."""
        try:
            self.session.commit()
        except IntegrityError as error:
            self.rollback()
            raise conflict_from(error) from error
        self._unsaved = False

    def rollback(self) -> None:
        """Discard everything not committed; the unit of work stays usable."""
        self.session.rollback()
        self._unsaved = False

    def flush(self) -> None:
        """Send pending changes (ids get assigned) without committing."""
        try:
            self.session.flush()
        except IntegrityError as error:
            self.rollback()
            raise conflict_from(error) from error

    # -- journal -------------------------------------------------------------------------
    def journal(self, action: str, entity: str, entity_id: int | str, *,
                changes: Mapping[str, Mapping[str, Any]] | None = None,
                summary: str = "") -> JournalEntry:
        """Record a journal entry in this transaction, as this unit's actor."""
        return record(self.session, cabinet_id=self.require_cabinet(), actor=self.actor,
                      actor_user_id=self.actor_user_id, request_id=self.request_id,
                      action=action, entity=entity, entity_id=entity_id, changes=changes,
                      summary=summary)

    def journal_change(self, row: Base, action: JournalAction, *,
                       summary: str = "") -> JournalEntry:
        """Journal a change of ``row`` with its before/after values.

        - ``CREATE``: the row (added to the session here if needed) is flushed to get its
          id and defaults; every field set is recorded as "after".
        - ``UPDATE``: call it right after changing the row and **before any query** (a
          query autoflushes and the unflushed history, which gives "before", is gone). A
          refused update (``Conflict``) rolls the whole unit of work back.
        - ``DELETE``: every field is recorded as "before", then the row is deleted.
        """
        if action not in (JournalAction.CREATE, JournalAction.UPDATE, JournalAction.DELETE):
            raise ValueError(f"journal_change records create/update/delete, not {action!r}")
        if action == JournalAction.CREATE:
            self._claim(row)
            # Flushed now: the entry needs the id, and shows the column defaults.
            guarded_write(self.session, [row])
            changes = changes_of(row, action)
        elif action == JournalAction.DELETE:
            changes = changes_of(row, action)
            guarded_write(self.session, delete=[row])
        else:
            changes = changes_of(row, action)
            self.flush()
        entity_id = getattr(row, "id", None)
        if entity_id is None:
            raise ValueError("cannot journal a row without an id")
        return self.journal(action, type(row).__tablename__, entity_id, changes=changes,
                            summary=summary)

    def _claim(self, row: Base) -> None:
        cabinet_id = self.require_cabinet()
        current = getattr(row, "cabinet_id", None)
        if current is None:
            setattr(row, "cabinet_id", cabinet_id)  # noqa: B010 - not every Base has it
        elif current != cabinet_id:
            raise CabinetMismatch("Enregistrement d'un autre cabinet : opération refusée.")

    # -- repositories --------------------------------------------------------------------
    def require_cabinet(self) -> int:
        if self.cabinet_id is None:
            raise CabinetRequired("Aucun cabinet sélectionné pour cette opération.")
        return self.cabinet_id

    @property
    def cabinets(self) -> CabinetRepository:
        return CabinetRepository(self.session)

    patients = _Scoped(PatientRepository)
    amo_coverages = _Scoped(AmoCoverageRepository)
    amc_coverages = _Scoped(AmcCoverageRepository)
    alds = _Scoped(AldRepository)
    professionals = _Scoped(ProfessionalRepository)
    prescribers = _Scoped(PrescriberRepository)
    users = _Scoped(UserRepository)
    amo_organisms = _Scoped(AmoOrganismRepository)
    amc_organisms = _Scoped(AmcOrganismRepository)
    favourites = _Scoped(FavouriteRepository)
    preferences = _Scoped(PreferenceRepository)
    pending_results = _Scoped(PendingResultRepository)
    journal_entries = _Scoped(JournalRepository)
    invoices = _Scoped(InvoiceRepository)
    payments = _Scoped(PaymentRepository)
    lots = _Scoped(LotRepository)
    sent_messages = _Scoped(SentMessageRepository)
    received_documents = _Scoped(ReceivedDocumentRepository)
    return_lines = _Scoped(PaymentReturnLineRepository)
    transmission_runs = _Scoped(TransmissionRunRepository)
