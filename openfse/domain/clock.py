"""The cabinet's clock: which day and hour it is where the cabinet works.

A server may run in UTC (containers), a cabinet in Paris or in an overseas département: « today »
is never the server's day but the cabinet's. Every edge (web desk, CLI) builds one ``Clock`` from
the cabinet's time zone and hands ``today``/``now`` to the services; nothing else reads the
system clock (a rule held by ``tests/architecture/test_layers.py``).

The zones offered are those of the cabinets SESAM-Vitale serves: metropolitan France and the five
départements et régions d'outre-mer (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte), as named
in the IANA time-zone database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["CABINET_ZONES", "DEFAULT_ZONE", "Clock", "UnknownZone", "system_time"]

DEFAULT_ZONE = "Europe/Paris"
# IANA name → what the settings screen shows.
CABINET_ZONES: dict[str, str] = {
    "Europe/Paris": "France métropolitaine et Corse (Paris)",
    "America/Guadeloupe": "Guadeloupe",
    "America/Martinique": "Martinique",
    "America/Cayenne": "Guyane",
    "Indian/Reunion": "La Réunion",
    "Indian/Mayotte": "Mayotte",
}


class UnknownZone(ValueError):
    """A time zone that is not one of a cabinet's."""


def system_time() -> datetime:
    """The machine's instant, in UTC (the only read of the system clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    """Days and hours on the cabinet's wall clock.

    ``source`` gives the current instant (aware); tests pass a fixed one.
    """

    zone_name: str = DEFAULT_ZONE
    source: Callable[[], datetime] = field(default=system_time, compare=False)

    def __post_init__(self) -> None:
        if self.zone_name not in CABINET_ZONES:
            raise UnknownZone(
                f"fuseau horaire inconnu : {self.zone_name!r} (attendu l'un de "
                f"{', '.join(CABINET_ZONES)})")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)

    def now(self) -> datetime:
        """The current instant on the cabinet's clock (aware)."""
        return self.source().astimezone(self.zone)

    def today(self) -> date:
        """The cabinet's calendar day (at 23:30 UTC on 31/12 a Paris cabinet is on 01/01)."""
        return self.now().date()

    def local(self, moment: datetime) -> datetime:
        """``moment`` on the cabinet's clock; a naive value is UTC (how instants are stored)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def day_of(self, moment: datetime) -> date:
        """The cabinet's calendar day of ``moment`` (a lot sent at 23:30 UTC in winter was sent
        the next day in Paris: delays that count days from it count from that day)."""
        return self.local(moment).date()

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The UTC instants where ``day`` starts and the next day starts on the cabinet's clock
        (23 or 25 hours apart on the days the clock changes)."""
        start = datetime.combine(day, time.min, tzinfo=self.zone)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def days_since(self, moment: datetime) -> int:
        """Whole cabinet days from the day of ``moment`` to today."""
        return (self.today() - self.day_of(moment)).days
