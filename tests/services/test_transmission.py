"""Télétransmission services on a real SQLite database holding the demo cabinet (no insurer:
the whole loop against the simulated caisse is tests/integration/test_transmission_loop.py),
and the in-memory reconciliation.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from openfse.domain.invoice import InvoiceStatus, SecureMode
from openfse.domain.transmission import LotRef, PaymentReturn, PaymentStatus, Reason
from openfse.errors import InvalidInput
from openfse.services import invoicing, transmission
from openfse.services.context import AppContext
from openfse.services.returns import SentInvoice, reconcile
from openfse.store.models import (
    LotStatus,
    PaymentReturnLine,
    ReceivedDocument,
    ReturnLineStatus,
)

from .test_invoicing import TODAY, draft_for, fake_cps, open_demo, patient_named, validate

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
PS = "751000126"
CARE = date(2026, 3, 2)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    context = open_demo(tmp_path_factory.mktemp("transmission"))
    yield context
    context.engine.dispose()


def signed(ctx: AppContext, *names: tuple[str, str]) -> list[int]:
    """One G consultation in tiers payant AMO per patient, signed with a fake CPS."""
    ids = []
    for last, first in names:
        draft = draft_for(ctx, patient_named(ctx, last, first), {"tiers_payant": {"amo": True}},
                          secure_mode=SecureMode.SESAM_SANS_VITALE)
        ids.append(validate(ctx, draft).invoice.id)
    report = invoicing.sign_invoices(ctx.uow(), ids, sign=fake_cps)
    assert not report.refused
    return ids


def statuses(ctx: AppContext, ids: list[int]) -> set[InvoiceStatus]:
    with ctx.uow() as uow:
        return {row.status for row in uow.invoices.many(ids)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------------------------
# Reconciliation (pure)
# --------------------------------------------------------------------------------------------


def line(number: str, status: PaymentStatus, requested: str, paid: str) -> PaymentReturn:
    reason = None if status is PaymentStatus.PAID else Reason("R04", "totaux incohérents")
    return PaymentReturn(LotRef(PS, CARE, 1), number, "178047511501217", CARE, status,
                         Decimal(requested), Decimal(paid),
                         None if status is PaymentStatus.REJECTED else CARE, reason)


def test_reconcile_matches_lines_by_professional_and_invoice_number() -> None:
    sent = {(PS, f"00000000{n}"): SentInvoice(n, PS, f"00000000{n}", Decimal("21.00"), "L")
            for n in (1, 2, 3)}
    result = reconcile([line("000000001", PaymentStatus.PAID, "21.00", "21.00"),
                        line("000000002", PaymentStatus.PARTIAL, "21.00", "16.50"),
                        line("000000003", PaymentStatus.REJECTED, "21.00", "0.00")], sent)
    assert [m.invoice.invoice_id for m in result.paid] == [1]
    assert [m.invoice.invoice_id for m in result.partial] == [2]
    assert [m.invoice.invoice_id for m in result.rejected] == [3]
    assert result.total_paid == Decimal("37.50")  # 21.00 + 16.50


def test_reconcile_keeps_unknown_invoices_and_other_amounts_aside() -> None:
    sent = {(PS, "000000001"): SentInvoice(1, PS, "000000001", Decimal("21.00"), "L")}
    result = reconcile([line("000000009", PaymentStatus.PAID, "21.00", "21.00"),
                        line("000000001", PaymentStatus.PAID, "30.00", "30.00")], sent)
    assert result.matched == ()
    assert [reason for _, reason in result.unmatched] == [
        "facture n° 000000009 inconnue", "montant demandé 30.00 € au lieu de 21.00 €"]


# --------------------------------------------------------------------------------------------
# Lots
# --------------------------------------------------------------------------------------------


def test_ready_invoices_show_their_sending_deadline(ctx: AppContext) -> None:
    [invoice_id] = signed(ctx, ("BONNET", "NATHALIE"))
    with ctx.uow() as uow:
        ready = {item.invoice_id: item for item in transmission.ready_to_send(uow, TODAY)}
    # Tiers payant: 8 working days after Monday 2 March 2026 → Thursday 12 March (R.161-47).
    assert ready[invoice_id].deadline == date(2026, 3, 12)
    assert ready[invoice_id].days_left == 8
    transmission.build_lots(ctx.uow, TODAY, now=NOW)  # leave nothing ready for the next test


def test_lots_are_numbered_per_professional_and_never_built_twice(ctx: AppContext) -> None:
    first = transmission.build_lots(ctx.uow, TODAY, now=NOW)
    assert first.lots == ()  # everything signed is already in a lot
    ids = signed(ctx, ("BONNET", "NATHALIE"), ("ANDRE", "MANON"))
    with ctx.uow() as uow:
        before = uow.lots.last_numbers()

    built = transmission.build_lots(ctx.uow, TODAY, now=NOW)

    assert built.invoices == 2 and not built.refused
    with ctx.uow() as uow:
        lots = [uow.lots.by_lot_id(lot_id) for lot_id in built.lots]
        assert all(lot is not None and lot.status is LotStatus.PREPARED for lot in lots)
        numbers = sorted(lot.number for lot in lots if lot is not None)
        ps = lots[0].ps_number if lots[0] else ""
    assert numbers[0] == before.get(ps, 0) + 1  # continues after the last lot
    assert statuses(ctx, ids) == {InvoiceStatus.IN_LOT}
    assert transmission.build_lots(ctx.uow, TODAY, now=NOW).lots == ()


def test_an_unreachable_server_changes_nothing_and_says_so(ctx: AppContext) -> None:
    ids = signed(ctx, ("BONNET", "NATHALIE"))
    built = transmission.build_lots(ctx.uow, TODAY, now=NOW)
    settings = replace(ctx.settings, smtp=f"127.0.0.1:{free_port()}")

    outcome = transmission.send_lots_now(ctx.uow, settings, now=NOW)

    assert not outcome.complete and "injoignable" in outcome.error
    assert statuses(ctx, ids) == {InvoiceStatus.IN_LOT}
    with ctx.uow() as uow:
        assert {uow.lots.by_lot_id(i).status for i in built.lots} == {  # type: ignore[union-attr]
            LotStatus.PREPARED}


def test_a_bad_server_setting_is_a_clear_error(ctx: AppContext) -> None:
    with pytest.raises(InvalidInput, match="hôte:port"):
        transmission.smtp_config(replace(ctx.settings, smtp="localhost"))


# --------------------------------------------------------------------------------------------
# Returns: rejects, export
# --------------------------------------------------------------------------------------------


def stored_lines(ctx: AppContext, reference: str) -> list[int]:
    """Two return lines of a statement stored as a fetch would (paid 21,00 €; rejected)."""
    with ctx.uow() as uow:
        document = uow.received_documents.add(ReceivedDocument(
            message_id=f"<{reference}@caisse>", reference=reference, kind="RSP",
            issuer="017519881", received_at=NOW, sha256="0" * 64, summary="test"))
        common = {"document_id": document.id, "statement_reference": reference,
                  "issuer": "017519881", "ps_number": PS, "lot_id": f"{PS}-20260302-001",
                  "requested": Decimal("21.00"), "issued_on": date(2026, 3, 9)}
        rows = uow.return_lines.add_all([
            PaymentReturnLine(**common, invoice_number="000000001", status=ReturnLineStatus.PAID,
                              paid=Decimal("21.00"), payment_date=date(2026, 3, 9),
                              transfer_reference="VIR1"),
            PaymentReturnLine(**common, invoice_number="000000002",
                              status=ReturnLineStatus.REJECTED, paid=Decimal("0.00"),
                              reason_code="R03", reason_label="droits fermés")])
        uow.commit()
        return [row.id for row in rows]


def test_payments_export_is_a_french_csv(ctx: AppContext) -> None:
    stored_lines(ctx, "RSP-EXPORT")
    with ctx.uow() as uow:
        data = transmission.payments_csv(uow, date(2026, 3, 9), date(2026, 3, 9))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig").splitlines()
    assert text[0].startswith("Date de paiement;Organisme;Relevé")
    assert ("09/03/2026;017519881;RSP-EXPORT;VIR1;751000126;751000126-20260302-001;"
            "000000001;Payée;21,00;21,00;") in text
    assert any(row.endswith(";Rejetée;21,00;0,00;R03 droits fermés") for row in text)


def test_a_reject_is_handled_once(ctx: AppContext) -> None:
    _, rejected = stored_lines(ctx, "RSP-REJECT")
    with pytest.raises(InvalidInput):
        transmission.handle_reject(ctx.uow, rejected, "ignorer")
    transmission.handle_reject(ctx.uow, rejected, "patient")
    with ctx.uow() as uow:
        assert rejected not in {line.id for line in uow.return_lines.open_rejects()}
    with pytest.raises(InvalidInput, match="déjà traité"):
        transmission.handle_reject(ctx.uow, rejected, "patient")


def test_dashboard_counts_the_month(ctx: AppContext) -> None:
    with ctx.uow() as uow:
        board = transmission.dashboard(uow, date(2026, 3, 9))
    assert board.day.amount_paid >= Decimal("21.00")  # the lines issued on 9 March
    assert board.month.rejects >= 1
    assert board.month.amount_paid >= board.day.amount_paid
