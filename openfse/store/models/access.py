"""Who is let in: server-side web sessions, failed log-in tries, accounts awaiting approval.

* ``web_session``: one row per open session. The browser holds a random token in the signed
  cookie; the table holds its SHA-256 only, so a copy of the database opens no session.
  Log-out deletes the row (a cookie copied before is refused); a password change or a disabled
  account ends every session of the account (issue 12).
* ``login_failure``: failed tries of a password, a code porteur or a code de déblocage, one row
  per try and per key (the login, the client address, the card), SHA-256 of the key. Counted
  over a sliding window: a restart forgets nothing and no flood of other keys evicts a lock.
* ``pending_access``: an account made by a CPS unknown to the cabinet, which opens nothing
  until a titulaire of the cabinet approves it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import IntId, tenant_fk
from openfse.store.models.types import UtcDateTime, utc_now


class WebSession(CabinetScoped, Base):
    """An open log-in session (the cookie carries the token whose SHA-256 is ``id``)."""

    __tablename__ = "web_session"
    __table_args__ = (tenant_fk("user_id", "app_user", ondelete="CASCADE"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(index=True)
    method: Mapped[str] = mapped_column(String(16))  # LoginMethod
    # Digest of the password hash at log-in ("" for a card log-in): a changed password no
    # longer matches, so every session opened with the old one ends at once.
    credential: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class LoginFailure(IntId, CabinetScoped, Base):
    """One failed try, under one throttle key (``scope`` + SHA-256 of the login, address…)."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "cabinet_id", "scope", "key", "at"),)

    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class PendingAccess(IntId, CabinetScoped, Base):
    """An account waiting for a titulaire's approval (no row: not waiting)."""

    __tablename__ = "pending_access"
    __table_args__ = (
        tenant_fk("user_id", "app_user", ondelete="CASCADE"),
        UniqueConstraint("cabinet_id", "user_id", name="uq_pending_access_cabinet_user"),
    )

    user_id: Mapped[int]
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
