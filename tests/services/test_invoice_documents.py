"""Printed documents of stored invoices (``openfse.services.invoice_documents``) on a real
SQLite database holding the demo cabinet: which invoice gets a paper feuille de soins, what
the view models carry, and the PDFs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from uow_support import unit_of

from openfse.domain.clock import Clock
from openfse.domain.invoice import SecureMode
from openfse.domain.payment import Payment, PaymentKind
from openfse.printing import PaperMode, PrintingUnavailable
from openfse.services import invoice_documents, invoicing
from openfse.services.context import AppContext
from openfse.services.invoice_documents import NotPrintable
from tests.services.test_invoicing import (
    NOW,
    TODAY,
    draft_for,
    open_demo,
    patient_named,
    refs,
    titulaire,
    validate,
)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    context = open_demo(tmp_path_factory.mktemp("invoice_documents"))
    yield context
    context.engine.dispose()


def _pay(ctx: AppContext, invoice_id: int, amount: str, kind: PaymentKind) -> None:
    invoicing.record_payment(unit_of(ctx), invoice_id,
                             Payment(kind, Decimal(amount), TODAY, reference="n° 42"))


def test_a_degraded_invoice_gets_the_degrade_care_sheet(ctx: AppContext) -> None:
    patient = patient_named(ctx, "BONNET", "NATHALIE")
    invoice = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice
    # G 30.00 € in the parcours, no tiers payant: AMO 70 % of 30.00 = 21.00, the patient
    # 9.00 (the whole 30.00 is paid at the desk). 20 € cash then 10 € by cheque: 30.00 received.
    _pay(ctx, invoice.id, "20.00", PaymentKind.ESPECES)
    _pay(ctx, invoice.id, "10.00", PaymentKind.CHEQUE)

    sheet = invoice_documents.care_sheet_of(unit_of(ctx), invoice.id)

    assert sheet.mode is PaperMode.DEGRADE
    assert sheet.invoice_number == str(invoice.number)
    assert sheet.issued_on == Clock().day_of(NOW)
    assert [(line.code, line.amount) for line in sheet.lines] == [("G", Decimal("30.00"))]
    assert sheet.shares.total == Decimal("30.00")
    assert sheet.shares.amo + sheet.shares.amc + sheet.shares.patient == Decimal("30.00")
    assert sheet.amount_received == Decimal("30.00") == sheet.due_at_desk
    assert sheet.patient.nir == patient.nir
    assert sheet.patient.last_name == (patient.usage_name or patient.last_name)
    assert sheet.professional.billing_number.startswith(titulaire(ctx).billing_number or "")
    assert sheet.lines[0].label  # the NGAP label of G


def test_an_invoice_validated_after_midnight_in_paris_is_dated_that_paris_day(
        ctx: AppContext) -> None:
    # 23:30 UTC is 00:30 the next day in Paris: the care of that Paris day, validated then, is
    # printed on that day (the server's UTC day made « Acte postérieur à la date du document »).
    next_day = TODAY + timedelta(days=1)
    late = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 30, tzinfo=UTC)
    patient = patient_named(ctx, "BONNET", "NATHALIE")
    draft = draft_for(ctx, patient, {"date_soins": next_day.isoformat()},
                      secure_mode=SecureMode.DEGRADE)
    invoice = invoicing.validate_invoice(unit_of(ctx), draft, refs=refs(ctx), today=next_day,
                                         now=late).invoice

    assert invoice_documents.care_sheet_of(unit_of(ctx), invoice.id).issued_on == next_day
    assert invoice_documents.receipt_pdf(unit_of(ctx), invoice.id).startswith(b"%PDF")


def test_an_overpayment_is_not_printed_as_received(ctx: AppContext) -> None:
    patient = patient_named(ctx, "BONNET", "NATHALIE")
    invoice = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice
    # 30.00 due, 35.00 paid: the sheet attests 30.00, the 5.00 are to be refunded.
    _pay(ctx, invoice.id, "35.00", PaymentKind.CB)

    assert invoice_documents.care_sheet_of(unit_of(ctx), invoice.id).amount_received == \
        Decimal("30.00")


def test_hors_teletransmission_prints_the_papier_sheet(ctx: AppContext) -> None:
    patient = patient_named(ctx, "PETIT", "ANNE")
    draft = replace(draft_for(ctx, patient), hors_teletransmission=True)
    invoice = validate(ctx, draft).invoice

    sheet = invoice_documents.care_sheet_of(unit_of(ctx), invoice.id, printed_on=date(2026, 3, 5))

    assert sheet.mode is PaperMode.PAPIER
    assert sheet.issued_on == date(2026, 3, 5)


def test_a_secured_fse_needs_no_paper_sheet_but_has_a_receipt(ctx: AppContext) -> None:
    patient = patient_named(ctx, "MICHEL", "ARTHUR")
    invoice = validate(ctx, draft_for(ctx, patient)).invoice
    _pay(ctx, invoice.id, "12.50", PaymentKind.CB)
    _pay(ctx, invoice.id, "17.50", PaymentKind.CHEQUE)

    with pytest.raises(NotPrintable) as refused:
        invoice_documents.care_sheet_of(unit_of(ctx), invoice.id)
    assert "dégradé" in refused.value.message

    receipt = invoice_documents.receipt_of(unit_of(ctx), invoice.id)
    # 30.00 billed, no tiers payant: 30.00 due, 12.50 + 17.50 received → balance 0.
    assert receipt.total == Decimal("30.00")
    assert [p.amount for p in receipt.payments] == [Decimal("12.50"), Decimal("17.50")]
    assert receipt.patient_last_name == (patient.usage_name or patient.last_name)
    assert receipt.cabinet.name


def test_deleted_invoices_and_cancellation_documents_are_not_printed(ctx: AppContext) -> None:
    patient = patient_named(ctx, "BONNET", "NATHALIE")
    deleted = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice
    invoicing.delete_unsent(unit_of(ctx), [deleted.id])
    cancelled = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice
    document = invoicing.cancel_invoice(unit_of(ctx), cancelled.id, "erreur de patient")

    for invoice_id in (deleted.id, document.id):
        with pytest.raises(NotPrintable):
            invoice_documents.receipt_of(unit_of(ctx), invoice_id)
        with pytest.raises(NotPrintable):
            invoice_documents.care_sheet_of(unit_of(ctx), invoice_id)
    # The cancelled invoice itself keeps its note d'honoraires.
    assert invoice_documents.receipt_of(unit_of(ctx), cancelled.id).total == Decimal("30.00")


def test_the_pdfs(ctx: AppContext) -> None:
    patient = patient_named(ctx, "BONNET", "NATHALIE")
    invoice = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice
    try:
        sheet = invoice_documents.care_sheet_pdf(unit_of(ctx), invoice.id)
        receipt = invoice_documents.receipt_pdf(unit_of(ctx), invoice.id)
    except PrintingUnavailable as error:
        pytest.skip(f"WeasyPrint unavailable: {error.message}")
    assert sheet.startswith(b"%PDF") and receipt.startswith(b"%PDF")


def test_the_detail_record_links_the_cancellation_and_reads_the_history(
        ctx: AppContext) -> None:
    patient = patient_named(ctx, "BONNET", "NATHALIE")
    invoice = validate(ctx, draft_for(ctx, patient)).invoice
    _pay(ctx, invoice.id, "30.00", PaymentKind.CB)
    document = invoicing.cancel_invoice(unit_of(ctx, actor="dr.legrand"), invoice.id, "doublon")

    record = invoice_documents.invoice_record(unit_of(ctx), invoice.id)
    assert record.linked is not None and record.linked.id == document.id
    assert record.patient.id == patient.id and record.care_sheet_mode is None
    # validated, paid, cancelled: the journal lines of the invoice and of its payment.
    actions = [entry.action for entry in record.history]
    assert actions[0] == "create" and "cancel" in actions
    assert any(entry.entity == "payment" for entry in record.history)
    assert record.balance.solde_patient == Decimal("0.00")  # 30.00 due, 30.00 paid

    back = invoice_documents.invoice_record(unit_of(ctx), document.id)
    assert back.linked is not None and back.linked.id == invoice.id
    assert back.invoice.total == Decimal("-30.00")  # amounts negated


def test_the_list_filters_choices(ctx: AppContext) -> None:
    names = dict(invoice_documents.professional_choices(unit_of(ctx)))
    assert names[titulaire(ctx).id].startswith(titulaire(ctx).last_name)
    found = invoice_documents.patients_starting(unit_of(ctx), "bonn")
    assert any(p.last_name == "BONNET" for p in found)
    assert invoice_documents.patients_starting(unit_of(ctx), "zzzz") == []
