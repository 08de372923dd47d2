"""Whose invoice is it (issue 12, finding 2), and the desk's other trust defects (issue 12,
findings 11 and 18; issue 13, defects 1, 8, 12 and 15), through HTTP on the demo cabinet.

The demo cabinet has a titulaire (Dr Pierre LEGRAND, card cps_titulaire, code 1234) and a
remplaçant (Nathalie DURAND, cps_remplacant, code 4321) who replaces him the next ten weekdays
from the day the demo is loaded; the test registers a nurse (cps_infirmier). They share one
simulated reader, as they share one desk.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from uow_support import unit_of

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services import invoice_authority
from openfse.store.journal import JournalEntry
from openfse.store.models import Invoice, ProfessionalKind, UserRole

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

TODAY = Clock().today()  # the guard checks the remplaçant's calendar against the real day
HX = {"HX-Request": "true"}
MARTIN_PAUL_NIR = "178047511501217"  # vitale_famille

pytestmark = pytest.mark.skipif(
    TODAY.weekday() >= 5, reason="the demo remplaçant works weekdays from the demo's day")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from openfse.composition.demo import load_demo

    home: Path = tmp_path_factory.mktemp("invoice-trust")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=TODAY)
    return settings


@pytest.fixture(scope="module")
def app(settings: Settings) -> Any:
    from openfse.web.app import create_app

    return create_app(settings)


@pytest.fixture(scope="module")
def ctx(app: Any) -> Any:
    return app.state.ctx


@pytest.fixture(scope="module")
def as_(app: Any, settings: Settings, ctx: Any) -> Iterator[Callable[[str], TestClient]]:
    """``as_("titulaire" | "remplacant" | "secretaire" | "infirmiere")``: a logged-in client."""
    from security.sessions import CSRF, login_for

    from openfse.web.session import SESSION_COOKIE
    from services.test_invoice_screen import nurse_session

    clients: dict[str, TestClient] = {}

    def make(who: str) -> TestClient:
        if who not in clients:
            client = TestClient(app, follow_redirects=False)
            client.__enter__()
            if who == "infirmiere":
                _, cookie = nurse_session(ctx)
            else:
                login = login_for(settings, UserRole(who))
                cookie = login.cookie_value
            client.headers.update({"X-CSRF-Token": CSRF, "X-Requested-With": "tests"})
            client.cookies.set(SESSION_COOKIE, cookie)
            clients[who] = client
        return clients[who]

    yield make
    for client in clients.values():
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def pros(ctx: Any) -> dict[str, int]:
    with unit_of(ctx) as uow:
        return {"titulaire": uow.professionals.active(ProfessionalKind.TITULAIRE)[0].id,
                "remplacant": uow.professionals.active(ProfessionalKind.REMPLACANT)[0].id}


@pytest.fixture
def reader(ctx: Any) -> Iterator[Any]:
    """The desk's reader, emptied before and after the test."""
    card_reader = ctx.card_reader
    card_reader.remove(None)
    yield card_reader
    card_reader.remove(None)


def _patient(client: TestClient, name: str = "BERNARD JEAN") -> int:
    return int(client.get("/api/patients", params={"q": name}).json()[0]["id"])


def _draft(client: TestClient, professional_id: int, patient: str = "BERNARD JEAN",
           **extra: Any) -> dict[str, Any]:
    document = {"professional_id": professional_id, "patient_id": _patient(client, patient),
                "date_soins": TODAY.isoformat(), "acts": [{"code": "G"}],
                "parcours": "medecin_traitant", "secure_mode": "desynchronise"}
    document.update(extra)
    return document


def _validated(client: TestClient, professional_id: int, **extra: Any) -> dict[str, Any]:
    answer = client.post("/api/invoices", json=_draft(client, professional_id, **extra))
    assert answer.status_code == 201, answer.text
    document: dict[str, Any] = answer.json()
    return document


def _status(client: TestClient, invoice_id: int) -> str:
    return str(client.get(f"/api/invoices/{invoice_id}").json()["display_status"])


def _unlock(reader: Any, card: str, pin: str) -> None:
    reader.insert(card)
    reader.verify_pin(pin)


# -- issue 12, finding 2: a professional signs only his own invoices, with his own card --------

def test_a_remplacant_neither_signs_cancels_nor_deletes_the_titulaires_invoice(
        as_: Callable[[str], TestClient], pros: dict[str, int], reader: Any) -> None:
    titulaire, remplacant = as_("titulaire"), as_("remplacant")
    invoice = _validated(titulaire, pros["titulaire"])
    _unlock(reader, "cps_remplacant", "4321")

    signed = remplacant.post("/api/invoices/sign", json={"ids": [invoice["id"]]}).json()
    assert signed["done"] == []
    assert "LEGRAND" in signed["refused"][0]["message"]
    cancelled = remplacant.post(f"/api/invoices/{invoice['id']}/cancel",
                                json={"reason": "erreur"})
    assert cancelled.status_code == 403
    assert cancelled.json()["error"]["code"] == "not_own_invoice"
    deleted = remplacant.post("/api/invoices/delete", json={"ids": [invoice["id"]]})
    assert deleted.status_code == 403
    assert _status(titulaire, invoice["id"]) == "a_signer"


def test_an_invoice_is_never_signed_with_another_professionals_card(
        as_: Callable[[str], TestClient], pros: dict[str, int], reader: Any) -> None:
    # The remplaçant's card left unlocked in the shared reader: the titulaire's « Signer »
    # must not sign his invoice with it (the titulaire's invoice came out signed with the
    # remplaçant's key).
    titulaire = as_("titulaire")
    invoice = _validated(titulaire, pros["titulaire"])
    _unlock(reader, "cps_remplacant", "4321")

    answer = titulaire.post("/api/invoices/sign", json={"ids": [invoice["id"]]})

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "not_own_card"
    assert "DURAND" in answer.json()["error"]["message"]
    assert _status(titulaire, invoice["id"]) == "a_signer"


def test_a_titulaire_sees_but_does_not_sign_nor_cancel_a_colleagues_invoice(
        as_: Callable[[str], TestClient], pros: dict[str, int], reader: Any) -> None:
    titulaire, remplacant = as_("titulaire"), as_("remplacant")
    theirs = _validated(remplacant, pros["remplacant"])
    _unlock(reader, "cps_titulaire", "1234")

    assert titulaire.get(f"/api/invoices/{theirs['id']}").status_code == 200
    signed = titulaire.post("/api/invoices/sign", json={"ids": [theirs["id"]]}).json()
    assert signed["done"] == [] and "DURAND" in signed["refused"][0]["message"]
    page = titulaire.get(f"/factures/{theirs['id']}").text
    assert "Annuler la facture" not in page and 'id="inv-sign"' not in page
    # His own card signs his own invoice.
    mine = _validated(titulaire, pros["titulaire"])
    done = titulaire.post("/api/invoices/sign", json={"ids": [mine["id"]]}).json()["done"]
    assert [d["id"] for d in done] == [mine["id"]]


def test_the_list_signer_refuses_a_colleagues_card_and_says_so_in_red(
        as_: Callable[[str], TestClient], pros: dict[str, int], reader: Any) -> None:
    titulaire = as_("titulaire")
    invoice = _validated(titulaire, pros["titulaire"])
    _unlock(reader, "cps_remplacant", "4321")

    page = titulaire.post("/factures/signer", data={"ids": str(invoice["id"]), "pin": "4321",
                                                    "retour": "/factures"})

    assert page.status_code == 422
    assert "pas la vôtre" in page.text
    assert _status(titulaire, invoice["id"]) == "a_signer"


def test_a_professional_validates_only_invoices_in_his_own_name(
        as_: Callable[[str], TestClient], pros: dict[str, int]) -> None:
    # A nurse validated a G consultation with « Professionnel : Dr Legrand ».
    nurse = as_("infirmiere")
    answer = nurse.post("/api/invoices", json=_draft(nurse, pros["titulaire"]))
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "not_own_invoice"
    titulaire = as_("titulaire")
    assert titulaire.post("/api/invoices", json=_draft(
        titulaire, pros["remplacant"])).status_code == 403
    # The screen offers his own name only.
    screen = nurse.get("/facture", params={"patient": _patient(nurse)}).text
    assert "LEGRAND" not in re.search(r'<select id="professional_id".*?</select>', screen,
                                      re.S).group(0)


def test_a_remplacant_acts_only_on_his_own_invoices_of_his_calendar_days(
        ctx: Any, pros: dict[str, int]) -> None:
    remplacant = invoice_authority.Acting(pros["remplacant"], remplacant=True)
    with unit_of(ctx) as uow:
        days = uow.professionals.replacement_days(pros["remplacant"], TODAY - timedelta(400),
                                                  TODAY + timedelta(400))
        off = max(d.day for d in days) + timedelta(days=7)
        on_calendar = Invoice(professional_id=pros["remplacant"], date_soins=TODAY, number=7)
        off_calendar = Invoice(professional_id=pros["remplacant"], date_soins=off, number=8)
        titulaires = Invoice(professional_id=pros["titulaire"], date_soins=TODAY, number=9)
        assert invoice_authority.refusal_for(uow, remplacant, on_calendar, "signer") is None
        assert "calendrier" in (invoice_authority.refusal_for(
            uow, remplacant, off_calendar, "signer") or "")
        assert "LEGRAND" in (invoice_authority.refusal_for(
            uow, remplacant, titulaires, "annuler") or "")


def test_the_list_names_the_professional_and_select_all_ticks_only_mine(
        as_: Callable[[str], TestClient], pros: dict[str, int]) -> None:
    titulaire, remplacant = as_("titulaire"), as_("remplacant")
    mine = _validated(titulaire, pros["titulaire"])
    theirs = _validated(remplacant, pros["remplacant"])

    page = titulaire.get("/factures").text

    assert "<th>Professionnel</th>" in page
    row_of = {i: re.search(rf'<tr>\s*<td><input[^>]*value="{i}"[^>]*>.*?</tr>', page, re.S)
              for i in (mine["id"], theirs["id"])}
    assert "LEGRAND" in row_of[mine["id"]].group(0)
    assert "DURAND" in row_of[theirs["id"]].group(0)
    assert "data-mine" in row_of[mine["id"]].group(0)
    assert "data-mine" not in row_of[theirs["id"]].group(0)
    assert "[data-mine]" in page  # « Tout cocher » ticks those only
    filtered = titulaire.get("/factures", params={"professionnel": pros["remplacant"]}).text
    assert f'value="{mine["id"]}"' not in filtered and f'value="{theirs["id"]}"' in filtered


# -- issue 12, finding 18: Idempotency-Key ---------------------------------------------------

def _count(ctx: Any) -> int:
    with unit_of(ctx) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Invoice)) or 0)


def test_a_retry_with_the_same_idempotency_key_returns_the_first_invoice(
        as_: Callable[[str], TestClient], pros: dict[str, int], ctx: Any) -> None:
    titulaire = as_("titulaire")
    draft = _draft(titulaire, pros["titulaire"])
    key = {"Idempotency-Key": "6f1c3e0a-retry-after-a-lost-answer"}
    before = _count(ctx)

    first = titulaire.post("/api/invoices", json=draft, headers=key)
    again = titulaire.post("/api/invoices", json=draft, headers=key)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(ctx) == before + 1
    # The same key with another document is an error, not a second invoice.
    other = titulaire.post("/api/invoices", json={**draft, "acts": [{"code": "G"}, {
        "code": "MEG", "complement": "N"}]}, headers=key)
    assert other.status_code == 409
    assert titulaire.post("/api/invoices", json=draft, headers={
        "Idempotency-Key": "k" * 201}).status_code == 422
    assert _count(ctx) == before + 1


# -- issue 12, finding 11: no GET changes data -----------------------------------------------

def _journal_size(ctx: Any) -> int:
    with unit_of(ctx) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(JournalEntry)) or 0)


class _CountingAdri:
    """The desk's ADRi client, each call counted."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return found(*args, **kwargs)
        return counted


def test_opening_the_invoice_screen_asks_nothing_of_adri_and_writes_nothing(
        as_: Callable[[str], TestClient], ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Default mode « automatique ciblé », no card read: ADRi is due for this invoice — but
    # never on a GET, which a link (or a prefetch) can trigger.
    titulaire = as_("titulaire")
    paul = _patient(titulaire, "MARTIN PAUL")
    adri = _CountingAdri(ctx.adri)
    monkeypatch.setattr(ctx, "adri", adri)
    before = _journal_size(ctx)

    screen = titulaire.get("/facture", params={"patient": paul})

    assert screen.status_code == 200
    assert adri.calls == 0
    assert _journal_size(ctx) == before
    assert 'hx-post="/facture/adri"' in screen.text  # the screen asks, by a POST
    notice = titulaire.post("/facture/adri", data={"patient_id": str(paul)}, headers=HX)
    assert adri.calls >= 1
    assert "Droits AMO du jour obtenus par ADRi" in notice.text


# -- issue 13, defect 1: signed at « Valider » when both cards are there ----------------------

def _screen_form(patient_id: int, professional_id: int, **fields: str) -> dict[str, str]:
    form = {"patient_id": str(patient_id), "professional_id": str(professional_id),
            "date_soins": TODAY.isoformat(), "nature_assurance": "maladie",
            "parcours": "medecin_traitant", "secure_mode": "securise", "carte": "1",
            "acts-0-nomenclature": "NGAP", "acts-0-code": "G", "confirmed": "on"}
    form.update(fields)
    return form


def _invoice_id(summary: str) -> int:
    found = re.search(r'href="/factures/(\d+)"', summary) or re.search(
        r'/facture/(\d+)/paiement', summary)
    assert found, summary[:2000]
    return int(found.group(1))


def test_valider_signs_in_mode_securise_when_cps_and_vitale_are_in_the_reader(
        as_: Callable[[str], TestClient], pros: dict[str, int], reader: Any) -> None:
    titulaire = as_("titulaire")
    paul = _patient(titulaire, "MARTIN PAUL")
    _unlock(reader, "cps_titulaire", "1234")
    reader.insert("vitale_famille")

    summary = titulaire.post("/facture", data=_screen_form(paul, pros["titulaire"]),
                             headers=HX).text

    assert 'id="invoice-number"' in summary
    assert "Facture signée par votre carte CPS et la carte Vitale du patient." in summary
    assert _status(titulaire, _invoice_id(summary)) == "securisee"


def test_without_the_vitale_the_resume_says_what_the_invoice_waits_for_and_offers_signer(
        as_: Callable[[str], TestClient], pros: dict[str, int], reader: Any) -> None:
    titulaire = as_("titulaire")
    paul = _patient(titulaire, "MARTIN PAUL")
    _unlock(reader, "cps_titulaire", "1234")

    summary = titulaire.post("/facture", data=_screen_form(paul, pros["titulaire"]),
                             headers=HX).text
    invoice_id = _invoice_id(summary)

    assert re.search(r'class="inv-flash ko"[^>]*id="signature">En attente de signature : '
                     r"carte Vitale du patient absente du lecteur\.", summary)
    assert _status(titulaire, invoice_id) == "a_signer"
    detail = titulaire.get(f"/factures/{invoice_id}").text
    assert 'id="inv-sign"' in detail and "En attente de signature" in detail
    # « Signer » later without the card: the refusal is an error (red), not a success.
    titulaire.post("/factures/signer", data={"ids": str(invoice_id), "pin": "1234",
                                             "retour": "/factures"})
    listing = titulaire.get("/factures").text
    problem = re.search(r'<p class="dir-flash ko" role="alert" id="inv-problem">([^<]*)',
                        listing)
    assert problem and "carte Vitale" in problem.group(1)
    ok = re.search(r'<p class="dir-flash ok" role="status">([^<]*)', listing)
    assert ok and "carte Vitale" not in ok.group(1)


# -- issue 13, defect 8: the secrétariat prepares, the professional validates ------------------

def test_the_secretary_prepares_an_invoice_that_the_professional_validates_later(
        as_: Callable[[str], TestClient], pros: dict[str, int], reader: Any) -> None:
    secretary, titulaire = as_("secretaire"), as_("titulaire")
    patient = _patient(secretary)
    screen = secretary.get("/facture", params={"patient": patient}).text
    assert "Préparer pour validation" in screen and 'id="valider"' not in screen
    assert 'id="preparing-notice"' in screen  # told before she types

    form = _screen_form(patient, pros["titulaire"], secure_mode="desynchronise", carte="")
    done = secretary.post("/facture/preparer", data=form, headers=HX)
    assert done.status_code == 200 and "À valider" in done.text

    chooser = titulaire.get("/facture").text
    link = re.search(r'href="/facture\?preparee=(\d+)"', chooser)
    assert link, "the titulaire's « À valider » list shows the prepared invoice"
    reopened = titulaire.get("/facture", params={"preparee": link.group(1)}).text
    assert re.search(r'name="acts-0-code"[^>]*value="G"', reopened)
    summary = titulaire.post("/facture", data={**form, "preparee": link.group(1)},
                             headers=HX).text
    assert 'id="invoice-number"' in summary
    assert f"preparee={link.group(1)}" not in titulaire.get("/facture").text
    # Another professional does not open it (nor does it show in his list).
    assert "preparee=" not in as_("remplacant").get("/facture").text


def test_an_htmx_refusal_is_a_fragment_inside_the_target_never_a_second_page(
        as_: Callable[[str], TestClient], pros: dict[str, int]) -> None:
    secretary = as_("secretaire")
    form = _screen_form(_patient(secretary), pros["titulaire"])

    refused = secretary.post("/facture", data=form, headers=HX)

    assert "Accès refusé" in refused.text or "ne permet pas" in refused.text
    assert 'class="topbar"' not in refused.text and "<html" not in refused.text
    assert 'class="htmx-error"' in refused.text
    assert refused.headers["HX-Reswap"] == "afterbegin"  # what she typed stays below
    # A plain (non-htmx) request still gets the whole page.
    assert 'class="topbar"' in secretary.post("/facture", data=form).text


# -- issue 13, defect 15: a blank invoice shows no error --------------------------------------

def test_a_blank_invoice_shows_no_red_control(
        as_: Callable[[str], TestClient], pros: dict[str, int]) -> None:
    titulaire = as_("titulaire")
    blank = {k: v for k, v in _screen_form(_patient(titulaire), pros["titulaire"]).items()
             if not k.startswith("acts-")}
    blank.update({f"acts-{i}-code": "" for i in range(6)})

    recap = titulaire.post("/facture/recapitulatif", data=blank, headers=HX).text

    assert "actes attendus" not in recap and 'role="alert"' not in recap
    assert 'id="recap-blank"' in recap
    typed = titulaire.post("/facture/recapitulatif", data={**blank, "acts-0-code": "G"},
                           headers=HX).text
    assert 'id="total-facture"' in typed


# -- issue 13, defect 12: lists name the professional; the file lists the invoices -------------

def test_the_patient_file_lists_his_invoices_with_professional_and_state(
        as_: Callable[[str], TestClient], pros: dict[str, int]) -> None:
    titulaire, remplacant = as_("titulaire"), as_("remplacant")
    mine = _validated(titulaire, pros["titulaire"], patient="DUBOIS")
    theirs = _validated(remplacant, pros["remplacant"], patient="DUBOIS")
    patient = mine["header"]["patient_id"]

    file = titulaire.get(f"/patients/{patient}").text
    listed = titulaire.get(f"/factures/patient/{patient}", headers=HX).text

    assert f'hx-get="/factures/patient/{patient}"' in file  # under the balance
    for invoice, name in ((mine, "LEGRAND"), (theirs, "DURAND")):
        row = re.search(rf'href="/factures/{invoice["id"]}">.*?</tr>', listed, re.S)
        assert row and name in row.group(0) and "À signer" in row.group(0)


def test_factures_a_securiser_shows_a_refusal_in_red_and_names_the_professional(
        as_: Callable[[str], TestClient], pros: dict[str, int], reader: Any) -> None:
    titulaire = as_("titulaire")
    bernard = _validated(titulaire, pros["titulaire"])  # not the assuré of vitale_famille
    reader.insert("vitale_famille")

    titulaire.post("/factures/securiser", data={"ids": str(bernard["id"])})
    page = titulaire.get("/factures/securiser").text

    problem = re.search(r'class="dir-flash ko" role="alert" id="inv-problem">([^<]*)', page)
    assert problem and "pas celle de l&#39;assuré" in problem.group(1)
    assert "<th>Professionnel</th>" in page
