"""The cabinet's own settings: its wall clock (time zone).

A cabinet in La Réunion is three hours ahead of Paris in winter: its « today », the dates printed
on its invoices and the days its lot delays count are its own (``domain.clock``).
"""

from __future__ import annotations

from openfse.domain.clock import CABINET_ZONES, Clock, UnknownZone
from openfse.errors import FormErrors
from openfse.store.journal import JournalAction
from openfse.store.uow import UnitOfWork

__all__ = ["time_zone", "time_zone_choices", "set_time_zone"]


def time_zone_choices() -> list[tuple[str, str]]:
    return list(CABINET_ZONES.items())


def time_zone(uow: UnitOfWork) -> str:
    with uow:
        return uow.cabinets.get(uow.require_cabinet()).time_zone


def set_time_zone(uow: UnitOfWork, zone_name: str) -> Clock:
    """Change the cabinet's time zone (journaled); an unknown zone changes nothing."""
    try:
        clock = Clock(zone_name.strip())
    except UnknownZone as error:
        raise FormErrors({"time_zone": "Choisissez le fuseau horaire du cabinet dans la liste."}
                         ) from error
    with uow:
        cabinet = uow.cabinets.get(uow.require_cabinet())
        if cabinet.time_zone != clock.zone_name:
            cabinet.time_zone = clock.zone_name
            uow.journal_change(cabinet, JournalAction.UPDATE,
                               summary=f"Fuseau horaire : {CABINET_ZONES[clock.zone_name]}")
            uow.commit()
    return clock
