"""Invoices and their payments, always within one cabinet.

``InvoiceFilters`` holds the filters of the « Factures » list; a filter on the displayed status
(« sécurisée », « désynchronisée »…) is translated into the stored columns that make it
(``_display_condition``), so the list pages through the database, not through Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from openfse.domain.invoice import DisplayStatus, InvoiceKind, InvoiceStatus, SecureMode
from openfse.errors import NotFound
from openfse.store.models import Invoice, InvoicePayment, Patient
from openfse.store.repositories.base import Repository, check_limit


@dataclass(frozen=True, slots=True)
class InvoiceFilters:
    """Filters of the invoice list; ``None``/empty means "any". Deleted invoices and
    cancellation documents are left out unless asked for."""

    display_statuses: tuple[DisplayStatus, ...] = ()
    patient_id: int | None = None
    professional_id: int | None = None  # exécutant or billing professional
    date_from: date | None = None
    date_to: date | None = None
    number: int | None = None
    assure_nir: str | None = None
    include_deleted: bool = False
    include_cancellations: bool = False


def _display_condition(status: DisplayStatus) -> ColumnElement[bool]:
    invoice = Invoice.kind == InvoiceKind.INVOICE
    signed = and_(invoice, Invoice.status == InvoiceStatus.SIGNED)
    simple = {
        DisplayStatus.BROUILLON: InvoiceStatus.DRAFT,
        DisplayStatus.EN_LOT: InvoiceStatus.IN_LOT,
        DisplayStatus.TRANSMISE: InvoiceStatus.SENT,
        DisplayStatus.ACQUITTEE: InvoiceStatus.ACKNOWLEDGED,
        DisplayStatus.PAYEE: InvoiceStatus.PAID,
        DisplayStatus.REJETEE: InvoiceStatus.REJECTED,
        DisplayStatus.ANNULEE: InvoiceStatus.CANCELLED,
        DisplayStatus.SUPPRIMEE: InvoiceStatus.DELETED,
    }
    if status in simple:
        return and_(invoice, Invoice.status == simple[status])
    if status is DisplayStatus.A_SIGNER:
        return and_(invoice, Invoice.status == InvoiceStatus.VALIDATED,
                    Invoice.hors_teletransmission.is_(False))
    if status is DisplayStatus.HORS_TELETRANSMISSION:
        return and_(invoice, Invoice.status == InvoiceStatus.VALIDATED,
                    Invoice.hors_teletransmission.is_(True))
    if status is DisplayStatus.SECURISEE:
        return and_(signed, or_(Invoice.secure_mode == SecureMode.SECURISE,
                                and_(Invoice.secure_mode == SecureMode.DESYNCHRONISE,
                                     Invoice.vitale_secured_at.is_not(None))))
    if status is DisplayStatus.DESYNCHRONISEE:
        return and_(signed, Invoice.secure_mode == SecureMode.DESYNCHRONISE,
                    Invoice.vitale_secured_at.is_(None))
    if status is DisplayStatus.DEGRADEE:
        return and_(signed, Invoice.secure_mode == SecureMode.DEGRADE)
    if status is DisplayStatus.SESAM_SANS_VITALE:
        return and_(signed, Invoice.secure_mode == SecureMode.SESAM_SANS_VITALE)
    if status is DisplayStatus.ANNULATION:
        return Invoice.kind == InvoiceKind.CANCELLATION
    return false()


# What an invoice's balance reads (invoicing.balance_of): loaded with it, so that the balance
# of a row read here stays computable after its unit of work (issue 13 defect 2).
_MONEY = (selectinload(Invoice.payments), selectinload(Invoice.share_transfers),
          selectinload(Invoice.share_decisions))


class InvoiceRepository(Repository[Invoice]):
    model = Invoice
    noun = "Facture"

    def get_full(self, invoice_id: int) -> Invoice:
        """The invoice with its acts, payments and attachments (without their content) loaded,
        so that it stays readable after the unit of work."""
        stmt = (self._select().where(Invoice.id == invoice_id)
                .options(selectinload(Invoice.acts), *_MONEY,
                         selectinload(Invoice.attachments)))
        row = self.session.scalars(stmt).first()
        if row is None:
            raise NotFound(f"Facture introuvable (n° interne {invoice_id}).")
        return row

    def for_update(self, invoice_id: int) -> Invoice:
        """The invoice, re-read and locked until the end of the transaction (``SELECT … FOR
        UPDATE`` on PostgreSQL; SQLite's write lock serializes writers anyway), so that two
        workstations changing its status one after the other see each other's change."""
        row = self.session.get(Invoice, invoice_id, with_for_update=True,
                               populate_existing=True)
        if row is None or row.cabinet_id != self.cabinet_id:
            raise NotFound(f"Facture introuvable (n° interne {invoice_id}).")
        return row

    def many(self, invoice_ids: Iterable[int], *, for_update: bool = False) -> list[Invoice]:
        """The invoices with these ids, in the order given; an unknown id raises NotFound.
        ``for_update``: re-read and locked as in ``for_update``."""
        wanted = list(dict.fromkeys(invoice_ids))
        if not wanted:
            return []
        stmt = self._select().where(Invoice.id.in_(wanted)).options(*_MONEY)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        found = {row.id: row for row in self.session.scalars(stmt)}
        missing = [str(i) for i in wanted if i not in found]
        if missing:
            raise NotFound(f"Facture(s) introuvable(s) : {', '.join(missing)}.")
        return [found[i] for i in wanted]

    def by_number(self, billing_professional_id: int, number: int) -> Invoice | None:
        stmt = self._select().where(Invoice.billing_professional_id == billing_professional_id,
                                    Invoice.number == number)
        return self.session.scalars(stmt).first()

    def cancellation_of(self, invoice_id: int) -> Invoice | None:
        return self.session.scalars(self._select().where(Invoice.cancels_id == invoice_id)).first()

    def replacement_of(self, invoice_id: int) -> Invoice | None:
        """The invoice made to replace this one (« Corriger et refacturer »), if any."""
        return self.session.scalars(self._select().where(Invoice.replaces_id == invoice_id)).first()

    def _filtered(self, filters: InvoiceFilters) -> Select[Invoice]:
        stmt = self._select()
        if filters.display_statuses:
            stmt = stmt.where(or_(*(_display_condition(s) for s in filters.display_statuses)))
        else:
            if not filters.include_deleted:
                stmt = stmt.where(Invoice.status != InvoiceStatus.DELETED)
            if not filters.include_cancellations:
                stmt = stmt.where(Invoice.kind == InvoiceKind.INVOICE)
        if filters.patient_id is not None:
            stmt = stmt.where(Invoice.patient_id == filters.patient_id)
        if filters.professional_id is not None:
            stmt = stmt.where(or_(Invoice.professional_id == filters.professional_id,
                                  Invoice.billing_professional_id == filters.professional_id))
        if filters.date_from is not None:
            stmt = stmt.where(Invoice.date_soins >= filters.date_from)
        if filters.date_to is not None:
            stmt = stmt.where(Invoice.date_soins <= filters.date_to)
        if filters.number is not None:
            stmt = stmt.where(Invoice.number == filters.number)
        if filters.assure_nir:
            stmt = stmt.where(Invoice.assure_nir == filters.assure_nir)
        return stmt

    def search(self, filters: InvoiceFilters, *, limit: int = 50,
               offset: int = 0) -> list[tuple[Invoice, Patient]]:
        """Invoices matching ``filters``, most recent first, each with its patient."""
        stmt = (self._filtered(filters)
                .join(Patient, Patient.id == Invoice.patient_id)
                .add_columns(Patient)
                .options(*_MONEY)
                .order_by(Invoice.date_soins.desc(), Invoice.id.desc())
                .limit(check_limit(limit)).offset(offset))
        return [(row[0], row[1]) for row in self.session.execute(stmt)]

    def count_matching(self, filters: InvoiceFilters) -> int:
        stmt = select(func.count()).select_from(self._filtered(filters).subquery())
        return int(self.session.scalar(stmt) or 0)

    def for_patient(self, patient_id: int) -> Sequence[Invoice]:
        """Every invoice of the patient (any status), with its payments."""
        stmt = (self._select().where(Invoice.patient_id == patient_id)
                .options(*_MONEY).order_by(Invoice.id))
        return self.session.scalars(stmt).all()

    def awaiting_vitale(self, assure_nir: str) -> Sequence[Invoice]:
        """Désynchronisées invoices of this assuré still to be secured with his carte Vitale
        or appli (manuel eS-KAP+ « Factures poste de travail »: « Seulement les factures liées à
        l'assuré s'affichent »)."""
        stmt = (self._select()
                .where(Invoice.kind == InvoiceKind.INVOICE,
                       Invoice.assure_nir == assure_nir,
                       Invoice.status.in_([InvoiceStatus.VALIDATED, InvoiceStatus.SIGNED]),
                       Invoice.secure_mode == SecureMode.DESYNCHRONISE,
                       Invoice.vitale_secured_at.is_(None))
                .options(joinedload(Invoice.payments))
                .order_by(Invoice.date_soins, Invoice.id))
        return self.session.scalars(stmt).unique().all()


class PaymentRepository(Repository[InvoicePayment]):
    model = InvoicePayment
    noun = "Paiement"

    def for_invoice(self, invoice_id: int) -> Sequence[InvoicePayment]:
        stmt = (self._select().where(InvoicePayment.invoice_id == invoice_id)
                .order_by(InvoicePayment.id))
        return self.session.scalars(stmt).all()
