"""Invoices the secrétariat prepares for a professional to validate (issue 13, defect 8).

The secrétariat never validates nor signs (manuel eS-KAP+, guide LOGOSw; ``services.access``), but
she may
type the whole invoice at the desk: « Préparer pour validation » keeps the screen's fields as
typed, in the professional's « À valider » list. He opens it — the screen is filled again —,
checks it and validates it himself; the prepared invoice is then gone. Nothing is priced nor
numbered before that. Each step is journaled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from openfse.errors import InvalidInput, NotFound
from openfse.store.journal import JournalAction
from openfse.store.models import PreparedInvoice
from openfse.store.uow import UnitOfWork

__all__ = ["Prepared", "discard", "prepare", "to_validate", "typed_form"]

# What is not kept of the posted form: the session's token, a confirmation meant for one
# validation, and the files (an ordonnance is joined again by the professional).
_NOT_KEPT = frozenset({"csrf_token", "confirmed", "ordonnance", "preparee"})
_MAX_FIELDS = 400


@dataclass(frozen=True, slots=True)
class Prepared:
    """One line of the « À valider » list."""

    id: int
    patient_id: int
    patient: str
    professional_id: int
    care_day: str
    prepared_at: datetime


def prepare(uow: UnitOfWork, form: Mapping[str, str], *, professional_id: int, patient_id: int,
            user_id: int | None, now: datetime) -> int:
    """Keep the typed invoice for ``professional_id`` to validate; its id."""
    kept = {k: v for k, v in form.items() if k not in _NOT_KEPT and isinstance(v, str)}
    if len(kept) > _MAX_FIELDS:
        raise InvalidInput("Formulaire de facture trop long.")
    with uow:
        uow.professionals.get(professional_id)
        uow.patients.get(patient_id)
        row = PreparedInvoice(cabinet_id=uow.require_cabinet(), professional_id=professional_id,
                              patient_id=patient_id, form=kept, prepared_by=user_id,
                              prepared_at=now)
        uow.session.add(row)
        uow.flush()
        uow.journal_change(row, JournalAction.CREATE, summary="Facture préparée à valider")
        uow.commit()
        return row.id


def _get(uow: UnitOfWork, prepared_id: int) -> PreparedInvoice:
    row = uow.session.get(PreparedInvoice, prepared_id)
    if row is None or row.cabinet_id != uow.require_cabinet():
        raise NotFound("Facture préparée introuvable : elle a déjà été validée ou supprimée.")
    return row


def typed_form(uow: UnitOfWork, prepared_id: int, professional_id: int) -> dict[str, str]:
    """The fields of a prepared invoice, for its own professional only."""
    with uow:
        row = _get(uow, prepared_id)
        if row.professional_id != professional_id:
            raise NotFound("Cette facture préparée est destinée à un autre professionnel.")
        return {**row.form, "preparee": str(row.id)}


def to_validate(uow: UnitOfWork, professional_id: int) -> list[Prepared]:
    """The professional's « À valider » list, oldest first."""
    with uow:
        rows = uow.session.scalars(select(PreparedInvoice).where(
            PreparedInvoice.cabinet_id == uow.require_cabinet(),
            PreparedInvoice.professional_id == professional_id,
        ).order_by(PreparedInvoice.prepared_at, PreparedInvoice.id)).all()
        listed = []
        for row in rows:
            patient = uow.patients.find(row.patient_id)
            name = "" if patient is None else (
                patient.company_name or f"{patient.last_name} {patient.first_name}").strip()
            listed.append(Prepared(row.id, row.patient_id, name, row.professional_id,
                                   str(row.form.get("date_soins", "")), row.prepared_at))
        return listed


def discard(uow: UnitOfWork, prepared_id: int, professional_id: int, why: str) -> None:
    """Remove a prepared invoice of ``professional_id`` (validated, or given up)."""
    with uow:
        row = uow.session.get(PreparedInvoice, prepared_id)
        if row is None or row.cabinet_id != uow.require_cabinet() \
                or row.professional_id != professional_id:
            return
        uow.journal_change(row, JournalAction.DELETE, summary=why)
        uow.session.delete(row)
        uow.commit()
