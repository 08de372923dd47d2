"""Invoices on PostgreSQL (several workstations on one server):

- two clients validate 500 invoices each for the same professional at the same time: the
  numbers are exactly 1..1000 — unique and without gaps (the counter row is locked by the
  validating transaction's first statement, openfse.services.numbering);
- the database refuses any change to a validated invoice (the frozen-rows triggers, as on
  SQLite in tests/services/test_invoicing.py).

Runs on a fresh database of ``$OPENFSE_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), dropped at the end; skipped, with the
reason, when the server does not answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from invoice_workstations import validate_at_once  # tests/invoice_workstations.py
from pg_support import PostgresDatabases, admin_or_skip  # tests/pg_support.py
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from uow_support import unit_of

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.invoice import InvoiceDraft, InvoiceStatus
from openfse.domain.pricing import parse_draft
from openfse.services import invoicing
from openfse.services.context import AppContext
from openfse.services.numbering import last_number
from openfse.store.models import ProfessionalKind

pytestmark = pytest.mark.postgres

TODAY = date(2026, 3, 2)
PER_CLIENT = 500


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    databases = PostgresDatabases(admin_or_skip(), "openfse_invoices")
    home: Path = tmp_path_factory.mktemp("invoices-pg")
    settings = Settings.from_env({"OPENFSE_HOME": str(home),
                                  "OPENFSE_DATABASE_URL": databases.url(databases.create())})
    try:
        load_demo(settings, today=TODAY)
        context = AppContext.open(settings)
        yield context
        context.engine.dispose()
    finally:
        databases.drop_all()
        databases.admin.dispose()


def _draft(ctx: AppContext) -> tuple[InvoiceDraft, int]:
    with unit_of(ctx) as uow:
        titulaire = next(p for p in uow.professionals.list()
                         if p.kind is ProfessionalKind.TITULAIRE)
        patient = uow.patients.search("BERNARD JEAN", limit=1)[0]
    pricing = parse_draft({"date_soins": TODAY.isoformat(), "profession": "medecin",
                           "patient": {"age": 75, "parcours": "medecin_traitant"},
                           "acts": [{"code": "G"}, {"code": "MEG"}],
                           "tiers_payant": {"amo": True}})
    return InvoiceDraft(titulaire.id, patient.id, pricing), titulaire.id


def test_two_clients_validate_500_invoices_each_gapless_and_unique(ctx: AppContext) -> None:
    draft, professional_id = _draft(ctx)
    # Each client has its own engine and connection pool, like another workstation.
    numbers, errors = validate_at_once(ctx, draft, ("poste1", "poste2"), PER_CLIENT, TODAY,
                                       timeout=600)

    assert errors == []
    every = numbers["poste1"] + numbers["poste2"]
    assert sorted(every) == list(range(1, 2 * PER_CLIENT + 1))
    # Both clients really ran at the same time: their numbers interleave.
    assert numbers["poste1"] != list(range(1, PER_CLIENT + 1))
    with unit_of(ctx) as uow:
        assert last_number(uow, professional_id) == 2 * PER_CLIENT
    with ctx.engine.connect() as connection:
        stored = connection.execute(text(
            "SELECT count(*), count(DISTINCT number), min(number), max(number) FROM invoice "
            "WHERE billing_professional_id = :p"), {"p": professional_id}).one()
    assert tuple(stored) == (2 * PER_CLIENT, 2 * PER_CLIENT, 1, 2 * PER_CLIENT)


@pytest.mark.parametrize("sql", [
    "UPDATE invoice SET total = 1 WHERE id = :id",
    "UPDATE invoice SET status = 'draft' WHERE id = :id",
    "DELETE FROM invoice WHERE id = :id",
    "UPDATE invoice_act SET amo = 0 WHERE invoice_id = :id",
    "DELETE FROM invoice_act WHERE invoice_id = :id",
])
def test_postgresql_refuses_any_change_of_a_validated_invoice(ctx: AppContext,
                                                              sql: str) -> None:
    draft, _ = _draft(ctx)
    row = invoicing.validate_invoice(unit_of(ctx), draft, refs=invoicing.InvoiceReferentials.of(
        ctx), today=TODAY).invoice
    with pytest.raises(IntegrityError, match="frozen row"), ctx.engine.begin() as connection:
        connection.execute(text(sql), {"id": row.id})
    with ctx.engine.begin() as connection:  # the lifecycle still moves
        connection.execute(text("UPDATE invoice SET lot_ref = 'LOT-1' WHERE id = :id"),
                           {"id": row.id})
    again = invoicing.get_invoice(unit_of(ctx), row.id)
    assert (again.status, again.total, len(again.acts), again.lot_ref) == (
        InvoiceStatus.VALIDATED, row.total, 2, "LOT-1")
