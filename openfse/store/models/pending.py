"""Teleservice answers waiting for the user's next click (``services.pending_results``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import IntId, tenant_fk
from openfse.store.models.types import UtcDateTime


class PendingResult(IntId, CabinetScoped, Base):
    """An ADRi answer to compare and choose from, the beneficiaries of an appli carte Vitale
    session (a QR code cannot be read twice)…, as plain JSON under a random token.

    In the database, not in the web process: a restart or another worker does not lose it.
    Only the user who asked reads it back, until ``expires_at``. Transient working data, not
    billing data: not journaled (what the user then applies to the patient file is).
    """

    __tablename__ = "pending_result"
    __table_args__ = (
        tenant_fk("user_id", "app_user", ondelete="CASCADE"),
        UniqueConstraint("token", name="uq_pending_result_token"),
    )

    token: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))  # services.pending_results.PendingKind
    subject_id: Mapped[int | None]  # the patient file the answer is about, when there is one
    payload: Mapped[Any] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
