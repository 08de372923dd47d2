"""« Factures » in Chromium on a 1024×768 tablet: a degraded invoice paid twice (one payment
edited later) and printed; a selection signed with the CPS of the simulated reader.

The invoices are made in the test's setup through ``invoicing.validate_invoice`` on the live
server's database (shared with the other e2e files: the tests filter on their own invoices
and never count others').
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from uow_support import unit_of

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.domain.invoice import InvoiceDraft, SecureMode
from openfse.domain.pricing import parse_draft
from openfse.services import invoicing
from openfse.services.context import AppContext
from openfse.store.models import Invoice, ProfessionalKind

TABLET = {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def ctx(demo_home: Path) -> Iterator[AppContext]:
    context = AppContext.open(Settings.from_env({"OPENFSE_HOME": str(demo_home)}))
    yield context
    context.engine.dispose()


def degraded_invoice(ctx: AppContext, last_name: str) -> Invoice:
    """A médecin's G (30,00 €, no tiers payant) in mode dégradé for a demo patient, today."""
    with unit_of(ctx) as uow:
        patient = next(p for p in uow.patients.search(last_name, limit=20)
                       if p.last_name == last_name)
        titulaire = next(p for p in uow.professionals.list()
                         if p.kind is ProfessionalKind.TITULAIRE)
    draft = InvoiceDraft(
        professional_id=titulaire.id, patient_id=patient.id, secure_mode=SecureMode.DEGRADE,
        pricing=parse_draft({
            "date_soins": Clock().today().isoformat(), "profession": "medecin",
            "ps": {"specialite": "medecine_generale", "secteur": 1},
            "patient": {"age": 45, "parcours": "medecin_traitant"}, "acts": [{"code": "G"}]}))
    result = invoicing.validate_invoice(unit_of(ctx, actor="e2e"), draft,
                                        refs=invoicing.InvoiceReferentials.of(ctx),
                                        today=Clock().today())
    return result.invoice


def reader(server: str, action: str, card: str = "") -> None:
    response = httpx.post(f"{server}/connexion/lecteur",
                          data={"action": action, "card": card, "retour": "/connexion"})
    assert response.status_code in (200, 303)


@pytest.fixture()
def tablet(page: Page) -> Page:
    page.set_viewport_size(TABLET)
    return page


def add_payment(page: Page, kind: str, amount: str) -> None:
    form = page.get_by_role("form", name="Ajouter un paiement")
    form.get_by_label("Type").select_option(label=kind)
    form.get_by_label("Montant (€)").fill(amount)
    form.get_by_label("Montant (€)").press("Enter")


def test_a_degraded_invoice_paid_twice_edited_and_printed(
    tablet: Page, live_server: str, ctx: AppContext, screenshot
) -> None:
    invoice = degraded_invoice(ctx, "BONNET")
    tablet.goto(f"{live_server}/factures?numero={invoice.number}&patient_id={invoice.patient_id}")
    row = tablet.get_by_role("table", name="Factures").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("À signer")
    screenshot("invoices-list")
    row.get_by_role("link", name=str(invoice.number)).focus()
    tablet.keyboard.press("Enter")
    expect(tablet.get_by_role("heading", level=1)).to_contain_text(f"Facture n° {invoice.number}")

    # 30,00 € due by the patient: 10,00 € cash → incomplete; 25,00 € cheque → 5,00 € too much.
    payments = tablet.get_by_role("table", name="Paiements reçus")
    add_payment(tablet, "Espèces", "10,00")
    expect(payments).to_contain_text("Espèces")
    expect(tablet.locator("#inv-balance")).to_contain_text("20,00 €")
    expect(tablet.locator("#inv-balance")).to_contain_text("Le paiement est incomplet")
    add_payment(tablet, "Chèque", "25,00")
    expect(payments).to_contain_text("Chèque")
    expect(tablet.locator("#inv-balance")).to_contain_text("-5,00 €")
    expect(tablet.locator("#inv-balance")).to_contain_text("Le solde patient est négatif")
    # A typing slip is refused next to its field, what was typed is kept.
    add_payment(tablet, "Chèque", "douze")
    expect(tablet.locator("#err-amount-new")).to_contain_text("Montant invalide")
    expect(tablet.get_by_role("form", name="Ajouter un paiement").get_by_label("Montant (€)")
           ).to_have_value("douze")

    # Later: the cheque was 20,00 € → 10,00 + 20,00 = 30,00, paid in full.
    cheque = payments.get_by_role("row", name=re.compile(r"Chèque Patient 25,00"))
    cheque.locator("summary").click()
    edit = cheque.get_by_role("form")
    edit.get_by_label("Montant (€)").fill("20,00")
    edit.get_by_label("Montant (€)").press("Enter")
    expect(payments).to_contain_text("20,00")
    expect(tablet.locator("#inv-balance")).to_contain_text("Le patient ne doit plus rien.")
    expect(tablet.get_by_role("region", name="Historique")).to_contain_text("Paiement modifié")
    screenshot("invoices-detail-paid")

    for name in ("Imprimer la feuille de soins", "Imprimer la note d'honoraires"):
        href = tablet.get_by_role("link", name=re.compile(name)).get_attribute("href")
        pdf = tablet.request.get(f"{live_server}{href}")
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("inline")
        assert pdf.body().startswith(b"%PDF")


def test_a_selection_is_signed_with_the_cps_and_its_code(
    tablet: Page, live_server: str, ctx: AppContext, screenshot
) -> None:
    first, second = degraded_invoice(ctx, "BONNET"), degraded_invoice(ctx, "BONNET")
    reader(live_server, "retirer")
    reader(live_server, "inserer", "cps_titulaire")
    try:
        tablet.goto(f"{live_server}/factures?patient_id={first.patient_id}&statut=a_signer")
        table = tablet.get_by_role("table", name="Factures")
        for invoice in (first, second):
            box = table.get_by_label(f"Sélectionner la facture n° {invoice.number}")
            box.focus()
            tablet.keyboard.press(" ")  # Space ticks: keyboard-first
            expect(box).to_be_checked()
        screenshot("invoices-selection")
        tablet.get_by_role("button", name=re.compile("Signer la sélection")).click()
        expect(tablet.get_by_role("heading", level=1)).to_contain_text("Signer 2 facture(s)")
        pin = tablet.get_by_label("Code porteur de la CPS (4 chiffres)")
        expect(pin).to_be_focused()
        tablet.keyboard.type("1234")
        screenshot("invoices-sign-pin")
        tablet.keyboard.press("Enter")
        expect(tablet.locator(".dir-flash.ok")).to_contain_text("2 facture(s) signée(s).")
        tablet.goto(f"{live_server}/factures?numero={second.number}&patient_id={second.patient_id}")
        expect(tablet.get_by_role("table", name="Factures")).to_contain_text("Dégradée")
        screenshot("invoices-signed")
    finally:
        reader(live_server, "retirer")
