"""The desk: what one request works with, handed out by one FastAPI dependency.

Every route takes ``desk: DeskDep`` and gets from it, and from nowhere else:

- ``desk.uow()``: a unit of work journaled under the logged-in user (his login and user id;
  ``anonyme`` with no id on the log-in screens, where nobody is logged in yet);
- ``desk.today`` / ``desk.now`` / ``desk.clock``: the cabinet's day and hour, on the cabinet's
  time zone (a cabinet setting), never the server's;
- the adapters to the outside world (``card_reader``, ``apcv``, ``adri``, ``interamc``), each
  its own dependency so a test swaps one with ``app.dependency_overrides[get_adri] = …``;
- the application's reference data (``settings``, ``tariffs()``, ``ccam_catalog()``).

The desk is built once per request and kept on ``request.state`` so that the page frame (the
Jinja filters showing instants) reads the same clock as the route.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Request

from openfse.adapters.cards.port import ApcvProvider, CardReader
from openfse.adapters.teleservices.port import AdriClient, InterAmcDirectory
from openfse.adapters.transmission.transport import Transport
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.domain.pricing.tariffs import ReferentialTariffs
from openfse.referentials.ccam import CcamCatalog
from openfse.services import transmission
from openfse.services.context import AppContext
from openfse.services.session_login import SessionUser
from openfse.services.setup import is_demo_cabinet
from openfse.store.uow import UnitOfWork
from openfse.web.session import current_user

__all__ = [
    "ANONYMOUS",
    "Desk",
    "DeskDep",
    "app_context",
    "clock_of",
    "get_adri",
    "get_apcv",
    "get_card_reader",
    "get_clock",
    "get_desk",
    "get_interamc",
    "get_transport",
]

ANONYMOUS = "anonyme"  # the actor of what is done before anybody logs in (log-in screens)


def app_context(request: Request) -> AppContext:
    """The running application (the only look-up of ``app.state``)."""
    ctx: AppContext = request.app.state.ctx
    return ctx


def clock_of(request: Request) -> Clock:
    """The cabinet's clock for this request (built once, kept on ``request.state``)."""
    clock: Clock | None = getattr(request.state, "openfse_clock", None)
    if clock is None:
        clock = app_context(request).clock()
        request.state.openfse_clock = clock
    return clock


def get_clock(request: Request) -> Clock:
    return clock_of(request)


def get_card_reader(request: Request) -> CardReader:
    return app_context(request).card_reader


def get_apcv(request: Request) -> ApcvProvider:
    return app_context(request).apcv


def get_adri(request: Request) -> AdriClient:
    return app_context(request).adri


def get_interamc(request: Request) -> InterAmcDirectory:
    return app_context(request).interamc


def get_transport(request: Request) -> Transport:
    """The télétransmission servers (SMTP, POP3): the settings', or the simulated caisse of
    the demo; tests override it with ``app.dependency_overrides[get_transport]``."""
    ctx = app_context(request)
    probe = ctx.unit_of_work(actor=ANONYMOUS, actor_user_id=None)
    return transmission.transport_of(ctx.settings,
                                     demo=is_demo_cabinet(probe))


@dataclass(frozen=True)
class Desk:
    """One request's user, cabinet clock and adapters."""

    request: Request
    user: SessionUser | None
    clock: Clock
    card_reader: CardReader
    apcv: ApcvProvider
    adri: AdriClient
    interamc: InterAmcDirectory
    _ctx: AppContext

    def uow(self) -> UnitOfWork:
        """A unit of work journaled under the logged-in user."""
        if self.user is None:
            return self._ctx.unit_of_work(actor=ANONYMOUS, actor_user_id=None)
        return self._ctx.unit_of_work(actor=self.user.login, actor_user_id=self.user.user_id)

    @property
    def today(self) -> date:
        return self.clock.today()

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def settings(self) -> Settings:
        return self._ctx.settings

    @property
    def cabinet_id(self) -> int:
        return self._ctx.cabinet_id

    @property
    def context(self) -> AppContext:
        """The application itself, for the few services that need its factories."""
        return self._ctx

    def tariffs(self) -> ReferentialTariffs:
        return self._ctx.tariffs()

    def ccam_catalog(self) -> CcamCatalog:
        return self._ctx.ccam_catalog()


def get_desk(
    request: Request,
    clock: Annotated[Clock, Depends(get_clock)],
    card_reader: Annotated[CardReader, Depends(get_card_reader)],
    apcv: Annotated[ApcvProvider, Depends(get_apcv)],
    adri: Annotated[AdriClient, Depends(get_adri)],
    interamc: Annotated[InterAmcDirectory, Depends(get_interamc)],
) -> Desk:
    desk = Desk(request=request, user=current_user(request), clock=clock,
                card_reader=card_reader, apcv=apcv, adri=adri, interamc=interamc,
                _ctx=app_context(request))
    request.state.openfse_desk = desk
    request.state.openfse_clock = clock  # the page frame shows instants on the same clock
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]
