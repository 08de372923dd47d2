"""Simultaneous « Envoyer » (issue 12 finding 10), on a SQLite file and on PostgreSQL: three
workstations click at the same moment — each builds the lots (« Préparer les lots ») then
sends. Every invoice goes in one lot, every lot reaches the caisse exactly once, and no click
fails (no « database is locked », no false conflict): the clicks that found the work taken say
so instead."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from test_crash_safety import settings  # noqa: F401  (fixture: sqlite, postgresql)
from test_transmission_loop import TODAY, signed_invoices
from uow_support import unit_of, uow_factory

from openfse.config import Settings
from openfse.services import transmission
from openfse.services.context import AppContext
from openfse.store.models import LotInvoice, LotStatus, SentMessage

sys.path.insert(0, str(Path(__file__).resolve().parent / "transmission"))
from caisse_process import CABINET, PASSWORD, CaisseProcess  # noqa: E402

CLICKS = 3
INVOICES = 12


@dataclass
class Click:
    built: transmission.BuildReport | None = None
    sent: transmission.SendOutcome | None = None
    failures: list[BaseException] = field(default_factory=list)


def test_three_simultaneous_send_clicks_send_each_lot_once(
        settings: Settings, tmp_path: Path) -> None:  # noqa: F811
    caisse = CaisseProcess.start(tmp_path / "caisse", "--release", "manual")
    ctx = AppContext.open(settings)
    try:
        sending = transmission.transport_of(
            Settings.from_env({"OPENFSE_HOME": str(settings.home),
                               "OPENFSE_SMTP": f"127.0.0.1:{caisse.smtp_port}",
                               "OPENFSE_POP3": f"127.0.0.1:{caisse.pop3_port}",
                               "OPENFSE_POP3_PASSWORD": PASSWORD,
                               "OPENFSE_MAIL_FROM": CABINET}), demo=False)
        ids = signed_invoices(ctx, INVOICES)
        start = threading.Barrier(CLICKS)
        clicks = [Click() for _ in range(CLICKS)]

        def click(mine: Click) -> None:
            try:
                start.wait(30)
                mine.built = transmission.build_lots(uow_factory(ctx), TODAY)
                mine.sent = transmission.send_lots_now(uow_factory(ctx), sending)
            except BaseException as problem:  # noqa: BLE001 - reported below
                mine.failures.append(problem)

        threads = [threading.Thread(target=click, args=(mine,)) for mine in clicks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

        assert [mine.failures for mine in clicks] == [[]] * CLICKS
        lots = [lot for mine in clicks for lot in (mine.built.lots if mine.built else ())]
        assert len(lots) == len(set(lots)) and lots, lots  # each lot built by one click
        sent = Counter(lot for mine in clicks for lot in (mine.sent.sent if mine.sent else ()))
        assert sent == Counter(set(lots))  # each lot sent once, by one of the clicks
        assert all(mine.sent and mine.sent.complete for mine in clicks)
        with unit_of(ctx) as uow:
            links = Counter(uow.session.scalars(select(LotInvoice.invoice_id)).all())
            messages = Counter(uow.session.scalars(select(SentMessage.lot_row_id)).all())
            rows = [uow.lots.by_lot_id(lot) for lot in lots]
        assert sorted(links) == sorted(ids) and set(links.values()) == {1}
        assert {row.status for row in rows if row} == {LotStatus.SENT}
        assert set(messages.values()) == {1} and len(messages) == len(lots)
        caisse.wait_processed(len(lots))
        assert caisse.summary()["inbound"] == len(lots)
    finally:
        ctx.engine.dispose()
        caisse.stop()
