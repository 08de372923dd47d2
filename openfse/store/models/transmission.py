"""Télétransmission storage: lots sent, messages sent, documents received, payment lines.

- ``Lot``: one lot file built from signed invoices (``openfse.domain.transmission.LotContent``),
  with the exact bytes sent, so that a resend (« Renvoyer ») carries the same content and the
  same Message-ID (docs/formats/lot.md, mail.lot_message_id). Status: prepared → sent →
  acknowledged (ARL positive) or rejected (ARL negative, reasons kept as JSON).
- ``LotInvoice``: which invoices a lot carries (invoice number kept for the reconciliation).
- ``SentMessage``: every SMTP acceptance of a lot (a resend adds a row).
- ``ReceivedDocument``: every ARL / payment return applied, unique per (message id, document
  reference): fetching the same message again after a crash applies nothing twice.
- ``PaymentReturnLine``: one line of a payment return (paid, partial, rejected) and the
  invoice it was matched to (NULL when no invoice of ours matches: shown as « non rapprochée »).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openfse.store.base import Base, CabinetScoped, MoneyCents
from openfse.store.models.common import IntId, Timestamps, str_enum, tenant_fk, tenant_unique
from openfse.store.models.types import UtcDateTime


class LotStatus(enum.StrEnum):
    PREPARED = "prepared"  # built, not accepted by the SMTP server yet
    SENT = "sent"  # accepted by the server, waiting for its ARL
    ACKNOWLEDGED = "acknowledged"  # ARL positive
    REJECTED = "rejected"  # ARL negative: fix and resend


class ReturnLineStatus(enum.StrEnum):
    PAID = "PAYE"
    PARTIAL = "PARTIEL"
    REJECTED = "REJETE"


class Lot(IntId, Timestamps, CabinetScoped, Base):
    __tablename__ = "lot"
    __table_args__ = (
        tenant_unique(),
        tenant_fk("professional_id", "professional"),
        UniqueConstraint("cabinet_id", "lot_id", name="uq_lot_lot_id"),
        Index("ix_lot_cabinet_status", "cabinet_id", "status"),
    )

    lot_id: Mapped[str] = mapped_column(String(40))  # 751000126-20261122-007
    professional_id: Mapped[int] = mapped_column(index=True)
    ps_number: Mapped[str] = mapped_column(String(9))
    number: Mapped[int] = mapped_column(SmallInteger)
    created_on: Mapped[date]
    kind: Mapped[str] = mapped_column(String(4))  # LotKind value (FSE, DRE, SCOR)
    destination_kind: Mapped[str] = mapped_column(String(3))  # AMO / AMC
    destination_code: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    status: Mapped[LotStatus] = mapped_column(str_enum(LotStatus, "lot_status"),
                                              default=LotStatus.PREPARED)
    invoice_count: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(MoneyCents)  # requested from the destination
    deadline: Mapped[date]  # earliest sending deadline of its invoices (R.161-47 CSS)
    sha256: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)  # the lot file exactly as sent
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    send_count: Mapped[int] = mapped_column(default=0)
    arl_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    arl_reference: Mapped[str | None] = mapped_column(String(40))
    arl_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # A lot refused by a negative ARL is never sent again: its invoices go in a new lot.
    replaced_by: Mapped[str | None] = mapped_column(String(40))

    invoices: Mapped[list[LotInvoice]] = relationship(
        back_populates="lot", cascade="all, delete-orphan", passive_deletes=True,
        order_by="LotInvoice.id")


class TransmissionRun(IntId, CabinetScoped, Base):
    """One unattended end of day (« openfse transmit », the in-app schedule): one row per
    cabinet and day, inserted before the run starts, so two workers or a restart never run
    the same day twice (migration 0007)."""

    __tablename__ = "transmission_run"
    __table_args__ = (UniqueConstraint("cabinet_id", "day", name="uq_transmission_run_day"),)

    day: Mapped[date]  # the cabinet's day the run belongs to
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    summary: Mapped[str | None] = mapped_column(String(1000))  # French, what was done
    succeeded: Mapped[bool | None]


class LotInvoice(IntId, CabinetScoped, Base):
    __tablename__ = "lot_invoice"
    __table_args__ = (
        tenant_fk("lot_row_id", "lot", ondelete="CASCADE"),
        tenant_fk("invoice_id", "invoice"),
        UniqueConstraint("lot_row_id", "invoice_id", name="uq_lot_invoice"),
    )

    lot_row_id: Mapped[int] = mapped_column(index=True)
    invoice_id: Mapped[int] = mapped_column(index=True)
    invoice_number: Mapped[str] = mapped_column(String(9))

    lot: Mapped[Lot] = relationship(back_populates="invoices")


class SentMessage(IntId, CabinetScoped, Base):
    __tablename__ = "sent_message"
    __table_args__ = (tenant_fk("lot_row_id", "lot", ondelete="CASCADE"),)

    lot_row_id: Mapped[int] = mapped_column(index=True)
    message_id: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReceivedDocument(IntId, CabinetScoped, Base):
    __tablename__ = "received_document"
    __table_args__ = (
        tenant_unique(),
        UniqueConstraint("cabinet_id", "message_id", "reference", name="uq_received_document"),
    )

    message_id: Mapped[str] = mapped_column(String(250))
    reference: Mapped[str] = mapped_column(String(40))  # ARL / statement reference
    kind: Mapped[str] = mapped_column(String(3))  # ARL / RSP
    issuer: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sha256: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500))


class PaymentReturnLine(IntId, CabinetScoped, Base):
    __tablename__ = "payment_return_line"
    __table_args__ = (
        tenant_fk("invoice_id", "invoice"),
        tenant_fk("document_id", "received_document", ondelete="CASCADE"),
        Index("ix_payment_return_line_key", "cabinet_id", "ps_number", "invoice_number"),
    )

    document_id: Mapped[int] = mapped_column(index=True)
    statement_reference: Mapped[str] = mapped_column(String(40))
    transfer_reference: Mapped[str | None] = mapped_column(String(40))
    issuer: Mapped[str] = mapped_column(String(10))
    ps_number: Mapped[str] = mapped_column(String(9))
    lot_id: Mapped[str] = mapped_column(String(40))
    invoice_number: Mapped[str] = mapped_column(String(9))
    invoice_id: Mapped[int | None]  # NULL: no invoice of ours matches
    status: Mapped[ReturnLineStatus] = mapped_column(
        str_enum(ReturnLineStatus, "return_line_status"))
    requested: Mapped[Decimal] = mapped_column(MoneyCents)
    paid: Mapped[Decimal] = mapped_column(MoneyCents)
    payment_date: Mapped[date | None]
    issued_on: Mapped[date]
    reason_code: Mapped[str | None] = mapped_column(String(8))
    reason_label: Mapped[str | None] = mapped_column(String(200))
    handled: Mapped[bool] = mapped_column(default=False)  # a reject the user dealt with
