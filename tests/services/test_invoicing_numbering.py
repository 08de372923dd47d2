"""Invoice numbers on SQLite: unique and gapless with two workstations validating at once, a
rolled-back number given back, lock conflicts absorbed (busy timeout, retry) instead of
reaching the user. PostgreSQL: tests/integration/test_invoice_numbering_pg.py."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from invoice_workstations import validate_at_once  # tests/invoice_workstations.py
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from uow_support import unit_of

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.invoice import InvoiceDraft, InvoiceNumber
from openfse.domain.pricing import parse_draft
from openfse.services import invoicing
from openfse.services.context import AppContext
from openfse.services.numbering import (
    NumberingOrderError,
    NumbersExhausted,
    allocate_number,
    is_transient,
    last_number,
    run_writing,
)
from openfse.store.models import InvoiceNumberCounter, ProfessionalKind

TODAY = date(2026, 3, 2)
PER_WORKSTATION = 100


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    settings = Settings.from_env({"OPENFSE_HOME": str(tmp_path)})
    load_demo(settings, today=TODAY)
    return AppContext.open(settings)


def _draft(ctx: AppContext) -> tuple[InvoiceDraft, int]:
    with unit_of(ctx) as uow:
        titulaire = next(p for p in uow.professionals.list()
                         if p.kind is ProfessionalKind.TITULAIRE)
        patient = uow.patients.search("BERNARD JEAN", limit=1)[0]
    pricing = parse_draft({"date_soins": TODAY.isoformat(), "profession": "medecin",
                           "patient": {"age": 75, "parcours": "medecin_traitant"},
                           "acts": [{"code": "G"}]})
    return InvoiceDraft(titulaire.id, patient.id, pricing), titulaire.id


def test_two_workstations_get_unique_gapless_numbers(ctx: AppContext) -> None:
    draft, professional_id = _draft(ctx)
    stations, errors = validate_at_once(ctx, draft, ("poste1", "poste2"), PER_WORKSTATION,
                                        TODAY, timeout=120)
    numbers = stations["poste1"] + stations["poste2"]

    assert errors == []
    assert sorted(numbers) == list(range(1, 2 * PER_WORKSTATION + 1))
    with unit_of(ctx) as uow:
        assert last_number(uow, professional_id) == 2 * PER_WORKSTATION


def test_a_rolled_back_number_is_given_back(ctx: AppContext) -> None:
    _, professional_id = _draft(ctx)
    with unit_of(ctx) as uow:
        assert allocate_number(uow, professional_id) == InvoiceNumber(1)
        uow.rollback()
        assert allocate_number(uow, professional_id) == InvoiceNumber(1)
        uow.commit()
        assert allocate_number(uow, professional_id) == InvoiceNumber(2)
        uow.commit()
        assert last_number(uow, professional_id) == 2


def test_the_ten_digit_number_is_refused(ctx: AppContext) -> None:
    _, professional_id = _draft(ctx)
    with unit_of(ctx) as uow:
        allocate_number(uow, professional_id)
        uow.session.execute(update(InvoiceNumberCounter).values(last_number=999_999_998))
        uow.commit()
        assert allocate_number(uow, professional_id) == InvoiceNumber(999_999_999)
        uow.commit()
        with pytest.raises(NumbersExhausted):
            allocate_number(uow, professional_id)


def test_the_number_must_open_its_transaction(ctx: AppContext) -> None:
    _, professional_id = _draft(ctx)
    with unit_of(ctx) as uow:
        uow.professionals.get(professional_id)  # a read opens the transaction
        with pytest.raises(NumberingOrderError):
            allocate_number(uow, professional_id)


def test_a_workstation_holding_the_write_lock_only_delays_the_validation(ctx: AppContext
                                                                         ) -> None:
    draft, _ = _draft(ctx)
    blocker = sqlite3.connect(ctx.engine.url.database or "", isolation_level=None,
                              check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another workstation in the middle of a write
    released = threading.Timer(0.3, blocker.execute, args=("COMMIT",))
    released.start()
    try:
        began = time.monotonic()
        result = invoicing.validate_invoice(unit_of(ctx), draft,
                                            refs=invoicing.InvoiceReferentials.of(ctx),
                                            today=TODAY, now=datetime(2026, 3, 2, tzinfo=UTC))
        waited = time.monotonic() - began
    finally:
        released.join()
        blocker.close()
    assert result.number == InvoiceNumber(1)
    assert waited >= 0.25  # it waited for the lock (busy timeout) instead of failing


def test_lock_conflicts_are_retried_other_errors_are_not(ctx: AppContext) -> None:
    locked = OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
    assert is_transient(locked)
    assert not is_transient(OperationalError("SELECT", {}, sqlite3.OperationalError("boom")))
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise locked
        return "saved"

    with unit_of(ctx) as uow:
        assert run_writing(uow, flaky) == "saved"
    assert len(attempts) == 3

    def broken() -> str:
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("disk I/O error"))

    with unit_of(ctx) as uow, pytest.raises(OperationalError):
        run_writing(uow, broken)
