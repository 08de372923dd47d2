"""Lots, sent messages, received documents and payment-return lines of one cabinet, and the
reads the télétransmission service makes across them and the invoices (what is ready to send,
what waits for money, what the returns said already).

Concurrency (issue 12 finding 10): ``LotRepository.lock_for_building`` serialises the
building of lots per cabinet (PostgreSQL advisory lock; on SQLite the write lock taken by the
first statement, waiting ``busy_timeout``, instead of a read that SQLite refuses at once with
« database is locked » when it later writes); ``sending_lock`` lets one sender at a time send
a cabinet's lots, and dies with it (a sender killed mid-send never blocks the next one, which
sends again what the caisse may have received: it acknowledges a lot once).
"""

from __future__ import annotations

import fcntl
import os
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from openfse.domain.invoice import InvoiceKind, InvoiceStatus
from openfse.store.models.invoice import Invoice, InvoicePayment
from openfse.store.models.transmission import (
    Lot,
    LotInvoice,
    LotStatus,
    PaymentReturnLine,
    ReceivedDocument,
    ReturnLineStatus,
    SentMessage,
    TransmissionRun,
)
from openfse.store.repositories.base import Repository, check_limit

_MEMORY_LOCKS: dict[int, threading.Lock] = {}
# The kinds of lots that carry an invoice's share (FSE: AMO part, DRE: AMC part).
SHARE_KINDS = ("FSE", "DRE")


class LotRepository(Repository[Lot]):
    model = Lot
    noun = "Lot"

    def by_lot_id(self, lot_id: str) -> Lot | None:
        stmt = self._select().where(Lot.lot_id == lot_id).options(selectinload(Lot.invoices))
        return self.session.scalars(stmt).one_or_none()

    def with_status(self, *statuses: LotStatus, limit: int = 1000) -> Sequence[Lot]:
        stmt = (self._select().where(Lot.status.in_(statuses))
                .options(selectinload(Lot.invoices)).order_by(Lot.id)
                .limit(check_limit(limit)))
        return self.session.scalars(stmt).all()

    def recent(self, *, limit: int = 100) -> Sequence[Lot]:
        stmt = self._select().order_by(Lot.id.desc()).limit(check_limit(limit))
        return self.session.scalars(stmt).all()

    def last_numbers(self) -> dict[str, int]:
        """The number of the latest lot of each professional (numbering continues after it)."""
        latest = (select(Lot.ps_number, func.max(Lot.id).label("last_id"))
                  .where(self._cabinet_filter()).group_by(Lot.ps_number).subquery())
        stmt = select(Lot.ps_number, Lot.number).join(latest, Lot.id == latest.c.last_id)
        return {ps: number for ps, number in self.session.execute(stmt).all()}

    def by_message_id(self, message_id: str) -> Lot | None:
        stmt = self._select().where(Lot.message_id == message_id)
        return self.session.scalars(stmt).first()

    # -- concurrency ---------------------------------------------------------------------

    def lock_for_building(self) -> None:
        """Wait for, then hold until the transaction ends, the cabinet's lot-building lock.
        Must be the first statement of its transaction (on SQLite a read first would make the
        later write fail at once instead of waiting)."""
        if self.session.get_bind().dialect.name == "postgresql":
            key = zlib.crc32(f"openfse.lots.{self.cabinet_id}".encode())
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        else:  # a write that changes nothing takes SQLite's write lock (BEGIN IMMEDIATE's)
            self.session.execute(update(Lot).where(self._cabinet_filter(), Lot.id == -1)
                                 .values(status=Lot.status))

    @contextmanager
    def sending_lock(self) -> Iterator[bool]:
        """Try to take the cabinet's sending lock for the block: True when taken, False when
        another sender holds it. It dies with its holder (a killed sender never blocks the
        next one): PostgreSQL session advisory lock on a connection of its own; SQLite an
        ``flock`` on a file beside the database (one machine writes an SQLite file)."""
        bind = self.session.get_bind()
        engine = bind.engine if isinstance(bind, Connection) else bind
        key = zlib.crc32(f"openfse.sending.{self.cabinet_id}".encode())
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                               {"key": key}))
                connection.commit()
                try:
                    yield taken
                finally:
                    if taken:
                        connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                           {"key": key})
                        connection.commit()
            return
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            lock = _MEMORY_LOCKS.setdefault(key, threading.Lock())  # one process
            taken = lock.acquire(blocking=False)
            try:
                yield taken
            finally:
                if taken:
                    lock.release()
            return
        path = Path(database).with_name(f"{Path(database).name}.sending-{self.cabinet_id}.lock")
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    # -- invoices seen from the télétransmission -----------------------------------------

    def invoices_to_send(self, professional_id: int | None = None) -> list[Invoice]:
        """Signed invoices to transmit that no FSE lot carries yet (a lot stored by another
        workstation whose invoices are not « en lot » yet is not built twice)."""
        in_a_lot = (select(LotInvoice.invoice_id).join(Lot, Lot.id == LotInvoice.lot_row_id)
                    .where(Lot.cabinet_id == self.cabinet_id, Lot.kind == "FSE"))
        stmt = select(Invoice).where(
            Invoice.cabinet_id == self.cabinet_id, Invoice.status == InvoiceStatus.SIGNED,
            Invoice.kind == InvoiceKind.INVOICE, Invoice.hors_teletransmission.is_(False),
            Invoice.id.not_in(in_a_lot))
        if professional_id is not None:
            stmt = stmt.where(Invoice.billing_professional_id == professional_id)
        return list(self.session.scalars(stmt.order_by(Invoice.id)).all())

    def count_waiting_for_signature(self) -> int:
        """Validated invoices to transmit that the CPS has not signed yet."""
        stmt = select(func.count()).select_from(Invoice).where(
            Invoice.cabinet_id == self.cabinet_id, Invoice.status == InvoiceStatus.VALIDATED,
            Invoice.kind == InvoiceKind.INVOICE, Invoice.hors_teletransmission.is_(False))
        return int(self.session.scalar(stmt) or 0)

    def invoices_left_behind(self) -> list[tuple[str, LotStatus, int, InvoiceStatus]]:
        """(lot id, lot status, invoice id, invoice status) of the invoices of FSE lots still
        « signée » or « en lot »: the transitions a crash may have left undone."""
        rows = self.session.execute(
            select(Lot.lot_id, Lot.status, Invoice.id, Invoice.status)
            .join(LotInvoice, LotInvoice.lot_row_id == Lot.id)
            .join(Invoice, Invoice.id == LotInvoice.invoice_id)
            .where(Lot.cabinet_id == self.cabinet_id, Lot.kind == "FSE",
                   Invoice.status.in_((InvoiceStatus.SIGNED, InvoiceStatus.IN_LOT)))).all()
        return [(lot_id, lot_status, invoice_id, invoice_status)
                for lot_id, lot_status, invoice_id, invoice_status in rows]

    def shares_sent(self, ps_number: str) -> list[tuple[int, str, str, str, object, object]]:
        """(invoice id, invoice number, lot id, lot kind, due AMO, due AMC) of every invoice
        share ``ps_number`` sent in an FSE or DRE lot."""
        rows = self.session.execute(
            select(LotInvoice.invoice_id, LotInvoice.invoice_number, Lot.lot_id, Lot.kind,
                   Invoice.due_amo, Invoice.due_amc)
            .join(Lot, Lot.id == LotInvoice.lot_row_id)
            .join(Invoice, Invoice.id == LotInvoice.invoice_id)
            .where(Lot.cabinet_id == self.cabinet_id, Lot.ps_number == ps_number,
                   Lot.kind.in_(SHARE_KINDS))).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def invoices_waiting_for_money(self, *, limit: int = 500) -> list[Invoice]:
        """Invoices sent in tiers payant (AMO, or AMC in gestion séparée), not paid yet."""
        stmt = (select(Invoice).where(
                    Invoice.cabinet_id == self.cabinet_id,
                    Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.ACKNOWLEDGED)),
                    (Invoice.due_amo > 0) | (Invoice.due_amc > 0))
                .options(selectinload(Invoice.payments))
                .order_by(Invoice.sent_at, Invoice.id).limit(check_limit(limit)))
        return list(self.session.scalars(stmt).all())

    def rejected_billed_to_patient(self, *, limit: int = 200) -> list[Invoice]:
        """Rejected invoices with a share moved to the patient (« Facturer au patient »)."""
        rejected = (Invoice.cabinet_id == self.cabinet_id,
                    Invoice.status == InvoiceStatus.REJECTED)
        # Most cabinets have no rejected invoice: one cheap probe first.
        if self.session.scalar(select(Invoice.id).where(*rejected).limit(1)) is None:
            return []
        stmt = (select(Invoice).where(*rejected, Invoice.share_transfers.any())
                .options(selectinload(Invoice.payments), selectinload(Invoice.share_transfers))
                .order_by(Invoice.rejected_at, Invoice.id).limit(check_limit(limit)))
        return list(self.session.scalars(stmt).all())

    def payment_references(self, invoice_ids: Iterable[int]) -> set[str]:
        stmt = select(InvoicePayment.reference).where(
            InvoicePayment.cabinet_id == self.cabinet_id,
            InvoicePayment.invoice_id.in_(list(invoice_ids)))
        return {reference for reference in self.session.scalars(stmt).all() if reference}

    def sent_between(self, start: datetime, end: datetime) -> Sequence[Lot]:
        stmt = self._select().where(Lot.sent_at >= start, Lot.sent_at < end)
        return self.session.scalars(stmt).all()


class SentMessageRepository(Repository[SentMessage]):
    model = SentMessage
    noun = "Message envoyé"


class ReceivedDocumentRepository(Repository[ReceivedDocument]):
    model = ReceivedDocument
    noun = "Document reçu"

    def exists(self, message_id: str, reference: str) -> bool:
        stmt = self._select().where(ReceivedDocument.message_id == message_id,
                                    ReceivedDocument.reference == reference)
        return self.session.scalars(stmt).first() is not None


class PaymentReturnLineRepository(Repository[PaymentReturnLine]):
    model = PaymentReturnLine
    noun = "Ligne de retour"

    def open_rejects(self, *, limit: int = 500) -> Sequence[PaymentReturnLine]:
        stmt = (self._select().where(PaymentReturnLine.status == ReturnLineStatus.REJECTED,
                                     PaymentReturnLine.handled.is_(False))
                .order_by(PaymentReturnLine.id).limit(check_limit(limit)))
        return self.session.scalars(stmt).all()

    def answers_for(self, invoice_ids: Iterable[int]) -> list[tuple[PaymentReturnLine, str]]:
        """The lines stored for these invoices with the kind of the lot each answers."""
        stmt = (select(PaymentReturnLine, Lot.kind)
                .join(Lot, (Lot.lot_id == PaymentReturnLine.lot_id)
                      & (Lot.cabinet_id == PaymentReturnLine.cabinet_id))
                .where(PaymentReturnLine.cabinet_id == self.cabinet_id,
                       PaymentReturnLine.invoice_id.in_(list(invoice_ids)))
                .order_by(PaymentReturnLine.id))
        return [(line, kind) for line, kind in self.session.execute(stmt).all()]

    def issued_between(self, start: date, end: date, *,
                       end_inclusive: bool = True) -> Sequence[PaymentReturnLine]:
        """Lines of the statements issued in [start, end] (or [start, end[)."""
        until = (PaymentReturnLine.issued_on <= end if end_inclusive
                 else PaymentReturnLine.issued_on < end)
        stmt = (self._select().where(PaymentReturnLine.issued_on >= start, until)
                .order_by(PaymentReturnLine.issued_on, PaymentReturnLine.id))
        return self.session.scalars(stmt).all()

    def paid_between(self, start: date, end: date) -> Sequence[PaymentReturnLine]:
        """Lines paid (fully or partly) with a payment date in [start, end]."""
        stmt = (self._select().where(PaymentReturnLine.payment_date >= start,
                                     PaymentReturnLine.payment_date <= end)
                .order_by(PaymentReturnLine.payment_date, PaymentReturnLine.id))
        return self.session.scalars(stmt).all()


class TransmissionRunRepository(Repository[TransmissionRun]):
    """The unattended ends of day, one per cabinet and day."""

    model = TransmissionRun
    noun = "Télétransmission programmée"

    def claim_day(self, day: date, now: datetime) -> TransmissionRun | None:
        """Record that the run of ``day`` starts; None when another worker (or an earlier
        start) already has it. Commits nothing: the caller commits at once."""
        row = TransmissionRun(day=day, started_at=now, cabinet_id=self.cabinet_id)
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return None
        return row

    def of_day(self, day: date) -> TransmissionRun | None:
        return self.session.scalars(self._select().where(TransmissionRun.day == day)).first()

    def latest(self) -> TransmissionRun | None:
        stmt = self._select().order_by(TransmissionRun.day.desc()).limit(1)
        return self.session.scalars(stmt).first()
