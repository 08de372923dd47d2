"""The in-app schedule: ``openfse serve`` sends and fetches the end of day by itself at the
time the cabinet chose (preference ``transmission_time``, télétransmission screen).

A background thread looks every ``period`` seconds; once the cabinet's clock reaches the time
and the day has no run yet, it calls ``transmission.run_scheduled``, which records the day
before running it: two servers on one PostgreSQL database, or a restart, never run it twice
(the same record guards the systemd timer of docs/teletransmission-automatique.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from openfse.adapters.transmission.transport import Transport
from openfse.services import preferences, transmission
from openfse.services.context import AppContext
from openfse.store.uow import UnitOfWork

__all__ = ["SCHEDULER_ACTOR", "Scheduler", "due_now", "tick"]

log = logging.getLogger(__name__)

SCHEDULER_ACTOR = "envoi automatique"  # the journal's « who » of the unattended run


def due_now(ctx: AppContext) -> bool:
    """The time is set, reached on the cabinet's clock, and today has no run yet."""
    with ctx.unit_of_work(actor=SCHEDULER_ACTOR, actor_user_id=None) as uow:
        at = preferences.get_all(uow).transmission_time
        if not at:
            return False
        now = ctx.clock().now()
        if now.strftime("%H:%M") < at:
            return False
        return uow.transmission_runs.of_day(now.date()) is None


def tick(ctx: AppContext, transport: Callable[[], Transport]) -> transmission.ScheduledRun | None:
    """One look: run the end of day when it is due (None when it is not)."""
    if not due_now(ctx):
        return None

    def uow_factory() -> UnitOfWork:
        return ctx.unit_of_work(actor=SCHEDULER_ACTOR, actor_user_id=None)

    clock = ctx.clock()
    return transmission.run_scheduled(uow_factory, transport(), today=clock.today())


@dataclass
class Scheduler:
    """The thread of ``openfse serve``; ``stop()`` ends it."""

    ctx: AppContext
    transport: Callable[[], Transport]
    period: float = 30.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name="envoi-automatique")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            try:
                outcome = tick(self.ctx, self.transport)
            except Exception:  # noqa: BLE001 - logged; the next look tries again
                log.exception("envoi automatique : échec")
                continue
            if outcome is not None and outcome.report is not None:
                log.warning("envoi automatique :\n%s", outcome.report.describe())
