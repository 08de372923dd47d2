"""Télétransmission services on a real SQLite database holding the demo cabinet (no insurer:
the whole loop against the simulated caisse is tests/integration/test_transmission_loop.py),
and the in-memory reconciliation.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from PIL import Image
from uow_support import unit_of, uow_factory

from openfse.adapters.transmission.lot_file import LotFile
from openfse.adapters.transmission.pop3_receiver import Received
from openfse.domain.invoice import AmcChoice, Attachment, InvoiceStatus, Prescription, SecureMode
from openfse.domain.payment import Payer, Payment, PaymentKind
from openfse.domain.transmission import (
    LotRef,
    PaymentReturn,
    PaymentStatus,
    Reason,
    ReturnStatement,
)
from openfse.errors import InvalidInput
from openfse.services import cabinet_settings, invoicing, preferences, transmission
from openfse.services.context import AppContext
from openfse.services.fiches import InvalidForm
from openfse.services.returns import SentInvoice, reconcile
from openfse.store.models import (
    Lot,
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
    report = invoicing.sign_invoices(unit_of(ctx), ids, sign=fake_cps)
    assert not report.refused
    return ids


def statuses(ctx: AppContext, ids: list[int]) -> set[InvoiceStatus]:
    with unit_of(ctx) as uow:
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


LOT = f"{PS}-20260302-001"  # the lot of the lines above


def sent_index(*invoices: SentInvoice) -> dict[tuple[str, str], SentInvoice]:
    return {invoice.key: invoice for invoice in invoices}


def test_reconcile_matches_lines_by_lot_and_invoice_number() -> None:
    sent = sent_index(*(SentInvoice(n, PS, f"00000000{n}", Decimal("21.00"), LOT)
                        for n in (1, 2, 3)))
    result = reconcile([line("000000001", PaymentStatus.PAID, "21.00", "21.00"),
                        line("000000002", PaymentStatus.PARTIAL, "21.00", "16.50"),
                        line("000000003", PaymentStatus.REJECTED, "21.00", "0.00")], sent)
    assert [m.invoice.invoice_id for m in result.paid] == [1]
    assert [m.invoice.invoice_id for m in result.partial] == [2]
    assert [m.invoice.invoice_id for m in result.rejected] == [3]
    assert result.total_paid == Decimal("37.50")  # 21.00 + 16.50


def test_reconcile_keeps_unknown_invoices_and_other_amounts_aside() -> None:
    sent = sent_index(SentInvoice(1, PS, "000000001", Decimal("21.00"), LOT),
                      SentInvoice(2, PS, "000000002", Decimal("21.00"), f"{PS}-20260302-002"))
    result = reconcile([line("000000009", PaymentStatus.PAID, "21.00", "21.00"),
                        line("000000001", PaymentStatus.PAID, "30.00", "30.00"),
                        line("000000002", PaymentStatus.PAID, "21.00", "21.00")], sent)
    assert result.matched == ()
    # The third names lot 001, the invoice went in lot 002: not ours to apply.
    assert [reason for _, reason in result.unmatched] == [
        "facture n° 000000009 inconnue", "montant demandé 30.00 € au lieu de 21.00 €",
        "facture n° 000000002 inconnue"]


def test_in_gestion_separee_each_share_is_reconciled_apart() -> None:
    # Dossier LOGOSw: the FSE (AMO part, 21.00) goes to the caisse, the DRE (AMC part, 9.00) to the
    # AMC, each in its own lot; the same invoice number answers twice, once per lot.
    fse = SentInvoice(1, PS, "000000001", Decimal("21.00"), LOT)
    dre = SentInvoice(1, PS, "000000001", Decimal("9.00"), f"{PS}-20260302-002", Payer.AMC)
    amc_line = replace(line("000000001", PaymentStatus.PAID, "9.00", "9.00"),
                       lot=LotRef(PS, CARE, 2))
    result = reconcile([line("000000001", PaymentStatus.PAID, "21.00", "21.00"), amc_line],
                       sent_index(fse, dre))
    assert [(m.invoice.share, m.line.paid) for m in result.paid] == [
        (Payer.AMO, Decimal("21.00")), (Payer.AMC, Decimal("9.00"))]


# --------------------------------------------------------------------------------------------
# Lots
# --------------------------------------------------------------------------------------------


def test_ready_invoices_show_their_sending_deadline(ctx: AppContext) -> None:
    [invoice_id] = signed(ctx, ("BONNET", "NATHALIE"))
    with unit_of(ctx) as uow:
        ready = {item.invoice_id: item for item in transmission.ready_to_send(uow, TODAY)}
    # Tiers payant: 8 working days after Monday 2 March 2026 → Thursday 12 March (R.161-47).
    assert ready[invoice_id].deadline == date(2026, 3, 12)
    assert ready[invoice_id].days_left == 8
    transmission.build_lots(uow_factory(ctx), TODAY,
                            now=NOW)  # leave nothing ready for the next test


def test_lots_are_numbered_per_professional_and_never_built_twice(ctx: AppContext) -> None:
    first = transmission.build_lots(uow_factory(ctx), TODAY, now=NOW)
    assert first.lots == ()  # everything signed is already in a lot
    ids = signed(ctx, ("BONNET", "NATHALIE"), ("ANDRE", "MANON"))
    with unit_of(ctx) as uow:
        before = uow.lots.last_numbers()

    built = transmission.build_lots(uow_factory(ctx), TODAY, now=NOW)

    assert built.invoices == 2 and not built.refused
    with unit_of(ctx) as uow:
        lots = [uow.lots.by_lot_id(lot_id) for lot_id in built.lots]
        assert all(lot is not None and lot.status is LotStatus.PREPARED for lot in lots)
        numbers = sorted(lot.number for lot in lots if lot is not None)
        ps = lots[0].ps_number if lots[0] else ""
    assert numbers[0] == before.get(ps, 0) + 1  # continues after the last lot
    assert statuses(ctx, ids) == {InvoiceStatus.IN_LOT}
    assert transmission.build_lots(uow_factory(ctx), TODAY, now=NOW).lots == ()


def test_an_unreachable_server_changes_nothing_and_says_so(ctx: AppContext) -> None:
    ids = signed(ctx, ("BONNET", "NATHALIE"))
    built = transmission.build_lots(uow_factory(ctx), TODAY, now=NOW)
    settings = replace(ctx.settings, smtp=f"127.0.0.1:{free_port()}")

    outcome = transmission.send_lots_now(
        uow_factory(ctx), transmission.transport_of(settings, demo=False), now=NOW)

    assert not outcome.complete and "injoignable" in outcome.error
    assert statuses(ctx, ids) == {InvoiceStatus.IN_LOT}
    with unit_of(ctx) as uow:
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
    with unit_of(ctx) as uow:
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
    with unit_of(ctx) as uow:
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
        transmission.handle_reject(uow_factory(ctx), rejected, "ignorer")
    # Not matched to one of our invoices: no patient to bill.
    with pytest.raises(InvalidInput, match="aucune de nos factures"):
        transmission.handle_reject(uow_factory(ctx), rejected, "patient")
    transmission.handle_reject(uow_factory(ctx), rejected, "reinvoice")
    with unit_of(ctx) as uow:
        assert rejected not in {line.id for line in uow.return_lines.open_rejects()}
    with pytest.raises(InvalidInput, match="déjà traité"):
        transmission.handle_reject(uow_factory(ctx), rejected, "patient")


def test_dashboard_counts_the_month(ctx: AppContext) -> None:
    with unit_of(ctx) as uow:
        board = transmission.dashboard(uow, date(2026, 3, 9))
    assert board.day.amount_paid >= Decimal("21.00")  # the lines issued on 9 March
    assert board.month.rejects >= 1
    assert board.month.amount_paid >= board.day.amount_paid


# --------------------------------------------------------------------------------------------
# The cabinet's delays (preferences arl_wait_days, payment_wait_days)
# --------------------------------------------------------------------------------------------


def sent_lot(ctx: AppContext) -> tuple[str, int]:
    """One lot as if sent on 2 March 2026 (no SMTP here), its invoice « transmise »."""
    [invoice_id] = signed(ctx, ("BONNET", "NATHALIE"))
    [lot_id] = transmission.build_lots(uow_factory(ctx), TODAY, now=NOW).lots
    with unit_of(ctx) as uow:
        lot = uow.lots.by_lot_id(lot_id)
        assert lot is not None
        lot.status, lot.sent_at = LotStatus.SENT, NOW
        uow.commit()
    invoicing.mark_sent(unit_of(ctx), [invoice_id], now=NOW)
    return lot_id, invoice_id


def flags(ctx: AppContext, lot_id: str, invoice_id: int, today: date) -> tuple[bool, bool]:
    with unit_of(ctx) as uow:
        [lot] = [v for v in transmission.lots_overview(uow, today) if v.lot_id == lot_id]
        [unpaid] = [u for u in transmission.unpaid_invoices(uow, today)
                    if u.invoice_id == invoice_id]
    return lot.without_arl, unpaid.overdue


def test_the_arl_and_payment_delays_are_the_cabinets_preferences(ctx: AppContext) -> None:
    lot_id, invoice_id = sent_lot(ctx)
    # Defaults: no ARL 2 days after sending is flagged; unpaid more than 7 days is late.
    assert flags(ctx, lot_id, invoice_id, date(2026, 3, 3)) == (False, False)
    assert flags(ctx, lot_id, invoice_id, date(2026, 3, 4)) == (True, False)
    assert flags(ctx, lot_id, invoice_id, date(2026, 3, 10)) == (True, True)  # 8 days
    try:
        preferences.save(unit_of(ctx), {"arl_wait_days": "5", "payment_wait_days": 10})
        assert flags(ctx, lot_id, invoice_id, date(2026, 3, 6)) == (False, False)
        assert flags(ctx, lot_id, invoice_id, date(2026, 3, 7)) == (True, False)  # 5 days
        assert flags(ctx, lot_id, invoice_id, date(2026, 3, 12)) == (True, False)  # 10 days
        assert flags(ctx, lot_id, invoice_id, date(2026, 3, 13)) == (True, True)  # 11 days
    finally:
        preferences.save(unit_of(ctx), {"arl_wait_days": 2, "payment_wait_days": 7})


def test_the_delays_count_in_the_cabinets_own_days(ctx: AppContext) -> None:
    # Issue 11: a lot sent at 21:30 UTC on 2 March was sent on 2 March in Paris (22:30) but on
    # 3 March in La Réunion (01:30, UTC+4). With the default 2 days without ARL, on 4 March
    # the Paris cabinet flags it and the Réunion cabinet does not yet.
    lot_id, invoice_id = sent_lot(ctx)
    with unit_of(ctx) as uow:
        lot = uow.lots.by_lot_id(lot_id)
        assert lot is not None
        lot.sent_at = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
        uow.commit()
    assert flags(ctx, lot_id, invoice_id, date(2026, 3, 4))[0] is True
    cabinet_settings.set_time_zone(unit_of(ctx), "Indian/Reunion")
    try:
        assert flags(ctx, lot_id, invoice_id, date(2026, 3, 4))[0] is False
        assert flags(ctx, lot_id, invoice_id, date(2026, 3, 5))[0] is True
    finally:
        cabinet_settings.set_time_zone(unit_of(ctx), "Europe/Paris")


@pytest.mark.parametrize(
    ("data", "field"),
    [({"arl_wait_days": "0"}, "arl_wait_days"), ({"arl_wait_days": "31"}, "arl_wait_days"),
     ({"arl_wait_days": "9" * 5000}, "arl_wait_days"),  # refused before any int() of it
     ({"payment_wait_days": "sept"}, "payment_wait_days"),
     ({"payment_wait_days": True}, "payment_wait_days"),
     ({"payment_wait_days": None}, "payment_wait_days")],
)
def test_a_wrong_delay_is_refused_and_changes_nothing(ctx: AppContext, data: dict[str, object],
                                                      field: str) -> None:
    with pytest.raises(InvalidForm) as refused:
        preferences.save(unit_of(ctx), data)
    assert refused.value.errors[field].startswith("Nombre de jours entier de 1 à ")
    prefs = preferences.get_all(unit_of(ctx))
    assert (prefs.arl_wait_days, prefs.payment_wait_days) == (2, 7)


# --------------------------------------------------------------------------------------------
# Gestion séparée: the AMC part goes in a DRE lot and is paid (or rejected) by the AMC
# --------------------------------------------------------------------------------------------

AMC = "98532001"


def separee_invoice(ctx: AppContext) -> int:
    """A G consultation (30.00) in tiers payant AMO and AMC, the AMC in gestion séparée
    paying the ticket modérateur (dossier LOGOSw: the FSE to the caisse, the DRE to the AMC)."""
    draft = draft_for(ctx, patient_named(ctx, "BONNET", "NATHALIE"), {
        "tiers_payant": {"amo": True, "amc": True},
        "amc": {"formula": "02A", "parameter": "100", "gestion": "separee"}},
        secure_mode=SecureMode.SESAM_SANS_VITALE, amc_choice=AmcChoice(amc_number=AMC))
    invoice_id = validate(ctx, draft).invoice.id
    assert not invoicing.sign_invoices(unit_of(ctx), [invoice_id], sign=fake_cps).refused
    return invoice_id


def sent_lots(ctx: AppContext, invoice_id: int) -> dict[str, Lot]:
    """Build and mark sent (no SMTP here) the lots of ``invoice_id``, by kind."""
    built = transmission.build_lots(uow_factory(ctx), TODAY, now=NOW)
    with unit_of(ctx) as uow:
        lots = {lot.kind: lot for lot in (uow.lots.by_lot_id(i) for i in built.lots)
                if lot is not None}
        for lot in lots.values():
            lot.status, lot.sent_at = LotStatus.SENT, NOW
        uow.commit()
    invoicing.mark_sent(unit_of(ctx), [invoice_id], now=NOW)
    return lots


def answer(ctx: AppContext, reference: str, issuer: str, lot: Lot, line: PaymentReturn
           ) -> None:
    """Apply a statement of ``issuer`` answering ``lot`` with ``line``, as a fetch would."""
    lot_ref = LotRef(lot.ps_number, lot.created_on, lot.number)
    statement = ReturnStatement(reference, issuer, lot.ps_number, date(2026, 3, 9),
                                "VIR" + reference if line.paid else "",
                                (replace(line, lot=lot_ref),))
    received = Received(reference, f"<{reference}@test>", statement, reference.encode())
    transmission.apply_document(uow_factory(ctx), received, transmission.FetchOutcome(), now=NOW)


def test_in_gestion_separee_the_invoice_is_paid_once_both_shares_are(ctx: AppContext) -> None:
    invoice_id = separee_invoice(ctx)
    with unit_of(ctx) as uow:
        row = uow.invoices.get(invoice_id)
        due_amo, due_amc, number = row.due_amo, row.due_amc, f"{row.number:09d}"
    assert (due_amo, due_amc) == (Decimal("21.00"), Decimal("9.00"))  # 70 % / 30 % of 30.00
    lots = sent_lots(ctx, invoice_id)
    assert set(lots) == {"FSE", "DRE"} and lots["DRE"].destination_code == AMC
    paid = PaymentStatus.PAID

    # The caisse pays its 21.00: the invoice still waits for the AMC's 9.00.
    answer(ctx, "RSP-SEP-AMO", "017519881", lots["FSE"],
           line(number, paid, "21.00", "21.00"))
    assert statuses(ctx, [invoice_id]) == {InvoiceStatus.SENT}
    with unit_of(ctx) as uow:
        [unpaid] = [u for u in transmission.unpaid_invoices(uow, TODAY)
                    if u.invoice_id == invoice_id]
    assert (unpaid.due_amo, unpaid.due_amc) == (Decimal("0.00"), Decimal("9.00"))

    # The AMC pays its 9.00 on its own statement (DRE lot): now « payée », each share paid
    # by its payer.
    answer(ctx, "RSP-SEP-AMC", AMC, lots["DRE"], line(number, paid, "9.00", "9.00"))
    assert statuses(ctx, [invoice_id]) == {InvoiceStatus.PAID}
    with unit_of(ctx) as uow:
        balance = invoicing.balance_of(uow.invoices.get(invoice_id))
        assert (balance.paid_amo, balance.paid_amc) == (Decimal("21.00"), Decimal("9.00"))
        assert invoice_id not in {u.invoice_id for u in transmission.unpaid_invoices(uow, TODAY)}


def test_in_gestion_separee_a_reject_by_the_amc_rejects_the_invoice(ctx: AppContext) -> None:
    invoice_id = separee_invoice(ctx)
    with unit_of(ctx) as uow:
        number = f"{uow.invoices.get(invoice_id).number:09d}"
    lots = sent_lots(ctx, invoice_id)
    # A 9.00 line with the AMO's amount would not be ours: the DRE lot asked 9.00.
    answer(ctx, "RSP-SEP-AMC-R", AMC, lots["DRE"],
           line(number, PaymentStatus.REJECTED, "9.00", "0.00"))
    with unit_of(ctx) as uow:
        row = uow.invoices.get(invoice_id)
        assert row.status is InvoiceStatus.REJECTED
        assert row.rejection_reason == "part AMC : R04 totaux incohérents"
    # The caisse's payment of its share arrives later: recorded, the invoice stays rejected.
    answer(ctx, "RSP-SEP-AMO-P", "017519881", lots["FSE"],
           line(number, PaymentStatus.PAID, "21.00", "21.00"))
    with unit_of(ctx) as uow:
        row = uow.invoices.get(invoice_id)
        assert row.status is InvoiceStatus.REJECTED
        assert invoicing.balance_of(row).paid_amo == Decimal("21.00")
    # Billed to the patient, the AMC's 9.00 (its DRE lot's share) becomes his.
    transmission.handle_reject(uow_factory(ctx), reject_line(ctx, "RSP-SEP-AMC-R"), "patient")
    with unit_of(ctx) as uow:
        dues = invoicing.balance_of(uow.invoices.get(invoice_id)).dues
        assert (dues.amo, dues.amc) == (Decimal("21.00"), Decimal("0.00"))


# --------------------------------------------------------------------------------------------
# « Facturer au patient »: the rejected share becomes the patient's debt
# --------------------------------------------------------------------------------------------


def reject_line(ctx: AppContext, reference: str) -> int:
    with unit_of(ctx) as uow:
        [row] = [r for r in uow.return_lines.open_rejects() if r.statement_reference == reference]
        return row.id


def test_billing_a_reject_to_the_patient_makes_it_his_debt(ctx: AppContext) -> None:
    [invoice_id] = signed(ctx, ("ANDRE", "MANON"))
    with unit_of(ctx) as uow:
        row = uow.invoices.get(invoice_id)
        number, patient_id, due_patient = f"{row.number:09d}", row.patient_id, row.due_patient
    lots = sent_lots(ctx, invoice_id)
    answer(ctx, "RSP-PATIENT", "017519881", lots["FSE"],
           line(number, PaymentStatus.REJECTED, "21.00", "0.00"))
    before = invoicing.patient_unpaid_total(unit_of(ctx), patient_id)
    line_id = reject_line(ctx, "RSP-PATIENT")

    transmission.handle_reject(uow_factory(ctx), line_id, "patient")

    # The caisse's 21.00 is now due by the patient: his balance grows by as much.
    assert invoicing.patient_unpaid_total(unit_of(ctx), patient_id) == before + Decimal("21.00")
    with unit_of(ctx) as uow:
        row = uow.invoices.get(invoice_id)
        balance = invoicing.balance_of(row)
        assert (balance.dues.amo, balance.dues.patient) == (Decimal("0.00"),
                                                            due_patient + Decimal("21.00"))
        assert row.status is InvoiceStatus.REJECTED  # the invoice itself never changes
        [debt] = [d for d in transmission.patient_debts(uow) if d.invoice_id == invoice_id]
        assert debt.owed == due_patient + Decimal("21.00")
        assert debt.reasons == ("R04 totaux incohérents",)
        [transfer] = row.share_transfers
        history = uow.journal_entries.history("share_transfer", transfer.id)
        assert [entry.action for entry in history] == ["create"]
        assert line_id not in {r.id for r in uow.return_lines.open_rejects()}
    with pytest.raises(InvalidInput, match="déjà traité"):
        transmission.handle_reject(uow_factory(ctx), line_id, "patient")
    # Paid at the desk: the debt is gone from the list.
    invoicing.record_payment(unit_of(ctx), invoice_id, Payment(
        PaymentKind.CB, due_patient + Decimal("21.00"), date(2026, 3, 10)))
    with unit_of(ctx) as uow:
        assert invoice_id not in {d.invoice_id for d in transmission.patient_debts(uow)}


def test_only_a_rejected_invoice_of_ours_is_billed_to_the_patient(ctx: AppContext) -> None:
    [invoice_id] = signed(ctx, ("ANDRE", "MANON"))
    with unit_of(ctx) as uow:
        number = f"{uow.invoices.get(invoice_id).number:09d}"
    lots = sent_lots(ctx, invoice_id)
    # A reject line for an invoice paid meanwhile (R06, received twice): nothing to bill.
    answer(ctx, "RSP-PAID", "017519881", lots["FSE"],
           line(number, PaymentStatus.PAID, "21.00", "21.00"))
    answer(ctx, "RSP-LATE-REJECT", "017519881", lots["FSE"],
           line(number, PaymentStatus.REJECTED, "21.00", "0.00"))
    line_id = reject_line(ctx, "RSP-LATE-REJECT")
    with pytest.raises(InvalidInput, match="n'est pas rejetée"):
        transmission.handle_reject(uow_factory(ctx), line_id, "patient")
    with unit_of(ctx) as uow:
        assert uow.invoices.get(invoice_id).share_transfers == []
        assert line_id in {r.id for r in uow.return_lines.open_rejects()}  # still to handle


def test_lots_go_to_the_mailbox_the_cabinet_set(ctx: AppContext) -> None:
    # lot.md §5: « {type}{code}@… » by default; a concentrateur (OCT) takes every lot.
    [invoice_id] = signed(ctx, ("BONNET", "NATHALIE"))
    try:
        preferences.save(unit_of(ctx), {"insurer_mailbox": " depot-{type}@oct.example.fr "})
        [lot_id] = transmission.build_lots(uow_factory(ctx), TODAY, now=NOW).lots
        with unit_of(ctx) as uow:
            lot = uow.lots.by_lot_id(lot_id)
            assert lot is not None and lot.recipient == "depot-amo@oct.example.fr"
        with pytest.raises(InvalidForm) as refused:
            preferences.save(unit_of(ctx), {"insurer_mailbox": ""})
        assert refused.value.errors == {"insurer_mailbox": "Adresse des organismes requise."}
    finally:
        preferences.save(unit_of(ctx),
                         {"insurer_mailbox": preferences.Preferences().insurer_mailbox})
    assert statuses(ctx, [invoice_id]) == {InvoiceStatus.IN_LOT}


# --------------------------------------------------------------------------------------------
# SCOR: the scanned ordonnance goes in its own lot to the patient's caisse
# --------------------------------------------------------------------------------------------


def scanned(dpi: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (40, 60), 255).save(out, "JPEG", dpi=(dpi, dpi))
    return out.getvalue()


def with_ordonnance(ctx: AppContext, scan: bytes) -> int:
    """A signed G consultation whose ordonnance was photographed (manuel eS-KAP+ « Photo
    Ordonnance »)."""
    with unit_of(ctx) as uow:
        prescriber_id = uow.prescribers.list()[0].id
    draft = draft_for(ctx, patient_named(ctx, "BONNET", "NATHALIE"),
                      {"tiers_payant": {"amo": True}}, secure_mode=SecureMode.SESAM_SANS_VITALE,
                      prescription=Prescription(date=CARE, prescriber_id=prescriber_id,
                                                ordonnance=Attachment("image/jpeg", scan,
                                                                      "ordonnance.jpg")))
    invoice_id = validate(ctx, draft).invoice.id
    assert not invoicing.sign_invoices(unit_of(ctx), [invoice_id], sign=fake_cps).refused
    return invoice_id


def test_a_scanned_ordonnance_goes_in_its_own_scor_lot(ctx: AppContext) -> None:
    scan = scanned(200)
    invoice_id = with_ordonnance(ctx, scan)
    built = transmission.build_lots(uow_factory(ctx), TODAY, now=NOW)
    assert built.invoices == 1 and built.notes == ()
    with unit_of(ctx) as uow:
        lots = {lot.kind: lot for lot in (uow.lots.by_lot_id(i) for i in built.lots) if lot}
        assert set(lots) == {"FSE", "SCOR"}
        scor, fse = lots["SCOR"], lots["FSE"]
        # Same caisse, same professional, the next number; the piece as scanned, at 200 dpi.
        assert (scor.destination_code, scor.number) == (fse.destination_code, fse.number + 1)
        assert [link.invoice_id for link in scor.invoices] == [invoice_id]
        [piece] = LotFile.parse(scor.data).content.pieces
    assert (piece.media_type, piece.dpi, piece.content) == ("image/jpeg", 200, scan)
    assert piece.invoice_number == f"{fse.invoices[0].invoice_number}"
    assert statuses(ctx, [invoice_id]) == {InvoiceStatus.IN_LOT}


def test_a_scan_under_150_dpi_is_not_sent_and_the_desk_is_told(ctx: AppContext) -> None:
    invoice_id = with_ordonnance(ctx, scanned(100))
    built = transmission.build_lots(uow_factory(ctx), TODAY, now=NOW)
    with unit_of(ctx) as uow:
        number = f"{uow.invoices.get(invoice_id).number:09d}"
        kinds = [uow.lots.by_lot_id(i).kind for i in built.lots]  # type: ignore[union-attr]
    assert kinds == ["FSE"]  # the invoice goes, its unusable scan does not
    assert built.notes == (f"Ordonnance numérisée de la facture n° {number} non transmise "
                           "(SCOR) : résolution 100 dpi, 150 dpi au moins : numérisez-la à "
                           "nouveau.",)
