"""The Télétransmission screen and API on the demo cabinet, logged in as the titulaire, with
an SMTP server that does not answer (the loop with the simulated caisse is
tests/integration/test_transmission_loop.py)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from security.sessions import login_for
from uow_support import unit_of

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.invoice import InvoiceStatus, SecureMode
from openfse.domain.transmission import PaymentStatus
from openfse.services import invoicing
from openfse.services.context import AppContext
from openfse.web.app import create_app

from .test_invoicing import TODAY, draft_for, fake_cps, patient_named, validate
from .test_transmission import answer, free_port, line, reject_line, sent_lots, signed

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("transmission-web")
    settings = Settings.from_env({"OPENFSE_HOME": str(home),
                                  "OPENFSE_SMTP": f"127.0.0.1:{free_port()}"})
    load_demo(settings, today=TODAY)
    login = login_for(settings)
    with TestClient(create_app(settings), headers=login.headers) as test_client:
        test_client.cookies.set(login.cookie_name, login.cookie_value)
        yield test_client


def test_the_screen_sends_and_says_why_it_stopped(client: TestClient) -> None:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    draft = draft_for(ctx, patient_named(ctx, "BONNET", "NATHALIE"),
                      {"tiers_payant": {"amo": True}}, secure_mode=SecureMode.SESAM_SANS_VITALE)
    row = validate(ctx, draft).invoice
    invoicing.sign_invoices(unit_of(ctx), [row.id], sign=fake_cps)

    page = client.get("/teletransmission")
    assert page.status_code == 200
    # Care on 2 March 2026, tiers payant: due 12 March, long past today.
    assert "À transmettre (1)" in page.text and "12/03/2026" in page.text
    assert "dépassé de" in page.text

    sent = client.post("/teletransmission/envoyer", follow_redirects=True)
    assert sent.status_code == 200
    assert "Envoi interrompu ; 1 lot(s) préparé(s) ; 0 envoyé(s) sur 1" in sent.text
    assert "injoignable" in sent.text and "Préparé" in sent.text
    assert "À transmettre (0)" in sent.text


def test_the_api_gives_lots_dashboard_and_export(client: TestClient) -> None:
    lots = client.get("/api/transmission/lots").json()
    assert lots and lots[0]["status"] == "prepared"
    board = client.get("/api/transmission/dashboard").json()
    assert board["ready"] == 0 and board["day"]["lots_sent"] == 0
    export = client.get("/teletransmission/paiements.csv",
                        params={"du": "2026-03-01", "au": "2026-03-31"})
    assert export.status_code == 200 and export.content.startswith("\ufeff".encode())
    assert "attachment" in export.headers["content-disposition"]


def test_the_screen_sets_the_cabinets_delays_and_refuses_a_wrong_one(client: TestClient) -> None:
    page = client.get("/teletransmission")
    assert "Délai d'attente de l'ARL (jours)" in unescape(page.text)
    assert 'name="payment_wait_days" value="7"' in page.text  # the default

    mailbox = "depot-{type}{code}@oct.example.fr"
    saved = client.post("/teletransmission/reglages", follow_redirects=True,
                        data={"arl_wait_days": "4", "payment_wait_days": "15",
                              "insurer_mailbox": mailbox})
    assert "Réglages de télétransmission enregistrés." in saved.text
    assert 'name="arl_wait_days" value="4"' in saved.text
    assert 'name="payment_wait_days" value="15"' in saved.text

    refused = client.post("/teletransmission/reglages", follow_redirects=True,
                          data={"arl_wait_days": "0", "payment_wait_days": "20",
                                "insurer_mailbox": "{nom}@oct.example.fr"})
    assert ("Refusé : Délai d'attente de l'ARL (jours) : Nombre de jours entier de 1 à 30 "
            "attendu. ; Adresse des organismes destinataires : Seuls {type} (amo ou amc) et "
            "{code} (numéro de l'organisme) sont remplacés.") in unescape(refused.text)
    # Nothing changed, not even the valid field sent with the wrong one.
    assert 'name="arl_wait_days" value="4"' in refused.text
    assert 'name="payment_wait_days" value="15"' in refused.text
    assert f'value="{mailbox}"' in refused.text


def test_a_reject_billed_to_the_patient_shows_as_his_debt(client: TestClient) -> None:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    [invoice_id] = signed(ctx, ("ANDRE", "MANON"))
    with unit_of(ctx) as uow:
        number = f"{uow.invoices.get(invoice_id).number:09d}"
    lots = sent_lots(ctx, invoice_id)
    answer(ctx, "RSP-WEB", "017519881", lots["FSE"],
           line(number, PaymentStatus.REJECTED, "21.00", "0.00"))
    page = unescape(client.get("/teletransmission").text)
    assert "Rejets à traiter (1)" in page and "Rejets facturés aux patients (0)" in page

    done = client.post(f"/teletransmission/rejets/{reject_line(ctx, 'RSP-WEB')}",
                       data={"resolution": "patient"}, follow_redirects=True)

    text = unescape(done.text)
    assert "Rejet traité : la part rejetée est due par le patient" in text
    assert "Rejets à traiter (0)" in text and "Rejets facturés aux patients (1)" in text
    debts = text[text.index("Rejets facturés aux patients (1)"):
                 text.index("En attente de paiement (")]
    # The caisse's 21,00 € and the patient's own 9,00 € (nothing paid at the desk).
    assert "R04 totaux incohérents" in debts and "30,00" in debts and number.lstrip("0") in debts


def test_correct_and_reinvoice_cancels_and_opens_a_new_invoice(client: TestClient) -> None:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    [invoice_id] = signed(ctx, ("ANDRE", "MANON"))
    with unit_of(ctx) as uow:
        row = uow.invoices.get(invoice_id)
        number, patient_id, pro_id = f"{row.number:09d}", row.patient_id, row.professional_id
    lots = sent_lots(ctx, invoice_id)
    answer(ctx, "RSP-WEB-RE", "017519881", lots["FSE"],
           line(number, PaymentStatus.REJECTED, "21.00", "0.00"))

    done = client.post(f"/teletransmission/rejets/{reject_line(ctx, 'RSP-WEB-RE')}",
                       data={"resolution": "reinvoice"}, follow_redirects=False)

    assert done.status_code == 303
    assert done.headers["location"] == f"/facture?refacturer={invoice_id}"
    with unit_of(ctx) as uow:
        assert uow.invoices.get(invoice_id).status is InvoiceStatus.CANCELLED

    # The new invoice's screen is filled from the rejected one, and linked to it.
    screen = client.get(done.headers["location"])
    assert screen.status_code == 200
    typed = _invoice_form(screen.text)
    assert f"Refacturation de la facture n° {number}" in screen.text
    assert (typed["patient_id"], typed["professional_id"], typed["replaces_id"]) == (
        str(patient_id), str(pro_id), str(invoice_id))
    assert (typed["date_soins"], typed["nature_assurance"], typed["parcours"]) == (
        TODAY.strftime("%d/%m/%Y"), "maladie", "medecin_traitant")
    assert (typed["acts-0-nomenclature"], typed["acts-0-code"], typed["tp_amo"]) == (
        "NGAP", "G", "on")
    assert typed.get("acts-1-code", "") == ""

    page = client.post("/facture", headers={"HX-Request": "true"}, data=typed).text
    if "invoice-number" not in page:  # warnings only: confirmed
        page = client.post("/facture", headers={"HX-Request": "true"},
                           data={**typed, "confirmed": "on"}).text
    assert f"remplace la <a href=\"/factures/{invoice_id}\">facture n° {number}</a>" in page
    with unit_of(ctx) as uow:
        new = uow.invoices.replacement_of(invoice_id)
    assert new is not None and new.patient_id == patient_id
    old_detail = client.get(f"/factures/{invoice_id}").text
    assert f"remplacée par la <a href=\"/factures/{new.id}\">facture n° {new.number}</a>" in (
        old_detail)
    # Only once: the same link again is refused, next to the notice, and nothing is stored.
    again = client.post("/facture", headers={"HX-Request": "true"},
                        data={**typed, "confirmed": "on"}).text
    assert "déjà remplacée" in again and 'id="err-replaces_id"' in again
    assert client.get("/facture?refacturer=999999").status_code == 422  # unknown invoice


class _FormReader(HTMLParser):
    """The values the invoice form would post (``#invoice-form``), as a browser sends them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._inside = a.get("id") == "invoice-form"
        if not self._inside or "name" not in a:
            if tag == "option" and self._select and "selected" in a:
                self.values[self._select] = a.get("value", "")
            return
        if tag == "input" and a.get("type") not in ("checkbox", "file", "submit", "button"):
            self.values[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.values[a["name"]] = "on"
        elif tag == "select":
            self._select = a["name"]
            self.values.setdefault(a["name"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "form":
            self._inside = False


def _invoice_form(html: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(html)
    return reader.values
