"""Issue 13 defects 2, 4, 5 and the note d'honoraires of 12, on the demo cabinet through the web
app: each payer's share has its own state, derived from what is stored (docs/money-states.md),
shown on every page, list and PDF; a rejected invoice opens; a share nobody claimed is a to-do
until a person claims it, bills it to the patient or writes it off (journaled, confirmed)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from security.sessions import login_for
from uow_support import uow_factory

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.invoice import InvoiceStatus, SecureMode
from openfse.domain.payment import Payer, Payment, PaymentKind
from openfse.domain.transmission import PaymentStatus
from openfse.money import format_eur
from openfse.printing import receipt_html
from openfse.services import invoice_documents, invoicing, shares, transmission
from openfse.services.context import AppContext
from openfse.store.uow import UnitOfWork
from openfse.web.app import create_app

from .test_invoicing import TODAY, draft_for, fake_cps, patient_named, validate
from .test_transmission import (
    NOW,
    answer,
    free_port,
    line,
    reject_line,
    sent_lots,
    separee_invoice,
    signed,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

CAISSE = "017519881"
AMC = "98532001"


LOGIN: list[str] = []  # the logged-in user's login (the journal must name him)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("share-states")
    settings = Settings.from_env({"OPENFSE_HOME": str(home),
                                  "OPENFSE_SMTP": f"127.0.0.1:{free_port()}"})
    load_demo(settings, today=TODAY)
    login = login_for(settings)
    LOGIN[:] = [login.user.login]
    with TestClient(create_app(settings), headers=login.headers) as test_client:
        test_client.cookies.set(login.cookie_name, login.cookie_value)
        yield test_client


@pytest.fixture(scope="module")
def ctx(client: TestClient) -> AppContext:
    context: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    return context


def uow(ctx: AppContext) -> UnitOfWork:
    return ctx.unit_of_work(actor="test", actor_user_id=None)


def number_of(ctx: AppContext, invoice_id: int) -> str:
    with uow(ctx) as work:
        return f"{work.invoices.get(invoice_id).number:09d}"


def shown(ctx: AppContext, invoice_id: int) -> str:
    return shares.shown_for(uow(ctx), [invoice_id])[invoice_id].label


def text_of(page: object) -> str:
    return unescape(page.text)  # type: ignore[attr-defined]


def without_convention(ctx: AppContext, last: str = "BONNET", first: str = "NATHALIE") -> int:
    """A G (30.00) in tiers payant AMO and AMC, the mutuelle in gestion séparée chosen with no
    Inter-AMC convention (no AMC number to send a DRE to), signed."""
    draft = draft_for(ctx, patient_named(ctx, last, first), {
        "tiers_payant": {"amo": True, "amc": True},
        "amc": {"formula": "02A", "parameter": "100", "gestion": "separee"}},
        secure_mode=SecureMode.SESAM_SANS_VITALE)
    invoice_id = validate(ctx, draft).invoice.id
    assert not invoicing.sign_invoices(uow(ctx), [invoice_id], sign=fake_cps).refused
    return invoice_id


def amo_paid_without_convention(ctx: AppContext, reference: str) -> int:
    """The invoice above, sent (its FSE only: no DRE can go) and its AMO share paid."""
    invoice_id = without_convention(ctx)
    lots = sent_lots(ctx, invoice_id)
    assert set(lots) == {"FSE"}  # the mutuelle's part went nowhere
    answer(ctx, reference, CAISSE, lots["FSE"],
           line(number_of(ctx, invoice_id), PaymentStatus.PAID, "21.00", "21.00"))
    return invoice_id


# --------------------------------------------------------------------------------------------
# Defect 2: every invoice page and PDF opens, in every state
# --------------------------------------------------------------------------------------------


def invoices_in_every_state(ctx: AppContext) -> dict[str, int]:
    made: dict[str, int] = {}
    draft = draft_for(ctx, patient_named(ctx, "ANDRE", "MANON"), {"tiers_payant": {"amo": True}},
                      secure_mode=SecureMode.SESAM_SANS_VITALE)
    made["à signer"] = validate(ctx, draft).invoice.id
    [made["signée"]] = signed(ctx, ("ANDRE", "MANON"))
    [made["supprimée"]] = signed(ctx, ("ANDRE", "MANON"))
    invoicing.delete_unsent(uow(ctx), [made["supprimée"]])
    [made["annulée"]] = signed(ctx, ("ANDRE", "MANON"))
    made["document d'annulation"] = invoicing.cancel_invoice(
        uow(ctx), made["annulée"], "erreur de patient").id
    # Sent, then answered: paid, paid in part, rejected by the caisse.
    for key, status, paid in (("payée", PaymentStatus.PAID, "21.00"),
                              ("payée en partie", PaymentStatus.PARTIAL, "10.50"),
                              ("rejetée", PaymentStatus.REJECTED, "0.00")):
        [made[key]] = signed(ctx, ("ANDRE", "MANON"))
        lots = sent_lots(ctx, made[key])
        answer(ctx, f"RSP-STATE-{len(made)}", CAISSE, lots["FSE"],
               line(number_of(ctx, made[key]), status, "21.00", paid))
    # Gestion séparée: the mutuelle alone rejects its part (the case seen in the walk).
    made["part AMC rejetée"] = separee_invoice(ctx)
    lots = sent_lots(ctx, made["part AMC rejetée"])
    number = number_of(ctx, made["part AMC rejetée"])
    answer(ctx, "RSP-STATE-AMO", CAISSE, lots["FSE"],
           line(number, PaymentStatus.PAID, "21.00", "21.00"))
    answer(ctx, "RSP-STATE-AMC", AMC, lots["DRE"],
           line(number, PaymentStatus.REJECTED, "9.00", "0.00"))
    made["part AMC facturée au patient"] = made["part AMC rejetée"]
    made["part AMC à réclamer"] = amo_paid_without_convention(ctx, "RSP-STATE-NOCONV")
    return made


def test_every_invoice_page_and_pdf_opens_in_every_state(client: TestClient,
                                                          ctx: AppContext) -> None:
    made = invoices_in_every_state(ctx)
    pages = ("/factures/{}", "/facture/{}", "/factures/{}/note-honoraires.pdf",
             "/factures/{}/feuille-de-soins.pdf")

    def open_all(states: dict[str, int]) -> None:
        for state, invoice_id in states.items():
            for page in pages:
                got = client.get(page.format(invoice_id), follow_redirects=True)
                assert got.status_code == 200, (state, page, got.status_code, got.text[:300])
                if got.headers["content-type"].startswith("text/html"):
                    assert "Internal Server Error" not in got.text, (state, page)

    open_all(made)
    # Billed to the patient, the mutuelle's rejected part: the invoice still opens.
    transmission.handle_reject(lambda: uow(ctx), reject_line(ctx, "RSP-STATE-AMC"), "patient")
    open_all({"part AMC facturée au patient": made["part AMC facturée au patient"]})
    page = text_of(client.get(f"/factures/{made['part AMC facturée au patient']}"))
    assert "Facturée au patient" in page and "Part AMC rejetée" not in page


# --------------------------------------------------------------------------------------------
# Defect 5: each share its state, the invoice's derived from them, on every screen
# --------------------------------------------------------------------------------------------


def test_a_partial_payment_is_never_shown_paid(client: TestClient, ctx: AppContext) -> None:
    # The caisse pays 10.50 of its 21.00 (P02): « Partiellement payée », not « Payée ».
    [invoice_id] = signed(ctx, ("BONNET", "NATHALIE"))
    lots = sent_lots(ctx, invoice_id)
    number = number_of(ctx, invoice_id)
    answer(ctx, "RSP-PARTIAL-AMO", CAISSE, lots["FSE"],
           line(number, PaymentStatus.PARTIAL, "21.00", "10.50"))
    assert shown(ctx, invoice_id) == "Partiellement payée"
    listed = text_of(client.get("/factures", params={"numero": number}))
    assert "Partiellement payée</span>" in listed and "\">Payée</span>" not in listed
    page = text_of(client.get(f"/factures/{invoice_id}"))
    assert "Partiellement payée" in page
    money = shares.invoice_money_of(uow(ctx), invoice_id)
    assert (money.amo.state.label, money.amo.left) == ("Partiellement payée", Decimal("10.50"))
    # The 10.50 € left is a to-do on the Télétransmission screen until billed or written off.
    assert f'id="partly_paid-{invoice_id}-amo"' in text_of(client.get("/teletransmission"))
    shares.bill_to_patient(uow(ctx), invoice_id, Payer.AMO)
    assert f'id="partly_paid-{invoice_id}-amo"' not in text_of(client.get("/teletransmission"))
    money = shares.invoice_money_of(uow(ctx), invoice_id)
    assert (money.amo.label, money.patient.left) == ("Facturée au patient", Decimal("19.50"))


def test_15_of_30_euros_from_the_patient_is_partly_paid(client: TestClient,
                                                        ctx: AppContext) -> None:
    # No tiers payant: the patient owes the 30.00; the FSE is sent and acknowledged (ARL).
    draft = draft_for(ctx, patient_named(ctx, "BONNET", "NATHALIE"),
                      secure_mode=SecureMode.SESAM_SANS_VITALE)
    invoice_id = validate(ctx, draft).invoice.id
    invoicing.sign_invoices(uow(ctx), [invoice_id], sign=fake_cps)
    sent_lots(ctx, invoice_id)
    invoicing.acknowledge(uow(ctx), [invoice_id])
    # Acknowledged by the caisse, the patient owing everything: not « Acquittée ».
    assert shown(ctx, invoice_id) == "Non payée"
    invoicing.record_payment(uow(ctx), invoice_id, Payment(PaymentKind.ESPECES,
                                                           Decimal("15.00"), TODAY))
    assert shown(ctx, invoice_id) == "Partiellement payée"
    summary = text_of(client.get(f"/facture/{invoice_id}"))
    assert "Le patient ne doit plus rien" not in summary and "Partiellement payée" in summary
    invoicing.record_payment(uow(ctx), invoice_id, Payment(PaymentKind.CB, Decimal("15.00"),
                                                           TODAY))
    assert shown(ctx, invoice_id) == "Payée"
    assert "Le patient ne doit plus rien." in text_of(client.get(f"/facture/{invoice_id}"))


def test_only_the_mutuelles_reject_is_part_amc_rejetee(client: TestClient,
                                                       ctx: AppContext) -> None:
    invoice_id = separee_invoice(ctx)
    lots = sent_lots(ctx, invoice_id)
    number = number_of(ctx, invoice_id)
    answer(ctx, "RSP-ONLY-AMC", AMC, lots["DRE"],
           line(number, PaymentStatus.REJECTED, "9.00", "0.00"))
    assert shown(ctx, invoice_id) == "Part AMC rejetée"
    page = text_of(client.get(f"/factures/{invoice_id}"))
    assert "Part AMC rejetée" in page and ">Rejetée</span></h1>" not in page.replace("\n", "")
    # Written off by a person, the reject is dealt with: it leaves « Rejets à traiter ».
    line_id = reject_line(ctx, "RSP-ONLY-AMC")
    shares.write_off(uow(ctx), invoice_id, Payer.AMC, "mutuelle en liquidation", today=TODAY)
    with uow(ctx) as work:
        assert line_id not in {r.id for r in work.return_lines.open_rejects()}
        [entry] = work.journal_entries.history("payment_return_line", line_id)
    assert "part abandonnée (mutuelle en liquidation)" in entry.summary
    assert shares.invoice_money_of(uow(ctx), invoice_id).amc.label == "Abandonnée"


# --------------------------------------------------------------------------------------------
# Defect 4: gestion séparée without a convention — the mutuelle's share is a to-do
# --------------------------------------------------------------------------------------------


def test_an_unclaimed_mutuelle_share_stays_a_todo_until_claimed_on_paper(
        client: TestClient, ctx: AppContext) -> None:
    invoice_id = amo_paid_without_convention(ctx, "RSP-NOCONV-PAPER")
    # Today: « Payée » with the mutuelle's 9.00 never asked. Now a to-do, everywhere.
    assert shown(ctx, invoice_id) == "Part AMC à réclamer"
    with uow(ctx) as work:
        todo = [u for u in shares.unclaimed_shares(work) if u.invoice_id == invoice_id]
    assert [(u.share.payer, u.share.left) for u in todo] == [(Payer.AMC, Decimal("9.00"))]
    board = text_of(client.get("/teletransmission"))
    assert f'id="unclaimed-{invoice_id}-amc"' in board
    page = text_of(client.get(f"/factures/{invoice_id}"))
    assert "n'a été réclamée à personne" in page and "Part AMC à réclamer" in page

    done = client.post(f"/factures/{invoice_id}/parts/amc/reclamer",
                       data={"retour": "/teletransmission"}, follow_redirects=True)
    assert done.status_code == 200
    number = number_of(ctx, invoice_id)
    assert (f"Facture n° {number} : part de la mutuelle (AMC) (9,00 €) réclamée sur papier."
            in text_of(done).replace("\u202f", " ").replace("\xa0", " "))
    assert f'id="unclaimed-{invoice_id}-amc"' not in text_of(done)
    assert f'id="on_paper-{invoice_id}-amc"' in text_of(done)  # waiting for the mutuelle
    money = shares.invoice_money_of(uow(ctx), invoice_id)
    assert money.amc.label == "Réclamée" and shown(ctx, invoice_id) == "Transmise"
    with uow(ctx) as work:
        [decision] = work.invoices.get_full(invoice_id).share_decisions
        [entry] = work.journal_entries.history("share_decision", decision.id)
    assert entry.action == "create" and entry.actor == LOGIN[0]  # the logged-in user
    # Twice is refused, in French, and changes nothing.
    again = client.post(f"/factures/{invoice_id}/parts/amc/reclamer", follow_redirects=True)
    assert "Refusé : La part Mutuelle (AMC)" in text_of(again)
    with uow(ctx) as work:
        assert len(work.invoices.get_full(invoice_id).share_decisions) == 1


def test_an_unclaimed_share_billed_to_the_patient_becomes_his_debt(ctx: AppContext) -> None:
    invoice_id = amo_paid_without_convention(ctx, "RSP-NOCONV-PATIENT")
    with uow(ctx) as work:
        patient_id = work.invoices.get(invoice_id).patient_id
    before = invoicing.patient_unpaid_total(uow(ctx), patient_id)
    said = shares.bill_to_patient(uow(ctx), invoice_id, Payer.AMC)
    assert "part de la mutuelle (AMC) non réclamée" in said and "facturés au patient" in said
    assert invoicing.patient_unpaid_total(uow(ctx), patient_id) == before + Decimal("9.00")
    money = shares.invoice_money_of(uow(ctx), invoice_id)
    assert (money.amc.label, money.patient.left) == ("Facturée au patient", Decimal("9.00"))
    assert shown(ctx, invoice_id) == "Partiellement payée"  # the caisse paid, the patient not


def test_writing_off_needs_a_reason_and_a_person(client: TestClient, ctx: AppContext) -> None:
    invoice_id = amo_paid_without_convention(ctx, "RSP-NOCONV-LOSS")
    refused = client.post(f"/factures/{invoice_id}/parts/amc/abandonner", data={"motif": " "},
                          follow_redirects=True)
    assert "Refusé : Indiquez pourquoi cette somme est abandonnée." in text_of(refused)
    assert shown(ctx, invoice_id) == "Part AMC à réclamer"  # nothing changed
    done = client.post(f"/factures/{invoice_id}/parts/amc/abandonner",
                       data={"motif": "mutuelle résiliée"}, follow_redirects=True)
    assert "abandonnés (mutuelle résiliée)." in text_of(done)
    money = shares.invoice_money_of(uow(ctx), invoice_id)
    assert (money.amc.label, money.amc.left) == ("Abandonnée", Decimal("0.00"))
    assert shown(ctx, invoice_id) == "Soldée (part abandonnée)"
    with uow(ctx) as work:
        balance = invoicing.balance_of(work.invoices.get_full(invoice_id))
        assert balance.solde_amc == Decimal("0.00")


# --------------------------------------------------------------------------------------------
# Defect 12 (note d'honoraires): each insurer's part as it stands
# --------------------------------------------------------------------------------------------


def test_the_note_never_says_the_mutuelle_paid_after_its_reject(ctx: AppContext) -> None:
    invoice_id = separee_invoice(ctx)
    lots = sent_lots(ctx, invoice_id)
    number = number_of(ctx, invoice_id)
    answer(ctx, "RSP-NOTE-AMO", CAISSE, lots["FSE"],
           line(number, PaymentStatus.PAID, "21.00", "21.00"))
    answer(ctx, "RSP-NOTE-AMC", AMC, lots["DRE"],
           line(number, PaymentStatus.REJECTED, "9.00", "0.00"))
    note = unescape(receipt_html(invoice_documents.receipt_of(uow(ctx), invoice_id)))
    assert "Pris en charge par la complémentaire" not in note
    assert "Part de la complémentaire (tiers payant) : rejetée" in note
    assert "Part de l'Assurance Maladie (tiers payant) : payée" in note

    transmission.handle_reject(lambda: uow(ctx), reject_line(ctx, "RSP-NOTE-AMC"), "patient")
    receipt = invoice_documents.receipt_of(uow(ctx), invoice_id)
    note = unescape(receipt_html(receipt))
    assert "Part de la complémentaire (tiers payant) : facturée au patient" in note
    assert "Part de la complémentaire facturée au patient" in note
    assert receipt.due == Decimal("9.00") and not receipt.settled  # the patient owes it
    assert "ACQUITTÉE" not in note
    invoicing.record_payment(uow(ctx), invoice_id, Payment(PaymentKind.CB, Decimal("9.00"),
                                                           date(2026, 3, 10)))
    assert invoice_documents.receipt_of(uow(ctx), invoice_id).settled
    with uow(ctx) as work:
        assert work.invoices.get(invoice_id).status is InvoiceStatus.REJECTED  # stored, as is


# --------------------------------------------------------------------------------------------
# Issue 13 defect 5 (and 13.5, 13.12): a rejected invoice corrected and made again
# --------------------------------------------------------------------------------------------


def rejected_by_the_caisse(ctx: AppContext, reference: str) -> tuple[int, str, int]:
    """A G (30.00) in tiers payant AMO for BONNET, sent, its FSE rejected by the caisse:
    (invoice id, its number, the reject's return line)."""
    [invoice_id] = signed(ctx, ("BONNET", "NATHALIE"))
    lots = sent_lots(ctx, invoice_id)
    number = number_of(ctx, invoice_id)
    answer(ctx, reference, CAISSE, lots["FSE"],
           line(number, PaymentStatus.REJECTED, "21.00", "0.00"))
    return invoice_id, number, reject_line(ctx, reference)


def owed_column(page: str, invoice_id: int) -> str:
    """The « Dû par le patient » cell of the invoice's row in a list."""
    row = page.split(f'href="/factures/{invoice_id}"', 1)[1].split("</tr>", 1)[0]
    return row.rsplit('<td class="num">', 1)[1].split("</td>", 1)[0]


def test_a_rejected_invoice_replaced_by_its_correction_owes_nothing_more(
        client: TestClient, ctx: AppContext) -> None:
    # docs/money-states.md §1: « Corriger et refacturer » cancels the rejected invoice and
    # makes a new one (replaces_id); once the correction is validated, the 21.00 € the caisse
    # rejected is owed on it, not on both (the week's scenario counted it twice).
    old, number, line_id = rejected_by_the_caisse(ctx, "RSP-REPLACED")
    transmission.handle_reject(uow_factory(ctx), line_id, "reinvoice", now=NOW)
    # Cancelled, not made again yet: the reject is still owed somewhere (here).
    assert shares.invoice_money_of(uow(ctx), old).amo.left == Decimal("21.00")

    patient = patient_named(ctx, "BONNET", "NATHALIE")
    new = validate(ctx, draft_for(ctx, patient, {"tiers_payant": {"amo": True}},
                                  secure_mode=SecureMode.SESAM_SANS_VITALE,
                                  replaces_id=old)).invoice
    new_number = f"{new.number:09d}"

    money, seen = shares.invoice_shown_of(uow(ctx), old)
    assert (money.amo.state.label, money.amo.left, money.amo.replaced) == (
        "Remplacée", Decimal("0"), Decimal("21.00"))
    assert all(share.left == 0 for share in money.shares)
    label = f"Remplacée par n° {new_number}"
    # One state everywhere (13.5): lists, page, API list and detail.
    assert seen.label == shown(ctx, old) == label
    assert client.get(f"/api/invoices/{old}").json()["shares"]["state_label"] == label
    listed = client.get("/api/invoices", params={"number": int(number), "limit": 200}).json()
    assert {item["state_label"] for item in listed["items"] if item["id"] == old} == {label}
    assert label in text_of(client.get("/factures", params={"numero": number}))
    assert label in text_of(client.get(f"/factures/{old}"))
    # Its correction owes the money now.
    assert shares.invoice_money_of(uow(ctx), new.id).amo.left == Decimal("21.00")


def test_the_patient_column_says_what_he_owes_now(client: TestClient, ctx: AppContext) -> None:
    # 13.12: the caisse's rejected 21.00 € billed to the patient is owed by him (9.00 + 21.00),
    # and the « Dû par le patient » of « Factures » and of his file says so; once he has paid
    # everything, it says 0 beside « Payée » (docs/money-states.md §2).
    invoice_id, number, line_id = rejected_by_the_caisse(ctx, "RSP-BILLED-COLUMN")
    transmission.handle_reject(uow_factory(ctx), line_id, "patient", now=NOW)
    money = shares.invoice_money_of(uow(ctx), invoice_id)
    assert money.patient.left == Decimal("30.00")
    listed = text_of(client.get("/factures", params={"numero": number}))
    assert owed_column(listed, invoice_id) == format_eur(Decimal("30.00"))
    with uow(ctx) as work:
        patient_id = work.invoices.get(invoice_id).patient_id
    of_patient = text_of(client.get(f"/factures/patient/{patient_id}"))
    assert owed_column(of_patient, invoice_id) == format_eur(Decimal("30.00"))

    invoicing.record_payment(uow(ctx), invoice_id, Payment(PaymentKind.ESPECES,
                                                           Decimal("30.00"), TODAY))
    listed = text_of(client.get("/factures", params={"numero": number}))
    assert owed_column(listed, invoice_id) == format_eur(Decimal("0"))
