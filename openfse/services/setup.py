"""Database set-up use cases: create/upgrade the schema, make sure a cabinet exists.

``initialise`` is idempotent: run it at every start (CLI ``init``, ``serve``) and it only does
what is missing. It makes the data directory private (0700, its files 0600), and refuses a
database whose immutability guards (append-only journal, frozen invoices) are missing or
disabled (``openfse.store.guards``): ``reinstall_guards=True`` puts them back. A new cabinet
gets its own editable copies of the AMO and AMC organism lists (Paramètres SV), taken from the
shipped reference lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from openfse.config import Settings
from openfse.referentials import organisms
from openfse.store import guards
from openfse.store.db import make_engine, session_factory
from openfse.store.files import secure_home
from openfse.store.migrations import upgrade
from openfse.store.models import (
    AmcGestion,
    AmcOrganism,
    AmoOrganism,
    Cabinet,
    Patient,
    Professional,
)
from openfse.store.uow import UnitOfWork

DEFAULT_CABINET_NAME = "Mon cabinet"
# The cabinet ``openfse demo`` / ``openfse init --demo-if-empty`` loads (``make run``): demo mode
# (simulated caisse started with ``serve``, card-reader panel) is this cabinet and no other.
DEMO_CABINET_NAME = "Cabinet médical du Dr Legrand (démonstration)"


@dataclass(frozen=True, slots=True)
class InitReport:
    database: str
    empty: bool  # no patient and no professional in the database before this run
    reinstalled_guards: str = ""  # what ``reinstall_guards`` put back (French labels)

    def describe(self) -> str:
        state = "nouvelle base" if self.empty else "base existante, à jour"
        text = f"Base de données prête ({self.database}) : {state}."
        if self.reinstalled_guards:
            text += f" Protections d'immuabilité réinstallées ({self.reinstalled_guards})."
        return text


@cache
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine_for(settings: Settings) -> Engine:
    """One engine per database URL for the life of the process."""
    return _engine(settings.database_url)


def session_factory_for(settings: Settings) -> sessionmaker[Session]:
    return session_factory(engine_for(settings))


def initialise(settings: Settings, *, reinstall_guards: bool = False) -> InitReport:
    """Create or upgrade the schema; report whether the database holds no cabinet data yet.

    Raises ``guards.GuardsMissing`` when the immutability guards are not all in place, unless
    ``reinstall_guards`` (then they are installed again, and the report says which)."""
    secure_home(settings.home)
    engine = engine_for(settings)
    upgrade(engine)
    reinstalled = ""
    with engine.begin() as connection:
        if reinstall_guards:
            reinstalled = guards.describe(guards.reinstall_guards(connection))
        guards.require_guards(connection)
    with session_factory(engine)() as session:
        empty = all(
            session.scalar(select(table.id).limit(1)) is None for table in (Patient, Professional)
        )
    return InitReport(database=engine.url.render_as_string(hide_password=True), empty=empty,
                      reinstalled_guards=reinstalled)


def ensure_cabinet(sessions: sessionmaker[Session], name: str = DEFAULT_CABINET_NAME) -> int:
    """The id of the first cabinet, creating it (with its organism lists) when there is none."""
    with sessions() as session:
        existing = session.scalar(select(Cabinet.id).order_by(Cabinet.id).limit(1))
        if existing is not None:
            return existing
        cabinet = create_cabinet(session, name)
        session.commit()
        return cabinet.id


def create_cabinet(session: Session, name: str) -> Cabinet:
    """A new cabinet with its editable copies of the AMO and AMC organism lists."""
    cabinet = Cabinet(name=name)
    session.add(cabinet)
    session.flush()
    session.add_all(_amo_organisms(cabinet.id))
    session.add_all(_amc_organisms(cabinet.id))
    session.flush()
    return cabinet


def _amo_organisms(cabinet_id: int) -> list[AmoOrganism]:
    return [
        AmoOrganism(
            cabinet_id=cabinet_id, regime=c.regime, caisse=c.caisse, centre=c.centre, name=c.name
        )
        for c in organisms.amo_caisses()
    ]


def _amc_organisms(cabinet_id: int) -> list[AmcOrganism]:
    return [
        AmcOrganism(
            cabinet_id=cabinet_id,
            number=o.number,
            name=o.name,
            gestion=AmcGestion(o.gestion),
            contract_type=o.contract_type or None,
            verified=o.verified,
        )
        for o in organisms.amc_organisms()
    ]


def is_demo_cabinet(uow: UnitOfWork) -> bool:
    """Is ``uow``'s cabinet the demonstration one? The one test of demo mode."""
    with uow:
        return uow.cabinets.get(uow.require_cabinet()).name == DEMO_CABINET_NAME
