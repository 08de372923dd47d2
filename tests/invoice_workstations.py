"""Workstations validating invoices at the same time, for the numbering tests (SQLite in
tests/services/test_invoicing_numbering.py, PostgreSQL in
tests/integration/test_invoice_numbering_pg.py)."""

from __future__ import annotations

import threading
from datetime import date

from openfse.domain.invoice import InvoiceDraft
from openfse.services import invoicing
from openfse.services.context import AppContext
from openfse.store.db import make_engine, session_factory
from openfse.store.uow import UnitOfWork


def validate_at_once(ctx: AppContext, draft: InvoiceDraft, names: tuple[str, ...],
                     per_workstation: int, today: date, *, timeout: float
                     ) -> tuple[dict[str, list[int]], list[BaseException]]:
    """Each workstation of ``names`` validates ``draft`` ``per_workstation`` times, all
    starting together; returns the numbers each one got, in order, and what they raised."""
    refs = invoicing.InvoiceReferentials.of(ctx)
    numbers: dict[str, list[int]] = {name: [] for name in names}
    errors: list[BaseException] = []
    start = threading.Barrier(len(names))

    def workstation(name: str) -> None:
        # Its own engine and connection pool, as another workstation (process) would have.
        engine = make_engine(ctx.engine.url)
        sessions = session_factory(engine)
        try:
            start.wait()
            for _ in range(per_workstation):
                uow = UnitOfWork(sessions, cabinet_id=ctx.cabinet_id, actor=name,
                                 actor_user_id=None)
                result = invoicing.validate_invoice(uow, draft, refs=refs, today=today)
                numbers[name].append(result.number.value)
        except BaseException as error:  # noqa: BLE001 - reported by the caller's assertion
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=workstation, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return numbers, errors
