"""What the invoice desk keeps besides invoices (issues 12 and 13).

* ``invoice_idempotency``: the ``Idempotency-Key`` a client sent with ``POST /api/invoices``,
  and the invoice it made. Written in the validating transaction, so a key exists exactly when
  its invoice does: a client that lost the answer (crash, timeout) sends the same key again
  and gets the first invoice back, never a second one. ``request_sha256`` is the digest of the
  body the key came with: the same key with another body is refused.
* ``prepared_invoice``: an invoice typed by the secrétariat (who never validates) for a
  professional, waiting in his « À valider » list. ``form`` is the invoice screen's fields as
  typed; the professional opens it, checks and validates it — then the row is removed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import IntId, tenant_fk
from openfse.store.models.types import UtcDateTime

__all__ = ["InvoiceIdempotencyKey", "PreparedInvoice"]

IDEMPOTENCY_KEY_MAX = 200


class InvoiceIdempotencyKey(IntId, CabinetScoped, Base):
    """One key of ``POST /api/invoices`` and the invoice it validated."""

    __tablename__ = "invoice_idempotency"
    __table_args__ = (
        UniqueConstraint("cabinet_id", "key", name="uq_invoice_idempotency_cabinet_key"),
        tenant_fk("invoice_id", "invoice"),
    )

    key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_MAX))
    request_sha256: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PreparedInvoice(IntId, CabinetScoped, Base):
    """An invoice the secrétariat prepared, waiting for its professional to validate it."""

    __tablename__ = "prepared_invoice"
    __table_args__ = (
        tenant_fk("professional_id", "professional", ondelete="CASCADE"),
        tenant_fk("patient_id", "patient", ondelete="CASCADE"),
        tenant_fk("prepared_by", "app_user"),
    )

    professional_id: Mapped[int] = mapped_column(index=True)
    patient_id: Mapped[int]
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    prepared_by: Mapped[int | None]
    prepared_at: Mapped[datetime] = mapped_column(UtcDateTime())
