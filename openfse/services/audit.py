"""The audit journal, read-only: the lines the « Journal » screen lists, with its filters.

Issue 8: « the journal records every read of a patient file and every change to billing data,
and cannot be edited through the app; a screen lists it ». Writing stays with the unit of work
(:meth:`openfse.store.uow.UnitOfWork.journal`); the table refuses UPDATE/DELETE (triggers).
This module only selects: there is no function here, nor a route, that changes an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from openfse.domain.clock import Clock
from openfse.errors import InvalidInput
from openfse.store.journal import JournalEntry
from openfse.store.models import AppUser
from openfse.store.uow import UnitOfWork

__all__ = ["PAGE_SIZE", "JournalFilter", "JournalLine", "actor_choices", "parse_filter",
           "search_journal"]

PAGE_SIZE = 200  # lines per screen; the filters narrow a long journal
# Actors that are not a person's account: what the screen calls them (issue 13 defect 15: no
# internal word on screen). Logins of accounts are shown by the account's display name.
PROCESS_NAMES = {
    "systeme": "Système (openfse)", "system": "Système (openfse)",
    "anonyme": "Avant connexion", "cli": "Ligne de commande", "web": "Non identifié",
    "demo": "Données de démonstration",
}


@dataclass(frozen=True, slots=True)
class JournalFilter:
    entity: str = ""  # table name, e.g. "patient", "invoice"
    actor: str = ""  # login (exact, case-insensitive)
    day: date | None = None  # the day of the entries, on the cabinet's clock (Europe/Paris)


@dataclass(frozen=True, slots=True)
class JournalLine:
    at: datetime
    actor: str  # the login stored (the filter's value)
    action: str
    entity: str
    entity_id: str
    summary: str
    actor_name: str = ""  # who that is, as the screen names him (« Dr Pierre LEGRAND »)


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


# Entities whose summaries speak of the cabinet's organisation, never of a patient: the only
# summaries a reader without access to patient files (the admin role) is shown (issue 12: the
# admin read « Facture de MARTIN PAUL »). Every other summary may name a patient.
ADMINISTRATIVE_ENTITIES = frozenset({
    "cabinet", "preference", "amo_organism", "amc_organism", "professional", "replacement_day",
    "app_user", "web_session", "pending_access", "ccam_version", "transmission_run",
})
HIDDEN_SUMMARY = "Détail réservé aux utilisateurs qui ont accès aux dossiers des patients."


def search_journal(uow: UnitOfWork, wanted: JournalFilter, *, clock: Clock,
                   reads_patients: bool, limit: int = PAGE_SIZE) -> list[JournalLine]:
    """The cabinet's entries matching ``wanted``, newest first. Call inside a unit of work;
    ``clock`` is the cabinet's (its « Jour » is a day of the cabinet's wall clock); without
    ``reads_patients`` the summaries that may name a patient are withheld."""
    stmt = select(JournalEntry).where(JournalEntry.cabinet_id == uow.require_cabinet())
    if wanted.entity:
        stmt = stmt.where(JournalEntry.entity == wanted.entity)
    if wanted.actor:
        # Same login whatever the case; not LIKE: « \ », « % » or « _ » typed are letters
        # (a trailing « \ » was a 500 on PostgreSQL, issue 12).
        stmt = stmt.where(func.lower(JournalEntry.actor) == wanted.actor.lower())
    if wanted.day is not None:
        # The screen shows the cabinet's times: its « Jour » is a cabinet day, not a UTC one.
        start, end = clock.day_bounds(wanted.day)
        stmt = stmt.where(JournalEntry.at >= start, JournalEntry.at < end)
    stmt = stmt.order_by(JournalEntry.at.desc(), JournalEntry.id.desc()).limit(limit)
    entries = list(uow.session.scalars(stmt))
    names = _display_names(uow)
    return [
        JournalLine(e.at, e.actor, e.action, e.entity, e.entity_id,
                    e.summary if reads_patients or e.entity in ADMINISTRATIVE_ENTITIES
                    else HIDDEN_SUMMARY,
                    _actor_name(e.actor, e.actor_user_id, names))
        for e in entries
    ]


def actor_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """The « Utilisateur » filter: (login, display name) of the cabinet's accounts, by name.
    Call inside a unit of work."""
    accounts = uow.session.execute(select(AppUser.login, AppUser.display_name).where(
        AppUser.cabinet_id == uow.require_cabinet()))
    return sorted(((login, name or login) for login, name in accounts),
                  key=lambda choice: choice[1].lower())


def _display_names(uow: UnitOfWork) -> dict[int | str, str]:
    """Display names by account id and by login (a line keeps both; old lines only the login)."""
    names: dict[int | str, str] = {}
    for user_id, login, name in uow.session.execute(
            select(AppUser.id, AppUser.login, AppUser.display_name)
            .where(AppUser.cabinet_id == uow.require_cabinet())):
        names[user_id] = names[login] = name or login
    return names


def _actor_name(login: str, user_id: int | None, names: dict[int | str, str]) -> str:
    if user_id is not None and user_id in names:
        return names[user_id]
    return names.get(login) or PROCESS_NAMES.get(login, login)
