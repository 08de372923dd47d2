"""The in-app schedule (issue 13 defect 7): at the time the cabinet set (preference
``transmission_time``), ``openfse serve``'s scheduler runs the end of day, once a day — two
workers or a restart never run a day twice (``transmission_run``, migration 0007)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from openfse.config import Settings
from openfse.services import preferences, transmission, transmission_schedule
from openfse.services.context import AppContext
from openfse.services.fiches import InvalidForm


@pytest.fixture()
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = AppContext.open(Settings.from_env({"OPENFSE_HOME": str(tmp_path / "home")}))
    yield context
    context.engine.dispose()


def not_configured(ctx: AppContext) -> transmission.Transport:
    return transmission.transport_of(ctx.settings, demo=False)


def factory(ctx: AppContext) -> transmission.UowFactory:
    return lambda: ctx.unit_of_work(actor="test", actor_user_id=None)


def test_a_day_runs_once_even_when_two_workers_start_it_together(ctx: AppContext) -> None:
    day = ctx.clock().today()
    outcomes: list[transmission.ScheduledRun] = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait(30)
        outcomes.append(transmission.run_scheduled(factory(ctx), not_configured(ctx), today=day))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcome.ran for outcome in outcomes) == [False, True]
    [done] = [outcome for outcome in outcomes if outcome.ran]
    assert done.report is not None and not done.report.succeeded  # no server: said, recorded
    again = transmission.run_scheduled(factory(ctx), not_configured(ctx), today=day)
    assert not again.ran
    with ctx.unit_of_work(actor="test", actor_user_id=None) as uow:
        last = transmission.last_scheduled_run(uow)
    assert last is not None and last[0] == day and last[1] is False
    assert "Serveur d'envoi des lots (SMTP) non configuré" in last[2]


def test_the_scheduler_runs_at_the_set_time_only(ctx: AppContext) -> None:
    uow = ctx.unit_of_work(actor="test", actor_user_id=None)
    assert preferences.get_all(uow).transmission_time == ""  # by hand only, by default
    assert not transmission_schedule.due_now(ctx)
    assert transmission_schedule.tick(ctx, lambda: not_configured(ctx)) is None

    with pytest.raises(InvalidForm) as refused:
        preferences.save(ctx.unit_of_work(actor="test", actor_user_id=None),
                         {"transmission_time": "25:00"})
    assert "HH:MM" in refused.value.errors["transmission_time"]
    preferences.save(ctx.unit_of_work(actor="test", actor_user_id=None),
                     {"transmission_time": "00:00"})  # passed already today
    assert transmission_schedule.due_now(ctx)
    ran = transmission_schedule.tick(ctx, lambda: not_configured(ctx))
    assert ran is not None and ran.ran
    assert not transmission_schedule.due_now(ctx)  # done for today
    assert transmission_schedule.tick(ctx, lambda: not_configured(ctx)) is None
