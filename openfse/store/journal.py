"""The journal: an append-only record of who did what to which record, and when.

Every change to billing data (and reads of sensitive data where the service wants it) is
written with ``record`` in the **same transaction** as the change, so a change and its entry
commit or roll back together (``UnitOfWork.journal``). The table is append-only **in the
database**: the migration installs triggers that reject ``UPDATE`` and ``DELETE`` (and
``TRUNCATE`` on PostgreSQL) — see ``openfse.store.migrations.append_only``.

``changes`` holds the before/after values of the fields that changed, as JSON. Free-text
fields listed in a model's ``__journal_redacted__`` (patient notes, alert, password hash)
are recorded as changed without their content: the journal must not become a second copy of
patient notes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, String, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import IntId
from openfse.store.models.types import UtcDateTime, utc_now

REDACTED = "[masqué]"
SUMMARY_MAX = 500

# The web layer sets this once per request; every entry recorded meanwhile carries it.
current_request_id: ContextVar[str | None] = ContextVar("openfse_request_id", default=None)

# Columns that say nothing about the business change (identity, bookkeeping).
_TECHNICAL_COLUMNS = frozenset({"id", "cabinet_id", "created_at", "updated_at"})

Changes = dict[str, dict[str, Any]]


class JournalAction(enum.StrEnum):
    """Usual actions; any short verb is accepted (``sign``, ``send``… belong to billing)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    READ = "read"


class JournalEntry(IntId, CabinetScoped, Base):
    """One journal line. Never updated, never deleted (database triggers)."""

    __tablename__ = "journal"
    __table_args__ = (
        Index("ix_journal_cabinet_entity", "cabinet_id", "entity", "entity_id"),
        Index("ix_journal_cabinet_at", "cabinet_id", "at"),
        {"info": {"append_only": True}},
    )

    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    actor: Mapped[str] = mapped_column(String(100))  # login, or "system" for batch jobs
    actor_user_id: Mapped[int | None]  # no FK: the entry outlives any change to users
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))  # table name, e.g. "patient"
    entity_id: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    changes: Mapped[Changes | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))


def record(
    session: Session,
    *,
    cabinet_id: int,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | str,
    changes: Mapping[str, Mapping[str, Any]] | None = None,
    summary: str = "",
    actor_user_id: int | None = None,
    request_id: str | None = None,
    at: datetime | None = None,
) -> JournalEntry:
    """Add a journal entry to ``session`` (it is written when the session flushes/commits)."""
    if not actor:
        raise ValueError("a journal entry needs an actor")
    entry = JournalEntry(
        cabinet_id=cabinet_id,
        at=at if at is not None else utc_now(),
        actor=actor,
        actor_user_id=actor_user_id,
        action=str(action),
        entity=entity,
        entity_id=str(entity_id),
        summary=_shorten(summary),
        changes=None if changes is None else {
            field: {side: to_json_value(v) for side, v in sides.items()}
            for field, sides in changes.items()
        },
        request_id=request_id if request_id is not None else current_request_id.get(),
    )
    session.add(entry)
    return entry


def changes_of(obj: Base, action: str) -> Changes:
    """Before/after of the business fields of an ORM object for a journal entry.

    ``create``: every field set, as "after". ``delete``: every field set, as "before".
    ``update``: the fields changed since the last flush, from the ORM history — so call it
    before the flush that writes them. Derived search keys and bookkeeping columns are left
    out; redacted fields say only that they changed.
    """
    if action not in (JournalAction.CREATE, JournalAction.UPDATE, JournalAction.DELETE):
        raise ValueError(f"no field changes for action {action!r}")
    state = inspect(obj)
    model = type(obj)
    redacted: frozenset[str] = getattr(model, "__journal_redacted__", frozenset())
    skipped = _TECHNICAL_COLUMNS | set(getattr(model, "__search_keys__", {}))
    result: Changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in skipped:
            continue
        if action == JournalAction.UPDATE:
            history = state.attrs[key].load_history()
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if not history.added or before == after:
                continue
        else:
            value = getattr(obj, key)
            if value is None:
                continue
            before, after = (None, value) if action == JournalAction.CREATE else (value, None)
        if key in redacted:
            before = None if before is None else REDACTED
            after = None if after is None else REDACTED
        result[key] = {"before": to_json_value(before), "after": to_json_value(after)}
    return result


def to_json_value(value: Any) -> Any:
    """A JSON-ready form of a column value (Decimal and dates as text, enums as their value)."""
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, enum.Enum):
        return to_json_value(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float):
        return value
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    raise TypeError(f"cannot journal a {type(value).__name__}")


def _shorten(summary: str) -> str:
    return summary if len(summary) <= SUMMARY_MAX else summary[: SUMMARY_MAX - 1] + "…"
