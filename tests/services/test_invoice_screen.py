"""« Réaliser une facture » screen (openfse/web/ui/invoice.py) through HTTP: the form ↔ draft
document mapping, the récapitulatif, « Valider » with its controls, the résumé and the
payments. Browser flows are in tests/e2e/test_invoice.py.

The desk helpers (``register_nurse``, ``cabinet_favourite``) are shared with the browser tests.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
from uow_support import unit_of

from openfse.composition.simulated_cards import SimulatedReader
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services import favourites, professionals
from openfse.services.cards import authenticate_cps
from openfse.services.context import AppContext
from openfse.web.ui import pricing_form

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

TODAY = Clock().today()
NURSE_RPPS = "99900034564"  # cps_infirmier.yaml (Claire ROUSSEAU)
FAVOURITE = "Consultation G"


# -- desk helpers (also used by tests/e2e/test_invoice.py) -----------------------------------

def register_nurse(ctx: AppContext) -> int:
    """The infirmière of the test card cps_infirmier, registered like the start screen does."""
    existing = professionals.registered_professional(unit_of(ctx), NURSE_RPPS)
    if existing is not None:
        return existing.id
    reader = SimulatedReader()
    reader.insert("cps_infirmier")
    review = professionals.review_card(authenticate_cps(reader, "2468"))
    convention = professionals.parse_convention(review, "1", False)
    nurse, _ = professionals.register_titulaire(unit_of(ctx, actor="tests"), review, convention)
    return nurse.id


def cabinet_favourite(ctx: AppContext, label: str = FAVOURITE) -> int:
    """A favourite of the whole cabinet holding one G consultation."""
    found = [f for f in favourites.search(unit_of(ctx), label) if f.label == label]
    if found:
        return found[0].id
    view = favourites.create(unit_of(ctx, actor="tests"),
                             {"label": label, "professional_id": None,
                              "acts": [{"code": "G", "quantity": "1", "coefficient": "1"}]},
                             on=TODAY, ccam=ctx.ccam_catalog())
    return view.id


# -- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from openfse.composition.demo import load_demo

    path: Path = tmp_path_factory.mktemp("invoice-screen")
    load_demo(Settings.from_env({"OPENFSE_HOME": str(path)}), today=TODAY)
    return path


@pytest.fixture(scope="module")
def client(home: Path) -> Iterator[TestClient]:
    from security.sessions import login_for

    from openfse.web.app import create_app

    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    login = login_for(settings)
    with TestClient(create_app(settings), headers=login.headers) as test_client:
        test_client.cookies.set(login.cookie_name, login.cookie_value)
        yield test_client


@pytest.fixture(scope="module")
def ctx(client: TestClient) -> AppContext:
    context: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    return context


@pytest.fixture(scope="module")
def patient_id(client: TestClient) -> int:
    page = client.get("/facture", params={"q": "m"})
    found = re.search(r"/facture\?patient=(\d+)", page.text)
    assert found, "the demo cabinet has patients whose name starts with M"
    return int(found.group(1))


@pytest.fixture(scope="module")
def doctor_id(ctx: AppContext) -> int:
    with unit_of(ctx) as uow:
        return uow.professionals.list(limit=10)[0].id


def _form(patient_id: int, professional_id: int, **fields: str) -> dict[str, str]:
    form = {"patient_id": str(patient_id), "professional_id": str(professional_id),
            "date_soins": TODAY.isoformat(), "nature_assurance": "maladie",
            "parcours": "medecin_traitant", "secure_mode": "desynchronise",
            "acts-0-nomenclature": "NGAP", "acts-0-code": "G"}
    form.update(fields)
    return form


HX = {"HX-Request": "true"}


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(?:<strong>)?([^<]*)', html)
    assert found, f"#{element_id} not in the page"
    return found.group(1).replace("\xa0", " ").strip()


# -- form ↔ document -------------------------------------------------------------------------

def test_form_becomes_the_invoice_document() -> None:
    doc = pricing_form.to_document({
        "patient_id": "3", "professional_id": "1", "date_soins": "2026-03-02",
        "nature_assurance": "at", "at_identifiant": "020105342", "at_organisme": "013499881",
        "at_date": "2023-03-07", "tp_amo": "on", "amc_coverage": "", "formula": "02A",
        "parameter": "150", "acts-0-code": "ik", "acts-0-distance_km": "7,5",
        "acts-1-code": "QZJA002", "acts-1-nomenclature": "CCAM", "acts-1-modifiers": "f, u",
        "acts-1-association_code": "1", "acts-2-code": "", "acts-3-code": "G",
        "acts-3-amo_override": "25,00",
    })
    assert doc["acts"] == [
        {"code": "IK", "nomenclature": "NGAP", "distance_km": "7.5"},
        {"code": "QZJA002", "nomenclature": "CCAM", "association_code": "1",
         "modifiers": ["F", "U"]},
        {"code": "G", "nomenclature": "NGAP", "amo_override": "25.00"},
    ]
    assert doc["accident_travail"] == {"identifiant": "020105342", "code": None,
                                       "organisme": "013499881", "date": "2023-03-07"}
    assert doc["tiers_payant"] == {"amo": True, "amc": False}
    assert doc["amc"] == {"formula": "02A", "parameter": "150", "gestion": "separee"}
    assert "maternite_date" not in doc and "amc_choice" not in doc


def test_a_favourite_goes_after_the_acts_already_typed() -> None:
    state = pricing_form.form_state({"acts-0-code": "G", "acts-1-code": ""})
    rows = pricing_form.with_acts(state, [{"code": "MN", "nomenclature": "NGAP",
                                           "coefficient": 1, "quantity": 1}])["acts"]
    assert [r["code"] for r in rows[:3]] == ["G", "MN", ""]
    assert len(rows) == pricing_form.ACT_ROWS


@pytest.mark.parametrize(("path", "field"), [
    ("acts[2].coefficient", "acts-2-coefficient"),
    ("acts[0]", "acts-0-code"),
    ("accident_travail.organisme", "at_organisme"),
    ("prescription.prescriber_id", "prescriber_id"),
    ("amc.parameter", "parameter"),
    ("date_soins", "date_soins"),
])
def test_document_errors_point_at_the_form_field(path: str, field: str) -> None:
    assert pricing_form.form_field_of(path) == field


# -- screen ----------------------------------------------------------------------------------

def test_recap_of_a_g_consultation_with_tiers_payant_amo(
        client: TestClient, patient_id: int, doctor_id: int) -> None:
    recap = client.post("/facture/recapitulatif", headers=HX,
                        data=_form(patient_id, doctor_id, tp_amo="on")).text
    # NGAP G 30,00 € (since 22/12/2024), AMO 70 % = 21,00; the patient pays the rest 9,00 at
    # the desk (the caisse pays its 21,00 to the doctor in tiers payant AMO).
    assert _text(recap, "total-facture") == "30,00 €"
    assert _text(recap, "total-amo") == "21,00 €"
    assert _text(recap, "a-regler") == "9,00 €"


def test_manual_amo_amount_changes_the_recap_before_validation(
        client: TestClient, patient_id: int, doctor_id: int) -> None:
    recap = client.post("/facture/recapitulatif", headers=HX, data=_form(
        patient_id, doctor_id, **{"acts-0-amo_override": "25,00"})).text
    # « Changer le montant AMO »: 25,00 instead of 21,00 → assuré 30,00 − 25,00 = 5,00.
    assert _text(recap, "total-amo") == "25,00 €"
    assert _text(recap, "total-assure") == "5,00 €"
    assert "manuel" in recap


def test_a_wrong_value_is_said_next_to_its_field_and_kept(
        client: TestClient, patient_id: int, doctor_id: int) -> None:
    form = _form(patient_id, doctor_id, **{"acts-0-coefficient": "abc", "acts-1-code": "MN"})
    page = client.post("/facture", data=form)
    assert page.status_code == 422
    assert 'id="err-acts-0-coefficient"' in page.text
    assert 'value="MN"' in page.text  # nothing typed is lost
    fragment = client.post("/facture", data=form, headers=HX)
    assert fragment.status_code == 200 and 'id="err-acts-0-coefficient"' in fragment.text


def test_blocking_controls_keep_the_form(client: TestClient, patient_id: int,
                                         doctor_id: int) -> None:
    future = (TODAY + timedelta(days=3)).isoformat()
    page = client.post("/facture", headers=HX, data=_form(patient_id, doctor_id,
                                                           date_soins=future))
    assert 'aria-label="Contrôles"' in page.text and "Erreur" in page.text
    assert "invoice-number" not in page.text
    assert "Valider malgré les avertissements" not in page.text


def test_maternite_without_date_is_refused_then_validated_at_100_percent(
        client: TestClient, patient_id: int, doctor_id: int) -> None:
    form = _form(patient_id, doctor_id, nature_assurance="maternite")
    refused = client.post("/facture", headers=HX, data=form).text
    assert "invoice-number" not in refused and "Erreur" in refused
    form["maternite_date"] = (TODAY - timedelta(days=30)).isoformat()
    done = _validated(client, form)
    # Assurance maternité: AMO 100 % of 30,00, nothing left for the patient.
    assert re.search(r"Caisse \(AMO\)</td><td class=\"num\">30,00", done)
    assert _text(done, "solde-patient") == "0,00 €"


def _validated(client: TestClient, form: dict[str, str]) -> str:
    """Valider; when only warnings stand, confirm them (second « Valider »)."""
    page = client.post("/facture", headers=HX, data=form).text
    if "invoice-number" not in page and "Valider malgré les avertissements" in page:
        page = client.post("/facture", headers=HX, data={**form, "confirmed": "on"}).text
    assert "invoice-number" in page, re.sub(r"\s+", " ", page)[:2000]
    return page


def test_validation_then_two_payments(client: TestClient, patient_id: int,
                                      doctor_id: int) -> None:
    done = _validated(client, _form(patient_id, doctor_id))
    assert re.fullmatch(r"\d{9}", _text(done, "invoice-number"))
    invoice_id = re.search(r"/facture/(\d+)/paiement", done).group(1)  # type: ignore[union-attr]
    # No tiers payant: the patient owes the whole 30,00.
    assert _text(done, "solde-patient") == "30,00 €"
    paid = client.post(f"/facture/{invoice_id}/paiement", headers=HX, data={
        "kind": "cheque", "amount": "20,00", "paid_on": TODAY.isoformat(), "payer": "patient"}).text
    assert _text(paid, "solde-patient") == "10,00 €"
    assert "Le paiement est incomplet" in paid
    assert 'value="10,00"' in paid  # the next payment proposes the rest
    paid = client.post(f"/facture/{invoice_id}/paiement", headers=HX, data={
        "kind": "especes", "amount": "15,00", "paid_on": TODAY.isoformat(),
        "payer": "patient"}).text
    # 20,00 + 15,00 = 35,00 for 30,00 due: the balance is −5,00.
    assert _text(paid, "solde-patient") == "-5,00 €"
    assert "Le solde patient est négatif" in paid


def test_a_bad_payment_is_said_and_kept(client: TestClient, patient_id: int,
                                        doctor_id: int) -> None:
    done = _validated(client, _form(patient_id, doctor_id))
    invoice_id = re.search(r"/facture/(\d+)/paiement", done).group(1)  # type: ignore[union-attr]
    page = client.post(f"/facture/{invoice_id}/paiement", data={
        "kind": "cb", "amount": "douze", "paid_on": TODAY.isoformat(), "payer": "patient"})
    assert page.status_code == 422
    assert 'id="err-payment"' in page.text and 'value="douze"' in page.text


def test_a_favourite_inserts_its_acts(client: TestClient, ctx: AppContext, patient_id: int,
                                      doctor_id: int) -> None:
    favourite_id = cabinet_favourite(ctx)
    form = _form(patient_id, doctor_id, favourite=str(favourite_id), **{"acts-0-code": "MN"})
    page = client.post("/facture/favori", headers=HX, data=form).text
    assert 'name="acts-0-code" aria-label="Code de l\'acte 1" value="MN"' in page
    assert 'name="acts-1-code" aria-label="Code de l\'acte 2" value="G"' in page


def nurse_session(ctx: AppContext) -> tuple[str, str]:
    """The nurse's own session cookie ``(name, value)``: she validates her invoices herself
    (issue 12: a professional validates only in his own name). Her new access is approved by
    the titulaire, as the start screen would."""
    import contextlib

    from security.sessions import session_cookie, user_of_role

    from openfse.errors import NotFound
    from openfse.services.session_login import LoginMethod, ensure_user_for, session_user_of
    from openfse.store.models import UserRole
    from openfse.web.session import SESSION_COOKIE

    nurse_id = register_nurse(ctx)
    with unit_of(ctx, actor="tests") as uow:
        user = ensure_user_for(uow, uow.professionals.get(nurse_id))
        uow.commit()
    with contextlib.suppress(NotFound):
        professionals.approve_access(unit_of(ctx, actor="tests"), user_id=user.id,
                                     approved_by=user_of_role(ctx.settings, UserRole.TITULAIRE))
    return SESSION_COOKIE, session_cookie(ctx.settings, session_user_of(user, LoginMethod.CPS))


def test_nurse_visit_with_ik_and_night(client: TestClient, ctx: AppContext,
                                       patient_id: int) -> None:
    nurse = register_nurse(ctx)
    prescriber = _prescriber(ctx)
    form = _form(patient_id, nurse, parcours="", a_domicile="on", prescription="on",
                 prescription_date=(TODAY - timedelta(days=2)).isoformat(),
                 prescriber_id=prescriber, **{
                     "acts-0-code": "AMI", "acts-0-coefficient": "1",
                     "acts-1-code": "N", "acts-2-code": "IFD",
                     "acts-3-code": "IK", "acts-3-distance_km": "10"})
    recap = client.post("/facture/recapitulatif", headers=HX, data=form).text
    # AMI 1 3,15 + majoration de nuit N 9,15 + IFD 2,75 + IK: 10 km each way, 2 km abattement
    # each way in plaine (NGAP art. 13 C) → 16 km × 0,35 = 5,60. Total 20,65.
    assert "5,60 €" in recap
    assert _text(recap, "total-facture") == "20,65 €"
    name, value = nurse_session(ctx)
    with TestClient(client.app, headers=dict(client.headers)) as as_nurse:
        as_nurse.cookies.set(name, value)
        _validated(as_nurse, form)


def test_act_suggestions_by_prefix_and_by_word(client: TestClient, doctor_id: int) -> None:
    ngap = client.get("/facture/actes", params={"q": "g", "pro": doctor_id, "row": 2}).text
    # The codes starting with « g » first (G, GL1…, GS), then the keys with a word of their
    # label starting with it (C « … généraliste ou spécialiste »); ids of row 3's listbox.
    codes = re.findall(r'data-code="([^"]+)"', ngap)
    assert codes[:5] == ["G", "GL1", "GL2", "GL3", "GS"] and "C" in codes[5:]
    assert 'id="act-option-2-0" data-code="G"' in ngap
    by_code = client.get("/facture/actes", params={"q": "QZJA002", "pro": doctor_id}).text
    assert 'data-code="QZJA002" aria-selected="false"><strong>QZJA002</strong> CCAM' in by_code
    by_word = client.get("/facture/actes", params={"q": "électrocardiographie",
                                                   "pro": doctor_id}).text
    assert 'data-code="DEQP003"' in by_word


def test_choose_screen_lists_patients(client: TestClient) -> None:
    page = client.get("/facture", params={"q": "m"})
    assert page.status_code == 200 and "Patients trouvés" in page.text


def _prescriber(ctx: AppContext) -> str:
    with unit_of(ctx) as uow:
        return str(uow.prescribers.list(limit=1)[0].id)


def test_the_ordonnance_is_attached(client: TestClient, ctx: AppContext, patient_id: int,
                                    doctor_id: int) -> None:
    form = _form(patient_id, doctor_id, prescription="on", prescriber_id=_prescriber(ctx),
                 prescription_date=(TODAY - timedelta(days=1)).isoformat())
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    page = client.post("/facture", headers=HX, data={**form, "confirmed": "on"},
                       files={"ordonnance": ("ordonnance.png", png, "image/png")}).text
    assert "invoice-number" in page, re.sub(r"<[^>]+>", " ", page)[-3000:]
    invoice_id = int(re.search(r"/facture/(\d+)/paiement", page).group(1))  # type: ignore[union-attr]
    from openfse.services import invoicing

    invoice = invoicing.get_invoice(unit_of(ctx), invoice_id)
    assert [(a.filename, a.media_type) for a in invoice.attachments] == [
        ("ordonnance.png", "image/png")]


def test_a_wrong_ordonnance_type_is_said_next_to_the_field(
        client: TestClient, ctx: AppContext, patient_id: int, doctor_id: int) -> None:
    form = _form(patient_id, doctor_id, prescription="on", prescriber_id=_prescriber(ctx),
                 prescription_date=TODAY.isoformat())
    page = client.post("/facture", headers=HX, data=form,
                       files={"ordonnance": ("note.txt", b"texte", "text/plain")}).text
    assert 'id="err-prescription_ordonnance"' in page and "invoice-number" not in page


def test_hors_teletransmission_invoice_to_a_company(client: TestClient, patient_id: int,
                                                    doctor_id: int) -> None:
    form = _form(patient_id, doctor_id, hors_teletransmission="on",
                 bill_to_name="SARL BATIPRO", bill_to_siret="73282932000074")
    done = _validated(client, form)
    # No FSE, no tiers payant: the « Facturer à » client owes the whole G 30,00.
    assert _text(done, "solde-patient") == "30,00 €"
    refused = client.post("/facture", headers=HX, data={**form, "tp_amo": "on"}).text
    assert "invoice-number" not in refused and "Erreur" in refused


def test_warnings_ask_a_confirmation_before_validation(
        client: TestClient, patient_id: int, doctor_id: int) -> None:
    # Mode dégradé: the paper sheet must follow — a warning, not an error (controls).
    form = _form(patient_id, doctor_id, secure_mode="degrade")
    asked = client.post("/facture", headers=HX, data=form).text
    assert "Valider malgré les avertissements" in asked and "invoice-number" not in asked
    done = client.post("/facture", headers=HX, data={**form, "confirmed": "on"}).text
    assert "invoice-number" in done and "Avertissement accepté" in done


# -- issue 6 gaps: prescriber created inline, securing with the card, ApCV start ----------------

def _luhn_rpps(stem: str) -> str:
    """An RPPS number: ``stem`` (10 digits) and its Luhn key (openfse.ids.rpps)."""
    from openfse.ids import rpps

    return stem + rpps.calc_check_digits(stem)


def _selected(html: str, select_id: str) -> str:
    block = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert block, select_id
    found = re.search(r'<option value="([^"]*)" selected', block.group(0))
    return found.group(1) if found else ""


def test_a_prescriber_created_from_the_invoice_is_chosen_and_nothing_typed_is_lost(
        client: TestClient, patient_id: int, doctor_id: int) -> None:
    # Manuel eS-KAP+ « Choix Prescripteur »: « Si le prescripteur n'est pas répertorié, cliquez sur
    # Créer »; the fiche's rules (nom and one identification number required) apply.
    form = _form(patient_id, doctor_id, **{"acts-1-code": "MN", "np_first_name": "Alice"})
    refused = client.post("/facture/prescripteur", headers=HX, data=form).text
    assert re.search(r'id="err-np_last_name"[^>]*>Le nom est requis', refused)
    assert re.search(r'id="err-np_rpps"[^>]*>Saisissez au moins un numéro', refused)
    assert 'value="MN"' in refused and 'value="Alice"' in refused  # the invoice stays
    number = _luhn_rpps("1000987650")
    form.update(np_last_name="Neuville", np_rpps=number, np_specialty_code="01")
    created = client.post("/facture/prescripteur", headers=HX, data=form).text
    assert "Prescripteur Neuville Alice créé et choisi." in created
    chosen = _selected(created, "prescriber_id")
    assert chosen and re.search(rf'<option value="{chosen}" selected>Neuville Alice', created)
    assert 'id="prescription" name="prescription" checked' in created
    assert 'value="MN"' in created and 'name="np_last_name" value=""' in created
    # The same RPPS twice: the fiche's duplicate check speaks.
    again = client.post("/facture/prescripteur", headers=HX, data=form).text
    assert re.search(r'id="err-np_rpps"[^>]*>Le prescripteur Neuville Alice porte déjà', again)


def _martin_paul(ctx: AppContext) -> int:
    from openfse.services import patients

    found = [p for p in patients.search_patients(unit_of(ctx), "MARTIN PAUL")
             if p.first_name == "PAUL"]
    return int(found[0].id)


def _invoice_id(page: str) -> int:
    found = re.search(r"/facture/(\d+)/paiement", page)
    assert found
    return int(found.group(1))


def test_invoices_waiting_for_the_card_are_secured_first(
        client: TestClient, ctx: AppContext, doctor_id: int) -> None:
    # Manuel eS-KAP+ « Factures poste de travail »: the card inserted, « il est possible de
    # sécuriser
    # la ou les factures avant de réaliser une facture avec cette carte vitale ».
    paul = _martin_paul(ctx)
    invoice_id = _invoice_id(_validated(client, _form(paul, doctor_id)))  # désynchronisé
    ctx.card_reader.remove()
    ctx.card_reader.insert("cps_titulaire")
    ctx.card_reader.insert("vitale_famille")
    page = client.get("/facture/vitale").text
    assert "attendent sa carte Vitale" in page and f'value="{invoice_id}" checked' in page
    done = client.post("/facture/vitale/securiser", data={"ids": str(invoice_id)}).text
    assert re.search(r'id="secured">1 facture\(s\) sécurisée\(s\)', done)
    assert f'value="{invoice_id}"' not in done  # no longer waiting
    assert invoicing_state(ctx, invoice_id).vitale_secured_at is not None
    assert _vitale_signature_is_the_cards(ctx, invoice_id, ctx.card_reader.certify_vitale)
    # Then « Facturer PAUL » as usual.
    chosen = client.post("/facture/vitale", data={"index": "0"}, follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"].endswith("&carte=1")


def test_invoices_waiting_for_the_card_are_secured_by_the_appli_carte_vitale(
        client: TestClient, ctx: AppContext, doctor_id: int) -> None:
    # The appli carte Vitale takes the card's part: its session signs the invoice's contenu
    # signé with the card's key, without the card in the reader.
    paul = _martin_paul(ctx)
    invoice_id = _invoice_id(_validated(client, _form(paul, doctor_id)))  # désynchronisé
    ctx.card_reader.remove()
    read = client.post("/facture/apcv", follow_redirects=False,
                       data={"mode": "qr", "payload": ctx.apcv.show_qr("vitale_famille")})
    token_page = read.headers["location"]
    done = client.post(f"{token_page}/securiser", data={"ids": str(invoice_id)}).text
    assert re.search(r'id="secured">1 facture\(s\) sécurisée\(s\)', done)
    ctx.card_reader.insert("vitale_famille")  # the same card signs the same bytes
    assert _vitale_signature_is_the_cards(ctx, invoice_id, ctx.card_reader.certify_vitale)
    ctx.card_reader.remove("vitale_famille")


def _vitale_signature_is_the_cards(ctx: AppContext, invoice_id: int,
                                   certify: Callable[[bytes], bytes]) -> bool:
    from openfse.services import invoicing

    row = invoicing.get_invoice(unit_of(ctx), invoice_id)
    expected: bytes = certify(invoicing.signed_content(row))
    return row.vitale_serial == "0100000001" and row.vitale_signature == expected.hex()


def invoicing_state(ctx: AppContext, invoice_id: int):  # type: ignore[no-untyped-def]
    from openfse.services import invoicing

    return invoicing.state_of(invoicing.get_invoice(unit_of(ctx), invoice_id))


def test_an_invoice_begun_without_the_card_is_secured_with_it(
        client: TestClient, ctx: AppContext, doctor_id: int) -> None:
    paul = _martin_paul(ctx)
    form = _form(paul, doctor_id, secure_mode="degrade")
    ctx.card_reader.remove()
    refused = client.post("/facture/carte", headers=HX, data=form).text
    assert re.search(r'id="err-secure_mode"[^>]*>La carte Vitale de ce patient n', refused)
    assert _selected(refused, "secure_mode") == "degrade"
    ctx.card_reader.insert("cps_titulaire")
    ctx.card_reader.insert("vitale_famille")
    secured = client.post("/facture/carte", headers=HX, data=form).text
    assert _selected(secured, "secure_mode") == "securise" and 'id="card-read"' in secured
    assert 'name="carte" value="1"' in secured


def test_a_desynchronised_invoice_is_secured_from_its_summary(
        client: TestClient, ctx: AppContext, doctor_id: int) -> None:
    paul = _martin_paul(ctx)
    done = _validated(client, _form(paul, doctor_id))
    invoice_id = _invoice_id(done)
    assert 'id="secure-invoice"' in done
    ctx.card_reader.remove()
    missing = client.post(f"/facture/{invoice_id}/securiser", headers=HX).text
    assert 'id="secured"' in missing and 'id="secure-invoice"' in missing
    ctx.card_reader.insert("cps_titulaire")
    ctx.card_reader.insert("vitale_famille")
    secured = client.post(f"/facture/{invoice_id}/securiser", headers=HX).text
    assert "Facture sécurisée par la carte Vitale." in secured
    assert 'id="secure-invoice"' not in secured


def test_the_appli_carte_vitale_opens_the_invoice_with_the_patient(
        client: TestClient, ctx: AppContext) -> None:
    payload = ctx.apcv.show_qr("vitale_at")  # what the patient's phone shows
    read = client.post("/facture/apcv", data={"mode": "qr", "payload": payload},
                       follow_redirects=False)
    assert read.status_code == 303
    chooser = client.get(read.headers["location"]).text
    assert "Facturer LUCAS" in chooser
    chosen = client.post(read.headers["location"], data={"index": "0"},
                         follow_redirects=False)
    assert chosen.status_code == 303
    # Manuel eS-KAP+: with the appli, ADRi is always asked; its rights go into the file.
    assert re.fullmatch(r"/facture\?patient=\d+&carte=apcv&adri=a-jour",
                        chosen.headers["location"])
    screen = client.get(chosen.headers["location"]).text
    assert "Réaliser une facture — GARCIA LUCAS" in screen
    assert "Droits AMO du jour obtenus par ADRi" in screen
    assert _selected(screen, "secure_mode") == "securise"
    # A QR code serves once.
    replay = client.post("/facture/apcv", data={"mode": "qr", "payload": payload})
    assert replay.status_code == 422 and 'id="apcv-error"' in replay.text


def test_anonymous_minor_is_in_full_tiers_payant(client: TestClient, ctx: AppContext,
                                                 doctor_id: int) -> None:
    # Rule (manuel eS-KAP+ « Prévention en santé sexuelle pour le mineur », docs/rules.md §D.2 exo 7
    # and D.7): nothing may be asked of an anonymous minor — G 30,00 exonerated as prevention
    # → AMO 100 % = 30,00 paid by the caisse to the PS (tiers payant AMO), patient 0,00.
    from openfse.services import patients

    minor = next(p for p in patients.search_patients(unit_of(ctx), "MARTIN HUGO")
                 if p.first_name == "HUGO")
    form = _form(minor.id, doctor_id, sante_sexuelle="on", anonymous_minor="on",
                 secure_mode="sesam_sans_vitale", formula="02A", parameter="100")
    recap = client.post("/facture/recapitulatif", headers=HX, data=form).text
    assert _text(recap, "total-amo") == "30,00 €"
    assert _text(recap, "total-amc") == "0,00 €"
    assert _text(recap, "a-regler") == "0,00 €"
    assert "Tiers payant : AMO oui, AMC non" in recap
    done = _validated(client, form)
    assert _text(done, "solde-patient") == "0,00 €"
    assert re.fullmatch(r"2555555\d{3}042\d{2}", _text(done, "billed-nir"))


def test_controls_are_also_said_next_to_their_field(client: TestClient, patient_id: int,
                                                    doctor_id: int) -> None:
    future = pricing_form.french_date(TODAY + timedelta(days=3))
    page = client.post("/facture", headers=HX, data=_form(
        patient_id, doctor_id, date_soins=future, anonymous_minor="on")).text
    summary = re.search(r'aria-label="Contrôles".*?</section>', page, re.S)
    assert summary and summary.group(0).count("<li") >= 2  # the block keeps them all
    assert re.search(r'data-for="date_soins">Erreur : ', page)
    assert re.search(r'data-for="anonymous_minor">Erreur : L&#39;anonymat du mineur', page)
    assert re.search(r'data-for="secure_mode">Erreur : Mineur anonyme', page)


def test_dates_are_typed_and_shown_jj_mm_aaaa(client: TestClient, patient_id: int,
                                             doctor_id: int) -> None:
    screen = client.get("/facture", params={"patient": patient_id}).text
    assert f'name="date_soins" value="{TODAY.strftime("%d/%m/%Y")}"' in screen
    doc = pricing_form.to_document({"date_soins": "7/1/2025", "nature_assurance": "maternite",
                                    "maternite_date": "2024-10-17"})
    assert doc["date_soins"] == "2025-01-07" and doc["maternite_date"] == "2024-10-17"
    refused = client.post("/facture", headers=HX, data=_form(
        patient_id, doctor_id, date_soins="31/02/2025")).text
    assert re.search(r'id="err-date_soins"[^>]*>Date invalide : « 31/02/2025 »', refused)
    assert 'value="31/02/2025"' in refused


def test_identical_acts_grouped_and_amo_service_forced(client: TestClient, ctx: AppContext,
                                                       patient_id: int, doctor_id: int) -> None:
    from openfse.services import invoicing

    # « Regrouper les actes identiques »: G + G → one line G × 2 = 60,00.
    form = _form(patient_id, doctor_id, group_identical="on", **{"acts-1-code": "G"})
    recap = client.post("/facture/recapitulatif", headers=HX, data=form).text
    assert _text(recap, "total-facture") == "60,00 €"
    assert re.search(r"<td>G × 2", recap)
    # « Forçage du service AMO »: code and dates typed, kept on the invoice.
    start = pricing_form.french_date(TODAY - timedelta(days=10))
    forced = _form(patient_id, doctor_id, forcage_amo_service="on", amo_service_code="10",
                   amo_service_start=start)
    invoice = invoicing.get_invoice(unit_of(ctx), _invoice_id(_validated(client, forced)))
    assert invoice.amo_service_code == "10"
    assert invoice.amo_service_start == TODAY - timedelta(days=10)


@pytest.mark.parametrize("path", ["/facture/vitale/securiser", "/facture/apcv/tok3n/securiser",
                                  "/facture/12/securiser"])
def test_securing_from_the_invoice_screen_needs_the_signing_permission(path: str) -> None:
    # Same rule as « Factures à sécuriser » (/factures/securiser): the secrétariat does not
    # secure invoices; creating a prescriber from the invoice stays preparation work.
    from openfse.services.access import Permission, permission_for

    assert permission_for("POST", path) is Permission.SIGN
    assert permission_for("POST", "/facture/prescripteur") is Permission.PATIENTS


def test_adri_down_does_not_stop_an_invoice_started_from_the_appli(
        client: TestClient, ctx: AppContext) -> None:
    import socket

    from openfse.composition import make_adri_client
    from openfse.services.teleservices import TeleserviceConfig

    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    working = ctx.adri
    ctx.adri = make_adri_client(TeleserviceConfig(
        backend="simulated-http", url=f"http://127.0.0.1:{closed}", max_attempts=1,
        total_budget=1.0))
    try:
        read = client.post("/facture/apcv", data={"mode": "qr",
                                                  "payload": ctx.apcv.show_qr("vitale_at")},
                           follow_redirects=False)
        chosen = client.post(read.headers["location"], data={"index": "0"},
                             follow_redirects=False)
    finally:
        ctx.adri = working
    assert chosen.headers["location"].endswith("&carte=apcv&adri=indisponible")
    screen = client.get(chosen.headers["location"]).text
    assert "ADRi ne répond pas : droits de la carte ou du dossier utilisés" in screen
    assert _selected(screen, "secure_mode") == "securise"


@pytest.mark.parametrize(("mode", "card", "asked"), [
    ("automatique_cible", "vitale_famille", False),  # the card's rights cover today
    ("automatique_cible", "vitale_droits_expires", True),  # they do not: ADRi says
    ("systematique", "vitale_famille", True),
    ("manuel", "vitale_droits_expires", False),  # only « Interroger l'ADRI »
])
def test_the_adri_mode_decides_when_a_vitale_start_asks_adri(
        client: TestClient, ctx: AppContext, mode: str, card: str, asked: bool) -> None:
    # Manuel eS-KAP+ « Préférences de facturation »: appel manuel / automatique ciblé (défaut) /
    # automatique systématique (``rights.should_call_adri``).
    before = client.get("/api/preferences").json()["adri_mode"]
    assert client.put("/api/preferences", json={"adri_mode": mode}).status_code == 200
    try:
        ctx.card_reader.remove()
        ctx.card_reader.insert("cps_titulaire")
        ctx.card_reader.insert(card)
        chosen = client.post("/facture/vitale", data={"index": "0"}, follow_redirects=False)
    finally:
        client.put("/api/preferences", json={"adri_mode": before})
    assert chosen.status_code == 303, chosen.text
    assert ("&adri=" in chosen.headers["location"]) is asked, chosen.headers["location"]
    if asked:
        screen = client.get(chosen.headers["location"]).text
        assert 'id="adri-notice"' in screen


@pytest.mark.parametrize(("mode", "asked"), [("automatique_cible", True), ("manuel", False)])
def test_an_invoice_from_the_patient_base_asks_adri_unless_manual(
        client: TestClient, ctx: AppContext, mode: str, asked: bool) -> None:
    # No card read today: in mode ciblé the day's rights come from ADRi (issue 4).
    paul = _martin_paul(ctx)
    before = client.get("/api/preferences").json()["adri_mode"]
    assert client.put("/api/preferences", json={"adri_mode": mode}).status_code == 200
    try:
        screen = client.get("/facture", params={"patient": paul}).text
        # The GET writes nothing (issue 12): the screen asks ADRi by a POST once shown.
        notice = client.post("/facture/adri", data={"patient_id": str(paul)}, headers=HX).text
    finally:
        client.put("/api/preferences", json={"adri_mode": before})
    assert 'id="adri-notice"' not in screen
    assert 'hx-post="/facture/adri"' in screen
    assert ('id="adri-notice"' in notice) is asked
    if asked:
        assert "Droits AMO du jour obtenus par ADRi et enregistrés dans le dossier." in notice


# -- convention chosen from the Inter-AMC answer (issue 6) --------------------------------------

ALMERYS = "98532001"  # manuel eS-KAP+: ALMERYS « Typ conv / CSR AL/001 »; AL/002: simulator data


def almerys_mutuelle(ctx: AppContext, patient_id: int) -> int:
    """A mutuelle ALMERYS in tiers payant whose attestation said convention AL / CSR 002
    (also used by tests/e2e/test_invoice.py)."""
    from decimal import Decimal

    from openfse.store.journal import JournalAction
    from openfse.store.models import AmcCoverage, AmcGestion, DataSource

    with unit_of(ctx) as uow:
        for row in uow.amc_coverages.for_patient(patient_id):
            if row.amc_number == ALMERYS and row.csr == "002":
                return int(row.id)
    uow = unit_of(ctx, actor="tests")
    with uow:
        row = AmcCoverage(patient_id=patient_id, amc_number=ALMERYS, amc_name="ALMERYS",
                          gestion=AmcGestion.UNIQUE, formula_code="052",
                          formula_parameter=Decimal(100), convention_type="AL", csr="002",
                          rights_start=date(TODAY.year, 1, 1),
                          rights_end=date(TODAY.year, 12, 31), tiers_payant=True,
                          contrat_responsable=True, source=DataSource.ATTESTATION)
        uow.journal_change(row, JournalAction.CREATE)
        uow.commit()
        return int(row.id)


def _checked(html: str) -> list[str]:
    return re.findall(r'name="amc_convention" id="[^"]+" value="([^"]*)" checked', html)


def test_the_directory_lists_the_conventions_and_the_chosen_one_is_saved(
        client: TestClient, ctx: AppContext, patient_id: int, doctor_id: int) -> None:
    # Manuel eS-KAP+: the Inter-AMC directory gives ALMERYS's conventions in force, AL/001
    # and AL/002 (simulator data); AL/002, stored on the patient's mutuelle, is preselected.
    coverage = almerys_mutuelle(ctx, patient_id)
    form = _form(patient_id, doctor_id, amc_coverage=str(coverage), tp_amc="on")
    listed = client.post("/facture/conventions", headers=HX, data=form).text
    assert unescape(_text(listed, "conventions-source")) == (
        "2 convention(s) trouvée(s) dans l'annuaire Inter-AMC.")
    assert re.findall(r'value="(AL\|\d{3})"', listed) == ["AL|001", "AL|002"]
    assert "ALMERYS — routage AL2, hôte almerys-dentaire" in listed
    assert _checked(listed) == ["AL|002"]
    # The user's own choice (for this AMC) wins over the mutuelle's on the next answer.
    again = client.post("/facture/conventions", headers=HX, data={
        **form, "amc_convention": "AL|001", "amc_convention_amc": ALMERYS}).text
    assert _checked(again) == ["AL|001"]
    # Without tiers payant AMC nothing is asked (the convention routes the AMC's share).
    assert "amc_convention" not in client.post(
        "/facture/conventions", headers=HX, data={**form, "tp_amc": ""}).text
    # A form drawn again (here a refused date) keeps the choice and asks the list again.
    refused = client.post("/facture", headers=HX, data={
        **form, "date_soins": "31/02/2026", "amc_convention": "AL|001",
        "amc_convention_amc": ALMERYS}).text
    assert 'name="amc_convention" value="AL|001"' in refused
    assert 'hx-trigger="load, change from:#amc_coverage' in refused
    # Saved with the invoice and shown on the résumé.
    done = _validated(client, {**form, "amc_convention": "AL|001", "amc_convention_amc": ALMERYS})
    assert _text(done, "amc-convention") == (
        f"Convention AMC : type AL, critère secondaire 001 (AMC n° {ALMERYS})")
    with unit_of(ctx) as uow:
        saved = uow.invoices.get(_invoice_id(done))
        assert (saved.amc_number, saved.amc_convention_type, saved.amc_csr) == (
            ALMERYS, "AL", "001")


class _DirectoryDown:
    def conventions(self, amc_number: str, on: date) -> list[object]:
        from openfse.adapters.teleservices.port import InterAmcUnavailable

        raise InterAmcUnavailable("connexion_impossible", attempts=3, elapsed=0.4)


def test_directory_down_gives_the_local_tables_and_never_blocks_the_invoice(
        client: TestClient, ctx: AppContext, patient_id: int, doctor_id: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Manuel eS-KAP+: « S'il échoue il récupère depuis les tables de convention »: the shipped
    # table knows ALMERYS AL/001 only, so the mutuelle's AL/002 is not preselected.
    monkeypatch.setattr(ctx, "interamc", _DirectoryDown())
    coverage = almerys_mutuelle(ctx, patient_id)
    form = _form(patient_id, doctor_id, amc_coverage=str(coverage), tp_amc="on")
    listed = client.post("/facture/conventions", headers=HX, data=form).text
    assert unescape(_text(listed, "conventions-source")) == (
        "Annuaire Inter-AMC indisponible (connexion impossible). Conventions "
        "lues dans les tables locales. 1 convention(s) trouvée(s) dans les tables de "
        "conventions locales.")
    assert re.findall(r'value="(AL\|\d{3})"', listed) == ["AL|001"]
    assert _checked(listed) == [""]  # « Aucune convention »
    # The invoice is validated all the same, without a convention.
    done = _validated(client, form)
    assert 'id="amc-convention"' not in done
