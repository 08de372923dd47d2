"""Crash safety of lot sending (issue 8; issue 7 « nothing lost or duplicated when the sender or
the simulator is killed and restarted mid-send »), on a SQLite file and on a fresh PostgreSQL
database (the ``settings`` fixture of ``test_crash_safety``: skipped when PostgreSQL does not
answer).

Real processes on loopback: ``openfse serve`` sends the lots (``POST /api/transmission/send``)
by SMTP to the simulated caisse (``python -m openfse.simulators.caisse``, what ``openfse
simulators caisse`` runs). The kills land at the most dangerous moment, deterministically: the
test holds the ``lot`` table, so the sender, once the caisse has accepted a lot (seen in the
caisse's store), waits to record it as sent. Then:

1. the sender is SIGKILLed: the caisse holds the lot, the database still says « préparé »;
2. a restarted sender sends again, and the caisse is SIGKILLed after accepting the first lot
   (the same lot, a duplicate for it): the sender records that one and stops on the next;
3. the caisse restarts (same ports), the sender sends the rest.

Afterwards every lot reached the caisse exactly once (its duplicates acknowledged once), no
invoice is in two lots or was lost, every lot and invoice is « transmis » with its journal, and
the ARLs come back once per lot.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from security.sessions import LoginCookie, login_for
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from test_crash_safety import _free_port, _start, settings  # noqa: F401  (settings: fixture)
from test_transmission_loop import TODAY, fetch_until, signed_invoices, statuses
from uow_support import unit_of, uow_factory

from openfse.config import Settings
from openfse.domain.invoice import InvoiceStatus
from openfse.services import transmission
from openfse.services.context import AppContext
from openfse.store.journal import JournalEntry
from openfse.store.models import Lot, LotInvoice, LotStatus, SentMessage

sys.path.insert(0, str(Path(__file__).resolve().parent / "transmission"))
from caisse_process import CABINET, PASSWORD, CaisseProcess  # noqa: E402

INVOICES = 30  # spread over the demo patients' caisses: several lots


def start_caisse(data_dir: Path) -> CaisseProcess:
    """The caisse on fixed free ports, so a restart listens where the sender sends."""
    ports = [str(_free_port()) for _ in range(3)]
    return CaisseProcess.start(
        data_dir, "--smtp-port", ports[0], "--pop3-port", ports[1], "--admin-port", ports[2],
        "--release", "manual", "--reject-rate", "0", "--partial-rate", "0", "--late-rate", "0")


@contextmanager
def lot_table_held(database: Settings) -> Iterator[None]:
    """Hold the ``lot`` table: the sender can read it, but waits to record a lot as sent —
    just after the caisse accepted it. SQLite: the database's write lock (the sender gives up
    after its 5 s busy timeout, the test is done long before); PostgreSQL: EXCLUSIVE mode
    (reads pass, writes wait)."""
    if database.is_sqlite:
        path = make_url(database.database_url).database
        assert path is not None
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield
            connection.execute("ROLLBACK")
        finally:
            connection.close()
        return
    engine = create_engine(database.database_url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("LOCK TABLE lot IN EXCLUSIVE MODE")
            yield
            connection.rollback()
    finally:
        engine.dispose()


@dataclass
class Sending:
    """``POST /api/transmission/send`` running in a thread (the server may die under it)."""

    thread: threading.Thread
    answer: dict[str, object] | None = None
    failure: Exception | None = None

    def result(self) -> dict[str, object]:
        self.thread.join(60)
        assert not self.thread.is_alive(), "the send never answered"
        assert self.answer is not None, f"the send failed: {self.failure!r}"
        return self.answer


def send_in_background(port: int, login: LoginCookie) -> Sending:
    sending = Sending(threading.Thread(daemon=True))

    def post() -> None:
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/api/transmission/send",
                                  headers=login.headers, timeout=60,
                                  cookies={login.cookie_name: login.cookie_value})
            assert response.status_code == 200, response.text
            sending.answer = response.json()
        except (httpx.HTTPError, AssertionError) as problem:
            sending.failure = problem

    sending.thread = threading.Thread(target=post, daemon=True)
    sending.thread.start()
    return sending


def wait_received(caisse: CaisseProcess, mails: int, timeout: float = 30.0) -> None:
    """Until the caisse's store holds ``mails`` mails (committed before its 250 answer)."""
    deadline = time.monotonic() + timeout
    while caisse.summary()["inbound"] < mails:
        assert time.monotonic() < deadline, f"the caisse did not receive: {caisse.summary()}"
        time.sleep(0.02)


def kill(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGKILL)
    server.wait(10)


def test_a_killed_sender_or_caisse_loses_and_duplicates_no_lot(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    running = [start_caisse(tmp_path / "caisse")]
    caisse = running[0]
    # The server processes send to the caisse (``_start`` passes the environment on).
    monkeypatch.setenv("OPENFSE_SMTP", f"127.0.0.1:{caisse.smtp_port}")
    monkeypatch.setenv("OPENFSE_MAIL_FROM", CABINET)
    receiver = replace(settings, pop3=f"127.0.0.1:{caisse.pop3_port}", pop3_user=CABINET,
                       pop3_password=PASSWORD)
    ctx = AppContext.open(settings)
    server: subprocess.Popen[bytes] | None = None
    try:
        ids = signed_invoices(ctx, INVOICES)
        built = transmission.build_lots(uow_factory(ctx), TODAY)
        assert not built.refused and built.invoices == INVOICES
        assert len(built.lots) >= 3, built.lots
        login = login_for(settings)  # a write: before the lot table is held

        # 1. The sender dies after the caisse accepted the first lot, before recording it.
        port = _free_port()
        server = _start(settings, port)
        with lot_table_held(settings):
            first = send_in_background(port, login)
            wait_received(caisse, 1)
            kill(server)
        first.thread.join(30)
        assert first.answer is None, "the killed sender answered"
        assert lot_statuses(ctx) == {LotStatus.PREPARED: len(built.lots)}
        assert statuses(ctx, ids) == {InvoiceStatus.IN_LOT: INVOICES}

        # 2. Sent again: the caisse dies after accepting the first lot (again).
        server = _start(settings, port)
        with lot_table_held(settings):
            second = send_in_background(port, login)
            wait_received(caisse, 2)
            caisse.kill()
        outcome = second.result()
        assert outcome["complete"] is False and outcome["error"]
        assert outcome["sent"] == [built.lots[0]]  # recorded: the caisse had said 250

        # 3. The caisse back on the same ports: the rest goes.
        caisse = caisse.restart()
        running.append(caisse)
        third = send_in_background(port, login).result()
        assert third["complete"] is True and third["total"] == len(built.lots) - 1

        check_nothing_lost_nor_duplicated(ctx, receiver, caisse, built.lots, ids)
    finally:
        if server is not None:
            kill(server)
        ctx.engine.dispose()
        running[-1].stop()


def lot_statuses(ctx: AppContext) -> Counter[LotStatus]:
    with unit_of(ctx) as uow:
        return Counter(uow.session.scalars(select(Lot.status)).all())


def check_nothing_lost_nor_duplicated(ctx: AppContext, receiver: Settings,
                                      caisse: CaisseProcess, lot_ids: tuple[str, ...],
                                      ids: list[int]) -> None:
    # The caisse: the first lot came twice, each lot is recorded once, positively.
    caisse.wait_processed(len(lot_ids))
    assert caisse.summary()["inbound"] > len(lot_ids)
    received = caisse.admin("GET", "/caisse/lots")
    assert sorted(lot["lot_id"] for lot in received) == sorted(lot_ids)
    assert {lot["status"] for lot in received} == {"POSITIF"}
    invoices = [(i["ps_number"], i["kind"], i["number"])
                for i in caisse.admin("GET", "/caisse/invoices")]
    assert len(invoices) == len(set(invoices)) == INVOICES  # none twice, none missing

    # The database: every lot sent (with its message and journal), every invoice in one lot.
    with unit_of(ctx) as uow:
        lots = uow.session.scalars(select(Lot)).all()
        assert {lot.lot_id for lot in lots} == set(lot_ids)
        assert {lot.status for lot in lots} == {LotStatus.SENT}
        for lot in lots:
            messages = uow.session.scalars(select(SentMessage.message_id).where(
                SentMessage.lot_row_id == lot.id)).all()
            assert messages and set(messages) == {lot.message_id}, lot.lot_id
            assert lot.send_count == len(messages)
            journaled = uow.session.scalar(select(func.count()).select_from(JournalEntry).where(
                JournalEntry.entity == "lot", JournalEntry.entity_id == str(lot.id),
                JournalEntry.summary.like("%envoyé%")))
            assert journaled == lot.send_count, lot.lot_id
        links = Counter(uow.session.scalars(select(LotInvoice.invoice_id)).all())
    assert sorted(links) == sorted(ids) and set(links.values()) == {1}
    assert statuses(ctx, ids) == {InvoiceStatus.SENT: INVOICES}

    # The ARLs: one positive per lot, nothing more.
    arl = fetch_until(ctx, receiver, len(lot_ids))
    assert (arl.arl_positive, arl.arl_negative, arl.duplicates) == (len(lot_ids), 0, 0)
    assert statuses(ctx, ids) == {InvoiceStatus.ACKNOWLEDGED: INVOICES}
    again = transmission.fetch_returns(uow_factory(ctx), transmission.transport_of(receiver,
                                                                                   demo=False))
    assert (again.arl_positive, again.arl_negative) == (0, 0)
