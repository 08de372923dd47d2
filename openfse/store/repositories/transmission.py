"""Lots, sent messages, received documents and payment-return lines of one cabinet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from openfse.store.models.transmission import (
    Lot,
    LotStatus,
    PaymentReturnLine,
    ReceivedDocument,
    ReturnLineStatus,
    SentMessage,
)
from openfse.store.repositories.base import Repository, check_limit


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

    def paid_between(self, start: date, end: date) -> Sequence[PaymentReturnLine]:
        """Lines paid (fully or partly) with a payment date in [start, end]."""
        stmt = (self._select().where(PaymentReturnLine.payment_date >= start,
                                     PaymentReturnLine.payment_date <= end)
                .order_by(PaymentReturnLine.payment_date, PaymentReturnLine.id))
        return self.session.scalars(stmt).all()
