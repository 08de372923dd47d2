"""Recording a lot the SMTP server accepted, while another workstation writes (SQLite).

Rule (issue 7, idempotent sending): once the caisse answered 250 the lot is recorded as sent
before the next one goes. On SQLite a transaction that reads before it writes is refused at
once (« database is locked », whatever the busy timeout) when another connection holds the
write lock; the recording therefore writes first and waits its turn instead of failing the
batch over a lot the caisse already holds (found by
tests/integration/test_crash_safety_sending.py).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from uow_support import unit_of, uow_factory

from openfse.adapters.transmission.lot_file import LotFile
from openfse.adapters.transmission.smtp_sender import OutgoingLot
from openfse.domain.invoice import InvoiceStatus
from openfse.services import transmission
from openfse.store.journal import JournalEntry
from openfse.store.models import LotStatus, SentMessage

from .test_invoicing import TODAY, open_demo
from .test_transmission import NOW, signed, statuses

HELD_S = 0.5  # how long the other workstation keeps the write lock (< the 5 s busy timeout)


def test_a_lot_accepted_while_another_workstation_writes_is_recorded_after_it(
    tmp_path: Path,
) -> None:
    ctx = open_demo(tmp_path)
    try:
        ids = signed(ctx, ("BONNET", "NATHALIE"), ("ANDRE", "MANON"))
        [lot_id, *_] = transmission.build_lots(uow_factory(ctx), TODAY, now=NOW).lots
        with unit_of(ctx) as uow:
            row = uow.lots.by_lot_id(lot_id)
            assert row is not None
            outgoing = OutgoingLot(LotFile.parse(row.data), row.recipient)
            invoice_ids = [link.invoice_id for link in row.invoices]
        # Another workstation holds the database write lock for HELD_S seconds.
        path = make_url(ctx.settings.database_url).database
        assert path is not None
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(HELD_S, other.execute, ("ROLLBACK",))
        release.start()
        started = time.monotonic()

        # What send_lots calls after the SMTP server's 250 for this lot.
        transmission._record_sent(uow_factory(ctx), outgoing, outgoing.message_id, NOW)

        waited = time.monotonic() - started
        release.join()
        other.close()
        assert waited >= HELD_S  # it waited for the lock instead of failing at once
        with unit_of(ctx) as uow:
            row = uow.lots.by_lot_id(lot_id)
            assert row is not None
            assert (row.status, row.send_count) == (LotStatus.SENT, 1)
            messages = uow.session.scalars(select(SentMessage.message_id).where(
                SentMessage.lot_row_id == row.id)).all()
            assert messages == [outgoing.message_id]
            journaled = uow.session.scalar(select(func.count()).select_from(JournalEntry).where(
                JournalEntry.entity == "lot", JournalEntry.entity_id == str(row.id),
                JournalEntry.summary.like("%envoyé (1e envoi)")))
            assert journaled == 1
        assert statuses(ctx, invoice_ids) == {InvoiceStatus.SENT}
        assert set(invoice_ids) <= set(ids)
    finally:
        ctx.engine.dispose()
