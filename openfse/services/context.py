"""What a running application holds: settings, database, current cabinet, reference caches.

Built once at start (web app, CLI) and passed to the edges; services receive what they need
from it (a unit of work, the tariffs), never reach for globals.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from openfse.adapters.cards.port import ApcvProvider, CardReader
from openfse.adapters.teleservices.port import AdriClient, InterAmcDirectory
from openfse.composition import (
    make_adri_client,
    make_apcv_provider,
    make_card_reader,
    make_interamc_directory,
)
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.domain.pricing.tariffs import ReferentialTariffs
from openfse.referentials.ccam import CcamCatalog
from openfse.services.cards import CardsConfig
from openfse.services.ccam_import import ActiveCcamCatalog
from openfse.services.setup import engine_for, ensure_cabinet, initialise
from openfse.services.teleservices import TeleserviceConfig
from openfse.store.db import session_factory
from openfse.store.uow import UnitOfWork

SYSTEM_ACTOR = "systeme"  # reads the application makes for itself (cabinet name, clock)


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    cabinet_id: int
    _ccam: ActiveCcamCatalog = field(init=False, repr=False)
    _tariffs: ReferentialTariffs | None = field(default=None, repr=False)
    _tariffs_catalog: CcamCatalog | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Outside world, chosen by configuration (simulators by default: the demo needs no
    # hardware). One reader per process: the card's state (PIN verified, present) lives there.
    card_reader: CardReader = field(init=False, repr=False)
    apcv: ApcvProvider = field(init=False, repr=False)
    adri: AdriClient = field(init=False, repr=False)
    interamc: InterAmcDirectory = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ccam = ActiveCcamCatalog(self.sessions)
        cards = CardsConfig.from_settings(self.settings)
        self.card_reader = make_card_reader(cards)
        self.apcv = make_apcv_provider(cards)
        teleservices = TeleserviceConfig.from_setting(self.settings.adri)
        self.adri = make_adri_client(teleservices)
        self.interamc = make_interamc_directory(teleservices)

    @classmethod
    def open(cls, settings: Settings) -> AppContext:
        initialise(settings)
        engine = engine_for(settings)
        sessions = session_factory(engine)
        context = cls(
            settings=settings, engine=engine, sessions=sessions, cabinet_id=ensure_cabinet(sessions)
        )
        context.ccam_catalog().build_search_index()  # the first search at the desk is instant
        return context

    @property
    def database_kind(self) -> str:
        return "PostgreSQL" if self.engine.dialect.name == "postgresql" else "SQLite"

    def cabinet_name(self) -> str:
        with self.unit_of_work(actor=SYSTEM_ACTOR, actor_user_id=None) as uow:
            return uow.cabinets.get(self.cabinet_id).name

    def clock(self) -> Clock:
        """The cabinet's clock, on the time zone of its settings (read at each call: another
        workstation may have changed it)."""
        with self.unit_of_work(actor=SYSTEM_ACTOR, actor_user_id=None) as uow:
            return Clock(uow.cabinets.get(self.cabinet_id).time_zone)

    def unit_of_work(self, *, actor: str, actor_user_id: int | None) -> UnitOfWork:
        """A unit of work of this cabinet journaled under ``actor``: on the web, only the desk
        (:mod:`openfse.web.deps`) calls it, with the logged-in user."""
        return UnitOfWork(self.sessions, cabinet_id=self.cabinet_id, actor=actor,
                          actor_user_id=actor_user_id)

    def ccam_catalog(self) -> CcamCatalog:
        """The imported CCAM if any (also one imported by another workstation), else the
        bundled subset."""
        return self._ccam.get()

    def tariffs(self) -> ReferentialTariffs:
        """NGAP + CCAM tariffs over the catalogue in force, memoised until it changes."""
        catalog = self.ccam_catalog()
        with self._lock:
            if self._tariffs is None or self._tariffs_catalog is not catalog:
                self._tariffs, self._tariffs_catalog = ReferentialTariffs(catalog), catalog
            return self._tariffs
