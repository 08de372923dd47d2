"""Remplaçant at validation (issue 5: « A remplaçant can bill only on their calendar days for
that titulaire »; docs/protocols.md §1.2: he bills under the replaced titulaire's numéro de
facturation). The rule is a blocking control of ``validate_invoice`` (domain
``controls.remplacant``), not only the web session guard, which looks at today's date and not
at the dates of the acts. Demo calendar: the remplaçant replaces the titulaire the ten weekdays
from Monday 02/03/2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from uow_support import unit_of

from openfse.services import invoicing
from openfse.services.context import AppContext
from openfse.store.journal import JournalEntry
from openfse.store.models import Invoice, ProfessionalKind

from .test_invoicing import counter, draft_for, open_demo, patient_named, professional, validate

MONDAY = "2026-03-02"  # on the calendar (TODAY of test_invoicing)
SUNDAY = "2026-03-01"  # the day before the replacement: not on it


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    context = open_demo(tmp_path_factory.mktemp("remplacant"))
    yield context
    context.engine.dispose()


def stored(ctx: AppContext) -> tuple[int, int, int]:
    """(invoices, journal entries, the titulaire's last number): what a refusal must leave."""
    chief = professional(ctx, ProfessionalKind.TITULAIRE)
    with unit_of(ctx) as uow:
        invoices = uow.session.scalar(select(func.count()).select_from(Invoice))
        journal = uow.session.scalar(select(func.count()).select_from(JournalEntry))
    return int(invoices or 0), int(journal or 0), counter(ctx, chief.id)


def remplacant_draft(ctx: AppContext, doc: dict[str, Any]) -> Any:
    return draft_for(ctx, patient_named(ctx, "FAURE", "ETIENNE"), doc,
                     pro=professional(ctx, ProfessionalKind.REMPLACANT))


def test_on_a_calendar_day_the_remplacant_bills_under_the_titulaires_number(
    ctx: AppContext,
) -> None:
    chief = professional(ctx, ProfessionalKind.TITULAIRE)
    before = stored(ctx)

    result = validate(ctx, remplacant_draft(ctx, {"date_soins": MONDAY}))

    assert result.invoice.billing_professional_id == chief.id
    assert result.number.value == before[2] + 1  # the titulaire's sequence, no gap
    assert stored(ctx)[0] == before[0] + 1
    with unit_of(ctx) as uow:
        journaled = uow.session.scalar(select(func.count()).select_from(JournalEntry).where(
            JournalEntry.entity == "invoice", JournalEntry.entity_id == str(result.invoice.id)))
    assert journaled


@pytest.mark.parametrize("doc", [
    {"date_soins": SUNDAY},
    # The header date is on the calendar, a second act's date is not: refused as well.
    {"date_soins": MONDAY, "acts": [{"code": "G"}, {"code": "G", "date": SUNDAY}]},
], ids=["date_soins", "one_act"])
def test_off_the_calendar_the_validation_is_refused_and_writes_nothing(
    ctx: AppContext, doc: dict[str, Any],
) -> None:
    before = stored(ctx)

    with pytest.raises(invoicing.ControlsFailed) as refused:
        validate(ctx, remplacant_draft(ctx, doc))

    blocking = [d for d in refused.value.diagnostics if d.is_blocking]
    assert [d.code for d in blocking] == ["remplacant_hors_calendrier"]
    assert blocking[0].message_fr.startswith("Le 01/03/2026 ne figure pas au calendrier")
    assert stored(ctx) == before  # no invoice, no journal entry, no number consumed
