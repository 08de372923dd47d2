"""The audit journal, read-only: the lines the « Journal » screen lists, with its filters.

Issue 8: « the journal records every read of a patient file and every change to billing data,
and cannot be edited through the app; a screen lists it ». Writing stays with the unit of work
(:meth:`openfse.store.uow.UnitOfWork.journal`); the table refuses UPDATE/DELETE (triggers).
This module only selects: there is no function here, nor a route, that changes an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from openfse.domain.local_time import day_bounds
from openfse.errors import InvalidInput
from openfse.store.journal import JournalEntry
from openfse.store.uow import UnitOfWork

__all__ = ["PAGE_SIZE", "JournalFilter", "JournalLine", "parse_filter", "search_journal"]

PAGE_SIZE = 200  # lines per screen; the filters narrow a long journal


@dataclass(frozen=True, slots=True)
class JournalFilter:
    entity: str = ""  # table name, e.g. "patient", "invoice"
    actor: str = ""  # login (exact, case-insensitive)
    day: date | None = None  # the day of the entries, on the cabinet's clock (Europe/Paris)


@dataclass(frozen=True, slots=True)
class JournalLine:
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    summary: str


def parse_filter(entity: str = "", actor: str = "", day: str = "") -> JournalFilter:
    """The screen's filter fields, checked (a bad date is an :class:`InvalidInput` on ``day``)."""
    parsed: date | None = None
    if day.strip():
        try:
            parsed = date.fromisoformat(day.strip())
        except ValueError as error:
            raise InvalidInput("Date invalide (attendu : AAAA-MM-JJ).", code="invalid_date",
                               field="day") from error
    return JournalFilter(entity=entity.strip()[:64], actor=actor.strip()[:100], day=parsed)


def search_journal(uow: UnitOfWork, wanted: JournalFilter, *,
                   limit: int = PAGE_SIZE) -> list[JournalLine]:
    """The cabinet's entries matching ``wanted``, newest first. Call inside a unit of work."""
    stmt = select(JournalEntry).where(JournalEntry.cabinet_id == uow.require_cabinet())
    if wanted.entity:
        stmt = stmt.where(JournalEntry.entity == wanted.entity)
    if wanted.actor:
        stmt = stmt.where(JournalEntry.actor.ilike(wanted.actor))
    if wanted.day is not None:
        # The screen shows Paris times: its « Jour » is a Paris day, not a UTC one.
        start, end = day_bounds(wanted.day)
        stmt = stmt.where(JournalEntry.at >= start, JournalEntry.at < end)
    stmt = stmt.order_by(JournalEntry.at.desc(), JournalEntry.id.desc()).limit(limit)
    return [
        JournalLine(e.at, e.actor, e.action, e.entity, e.entity_id, e.summary)
        for e in uow.session.scalars(stmt)
    ]
