"""The Patients menu in a real Chromium, end to end: search, creation by hand / ADRi / carte
Vitale / appli carte Vitale, modification, deletion, merge, family, « Interroger l'ADRI ».

These tests run their own server on their own demo database (the card reader, the appli carte
Vitale and ADRi of that server are in reach: inserting a test card is the test's hands), so
the patients they create never change what other e2e files count. Screenshots:
``tests/e2e/artifacts/patients-*.png``.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text
from uow_support import unit_of

from openfse.config import Settings
from openfse.domain.clock import Clock

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@dataclass
class Desk:
    url: str
    ctx: Any  # openfse.services.context.AppContext of the server

    def insert(self, *cards: str) -> None:
        reader = self.ctx.card_reader
        reader.remove()
        for card in cards:
            reader.insert(card)

    def patient_id(self, last_name: str, first_name: str) -> int:
        from openfse.services import patients

        found = [p for p in patients.search_patients(unit_of(self.ctx), f"{last_name} {first_name}")
                 if p.last_name == last_name and p.first_name == first_name]
        assert len(found) == 1, found
        return int(found[0].id)

    def sql(self, statement: str, **params: object) -> None:
        with self.ctx.sessions() as session:
            session.execute(text(statement), params)
            session.commit()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    from web_server import serving

    from openfse.composition.demo import load_demo
    from openfse.web.app import create_app

    home = tmp_path_factory.mktemp("patients-e2e")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=Clock().today())
    app = create_app(settings)
    with serving(app) as url:
        yield Desk(url, app.state.ctx)


@pytest.fixture()
def tablet(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"patients-{name}.png"), full_page=True)


def field_error(page: Page, name: str) -> Any:
    return page.locator(f"#err-{name}")


# --------------------------------------------------------------------------- search


def test_search_filters_sorts_and_opens_with_the_keyboard(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/patients")
    search = page.get_by_label("Rechercher")
    expect(search).to_be_focused()
    search.type("mart")
    rows = page.get_by_role("table", name="Patients").locator("tbody tr")
    # The MARTIN family of the test card; SOPHIE DUBOIS is found by her nom d'usage.
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("DUBOIS")
    page.get_by_label("Ordre de tri").select_option("desc")
    expect(rows.first).to_contain_text("PAUL")
    shot(page, "search")
    search.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#patient-rows a.pat-row").nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("MARTIN LEA")


def test_the_alert_shows_when_a_file_opens_and_the_list_flags_it(page: Page,
                                                                  desk: Desk) -> None:
    page.goto(f"{desk.url}/patients?q=richard")  # the demo patient with a penicillin alert
    expect(page.locator("#patient-rows")).to_contain_text("⚠ alerte")
    page.locator("#patient-rows a.pat-row").first.click()
    expect(page.get_by_role("alert").filter(has_text="Allergie à la pénicilline")).to_be_visible()
    shot(page, "file-alert")


# --------------------------------------------------------------------------- by hand


def test_manual_creation_points_at_the_wrong_nir_key_and_keeps_everything_typed(
        page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/patients")
    page.keyboard.press("Alt+n")  # « Nouveau patient »
    expect(page).to_have_url(re.compile(r"/patients/nouveau$"))
    page.keyboard.press("Alt+m")  # « Manuel »
    expect(page.get_by_label("Nom", exact=True)).to_be_focused()
    page.get_by_label("Nom", exact=True).fill("ZEPHYRIN")
    page.get_by_label("Prénom", exact=True).fill("Ondine")
    page.get_by_label("Date de naissance").fill("15/00/1980")
    page.get_by_label("Date lunaire").check()
    page.get_by_label("Bénéficiaire qualité").select_option("00")
    # Born abroad (département 99) with the month unknown to the civil record (50).
    page.get_by_label("N° de sécurité sociale de l'assuré").fill("2 80 50 99 350 002 12")
    page.get_by_label("Téléphone principal").fill("06 12 34 56 78")
    page.get_by_label("IK (plaine)").fill("3,5")
    page.get_by_label("Sélectionner AMO (nom ou code)").fill("01 751")
    page.locator("#pat-organism-results button").first.click()
    expect(page.get_by_label("Caisse", exact=True)).to_have_value("751")
    page.get_by_label("Code gestion").fill("10")
    page.get_by_label("Pièce justificative").select_option("attestation")
    expect(page.get_by_label("Taux de remboursement")).to_be_visible()
    page.get_by_label("Taux de remboursement").select_option("100_ald")
    page.get_by_label("Début de la période 1").fill("2026-01-01")
    page.get_by_label("Fin de la période 1").fill("2026-12-31")
    page.get_by_role("button", name="+ Ajouter une ALD").click()
    page.get_by_label("Numéro de l'ALD 1").fill("8")
    page.get_by_label("Code CIM-10 de l'ALD 1").fill("E11")
    page.get_by_label("Alerte affichée à l'ouverture du dossier").fill("Diabétique sous insuline")
    page.get_by_label("Début de la période 1").press("Enter")  # Enter saves

    # 2805099350002 mod 97 = 2, key 97 − 2 = 95: the typed key 12 is wrong.
    error = field_error(page, "nir")
    expect(error).to_contain_text("Clé du NIR incorrecte : 12 saisie, 95 attendue")
    expect(page.get_by_label("N° de sécurité sociale de l'assuré")).to_be_focused()
    expect(page.get_by_label("Nom", exact=True)).to_have_value("ZEPHYRIN")
    expect(page.get_by_label("IK (plaine)")).to_have_value("3,5")
    expect(page.get_by_label("Numéro de l'ALD 1")).to_have_value("8")
    expect(page.get_by_label("Caisse", exact=True)).to_have_value("751")
    shot(page, "manual-nir-error")

    page.get_by_label("N° de sécurité sociale de l'assuré").fill("2 80 50 99 350 002 95")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Enregistrement correctement effectué.")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Diabétique sous insuline")).to_be_visible()
    expect(page.get_by_role("table", name="Droits AMO")).to_contain_text("01 751")
    expect(page.locator("body")).to_contain_text("date lunaire")
    expect(page.locator("body")).to_contain_text("ALD 8")
    shot(page, "manual-created")


def test_a_provisional_nir_needs_caisse_and_centre(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/patients/nouveau/manuel")
    page.get_by_label("Nom", exact=True).fill("YSEULT")
    page.get_by_label("Date de naissance").fill("01/01/1983")
    page.get_by_label("N° de sécurité sociale de l'assuré").fill("7 83 01 75 111 001 40")
    page.get_by_role("button", name="Valider").click()
    for name in ("amo_regime", "amo_caisse", "amo_centre"):
        expect(field_error(page, name)).to_contain_text("NIR provisoire")
    expect(page.get_by_label("Nom", exact=True)).to_have_value("YSEULT")
    shot(page, "manual-provisional")


def test_a_client_professionnel_is_created_without_nir(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/patients/nouveau")
    page.get_by_role("link", name=re.compile("Client professionnel")).click()
    expect(page.get_by_label("Client professionnel (une société")).to_be_checked()
    expect(page.get_by_label("N° de sécurité sociale de l'assuré")).to_be_hidden()
    page.get_by_label("Raison sociale").fill("XYLOPHONE TRANSPORTS SAS")
    page.get_by_label("SIRET").fill("732 829 320 00074")
    page.get_by_label("Commune").fill("Lyon")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("XYLOPHONE TRANSPORTS SAS")
    expect(page.locator("body")).to_contain_text("client professionnel")


# --------------------------------------------------------------------------- modify / delete


def test_a_card_file_shows_its_identity_greyed_and_saves_the_phone(page: Page,
                                                                    desk: Desk) -> None:
    paul = desk.patient_id("MARTIN", "PAUL")
    page.goto(f"{desk.url}/patients/{paul}")
    page.keyboard.press("Alt+m")  # « Modifier dossier »
    name = page.get_by_label("Nom", exact=True)
    expect(name).to_have_attribute("readonly", "")
    expect(page.get_by_text("ne sont pas modifiables et sont grisées")).to_be_visible()
    expect(page.get_by_label("Téléphone principal")).to_be_focused()
    page.get_by_label("Téléphone principal").fill("0611")
    page.get_by_role("button", name="Valider").click()
    expect(field_error(page, "mobile_phone")).to_contain_text("Numéro de téléphone invalide")
    expect(page.get_by_label("Téléphone principal")).to_have_value("0611")
    shot(page, "edit-card-file")
    page.get_by_label("Téléphone principal").fill("06 11 22 33 44")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Modifications enregistrées.")).to_be_visible()
    expect(page.locator("body")).to_contain_text("06 11 22 33 44")
    expect(page.get_by_role("heading", level=1)).to_contain_text("MARTIN PAUL")


def _nir(order: int) -> str:
    """A valid NIR of a man born in January 1983 in Paris, with this order number."""
    from openfse.ids import nir

    body = f"18301751110{order:02d}"
    return body + nir.calc_check_digits(body)


def _create_by_hand(page: Page, desk: Desk, last_name: str, first_name: str, *, order: int,
                    rank: str = "1", phone: str = "") -> int:
    page.goto(f"{desk.url}/patients/nouveau/manuel")
    page.get_by_label("Nom", exact=True).fill(last_name)
    page.get_by_label("Prénom", exact=True).fill(first_name)
    page.get_by_label("Date de naissance").fill("01/01/1983")
    page.get_by_label("Rang").fill(rank)
    page.get_by_label("N° de sécurité sociale de l'assuré").fill(_nir(order))
    if phone:
        page.get_by_label("Téléphone principal").fill(phone)
    page.get_by_label("Code régime").fill("01")
    page.get_by_label("Caisse", exact=True).fill("751")
    page.get_by_label("Centre", exact=True).fill("9881")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Enregistrement correctement effectué.")).to_be_visible()
    match = re.search(r"/patients/(\d+)", page.url)
    assert match is not None
    return int(match.group(1))


def test_delete_asks_first_escape_keeps_the_file_yes_deletes_it(page: Page,
                                                                 desk: Desk) -> None:
    patient = _create_by_hand(page, desk, "WAGNERIEN", "Otto", order=11)
    page.get_by_role("link", name="Supprimer dossier").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Supprimer définitivement le dossier de WAGNERIEN Otto")
    expect(dialog.get_by_role("link", name=re.compile("^Non"))).to_be_focused()
    shot(page, "delete-confirm")
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(rf"/patients/{patient}$"))
    page.get_by_role("link", name="Supprimer dossier").click()
    page.get_by_role("button", name="Oui, supprimer").click()
    expect(page.get_by_text("Dossier supprimé.")).to_be_visible()
    page.goto(f"{desk.url}/patients/{patient}")
    expect(page.get_by_role("alert")).to_contain_text("introuvable")


def test_a_file_with_invoices_is_not_deleted_and_merging_is_proposed(
        page: Page, desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from openfse.services import patients

    patient = _create_by_hand(page, desk, "VALBONNE", "Ines", order=12)
    real = patients.patient_has_invoices
    # Billing is another module: here this file "has" an invoice, the others keep the truth.
    monkeypatch.setattr(patients, "patient_has_invoices",
                        lambda uow, pid: pid == patient or real(uow, pid))
    page.get_by_role("link", name="Supprimer dossier").click()
    page.get_by_role("button", name="Oui, supprimer").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("a des factures : il ne peut pas être supprimé")
    expect(dialog.get_by_role("link", name="Fusionner")).to_be_focused()
    shot(page, "delete-refused")
    dialog.get_by_role("link", name="Fusionner").click()
    expect(page.get_by_role("heading", name="Fusionner deux dossiers")).to_be_visible()


def test_merging_two_files_keeps_one_with_everything(page: Page, desk: Desk) -> None:
    keep = _create_by_hand(page, desk, "UBALDINI", "Rosa", order=13)
    twin = _create_by_hand(page, desk, "UBALDINI", "Rosa-Maria", order=13, rank="2",
                           phone="0699887766")
    page.goto(f"{desk.url}/patients/{keep}")
    page.get_by_role("link", name="Fusionner").click()
    page.get_by_label("Dossier à fusionner avec celui de UBALDINI Rosa").fill("ubaldini")
    expect(page.locator("#pat-pick")).to_contain_text("Rosa-Maria")
    page.get_by_role("button", name="Comparer les deux dossiers").click()
    table = page.get_by_role("table", name="Dossiers à fusionner")
    expect(table).to_contain_text("Rosa-Maria")
    expect(page.get_by_label(f"conserver n° {keep}")).to_be_checked()
    shot(page, "merge")
    page.get_by_role("button", name="Fusionner les deux dossiers").click()
    expect(page.get_by_text("Dossiers fusionnés.")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/patients/{keep}\?"))
    expect(page.locator("body")).to_contain_text("06 99 88 77 66")  # the empty phone was filled
    expect(page.get_by_role("table", name="Droits AMO").locator("tbody tr")).to_have_count(2)
    page.goto(f"{desk.url}/patients/{twin}")
    expect(page.get_by_role("alert")).to_contain_text("introuvable")


# --------------------------------------------------------------------------- family


def test_family_links_show_relations_and_the_family_balance(page: Page, desk: Desk) -> None:
    paul = desk.patient_id("MARTIN", "PAUL")
    page.goto(f"{desk.url}/patients/{paul}")
    page.keyboard.press("Alt+f")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Famille et relations de PAUL")
    page.get_by_label("Rechercher le patient à lier").fill("martin h")
    expect(page.locator("#pat-pick")).to_contain_text("HUGO")
    page.get_by_label("Relation (ce patient est… de PAUL)").select_option("enfant")
    page.get_by_role("button", name="Ajouter le lien").click()
    expect(page.get_by_text("Lien familial ajouté.")).to_be_visible()
    family = page.get_by_role("table", name="Famille")
    expect(family).to_contain_text("MARTIN HUGO")
    expect(family).to_contain_text("Enfant")
    expect(page.locator("#pat-family-balance")).to_have_text(re.compile(r"0,00\s€"))
    shot(page, "family")
    # Adding the same relative again is refused next to the search field.
    page.get_by_label("Rechercher le patient à lier").fill("martin h")
    expect(page.locator("#pat-pick")).to_contain_text("HUGO")
    page.get_by_role("button", name="Ajouter le lien").click()
    expect(field_error(page, "relative_id")).to_contain_text("déjà lié")
    # Seen from Hugo's file, Paul is his parent.
    page.goto(f"{desk.url}/patients/{desk.patient_id('MARTIN', 'HUGO')}")
    expect(page.locator("section", has_text="Famille")).to_contain_text("Parent")
    page.goto(f"{desk.url}/patients/{paul}/famille")
    page.get_by_role("button", name="Retirer le lien avec MARTIN HUGO").click()
    expect(page.get_by_text("Lien familial retiré.")).to_be_visible()


# --------------------------------------------------------------------------- ADRi


def test_adri_renews_closed_rights_through_the_compare_screen(page: Page, desk: Desk) -> None:
    anne = desk.patient_id("PETIT", "ANNE")  # her card says rights closed on 31/12/2024
    page.goto(f"{desk.url}/patients/{anne}")
    expect(page.locator("#pat-rights-closed")).to_contain_text("Droits AMO fermés")
    shot(page, "rights-closed")
    page.keyboard.press("Alt+a")  # « Interroger l'ADRi »
    expect(page.get_by_role("heading", name="Choix informations AMO")).to_be_visible()
    rights = page.get_by_role("row", name=re.compile("Droits AMO"))
    expect(rights).to_contain_text("du 01/01/2022 au 31/12/2024")
    expect(rights).to_contain_text("du 01/01/2025 au …")
    expect(page.get_by_label("Droits AMO : ADRi")).to_be_checked()
    shot(page, "adri-compare")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Informations AMO enregistrées.")).to_be_visible()
    expect(page.locator("#pat-rights-closed")).to_have_count(0)
    expect(page.get_by_role("table", name="Droits AMO")).to_contain_text("ADRi")


def test_adri_down_says_to_bill_with_the_card(page: Page, desk: Desk) -> None:
    from openfse.composition import make_adri_client
    from openfse.services.teleservices import TeleserviceConfig

    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    working = desk.ctx.adri
    desk.ctx.adri = make_adri_client(TeleserviceConfig(
        backend="simulated-http", url=f"http://127.0.0.1:{closed}", max_attempts=1,
        total_budget=1.0))
    try:
        paul = desk.patient_id("MARTIN", "LEA")
        page.goto(f"{desk.url}/patients/{paul}")
        page.get_by_role("button", name=re.compile("Interroger l'ADRi")).click()
        message = page.locator("#pat-adri-message")
        expect(message).to_contain_text("ADRi indisponible")
        expect(message).to_contain_text("facturez avec les droits de la carte Vitale")
        shot(page, "adri-down")
        page.goto(f"{desk.url}/patients/nouveau/adri")
        page.get_by_label("N° de sécurité sociale de l'assuré").fill("1 52 06 69 123 045 48")
        page.get_by_label("Date de naissance du patient").fill("21/06/1952")
        page.get_by_role("button", name="Valider").click()
        expect(page.locator("#pat-adri-message")).to_contain_text("ADRi indisponible")
        page.get_by_role("link", name="Créer le patient en mode manuel").click()
        expect(page.get_by_label("N° de sécurité sociale de l'assuré")).to_have_value(
            "1 52 06 69 123 045 48")
        expect(page.get_by_label("Date de naissance")).to_have_value("21/06/1952")
    finally:
        desk.ctx.adri = working


def test_adri_about_someone_else_asks_the_adrun_question(page: Page, desk: Desk) -> None:
    # Manuel eS-KAP+ « Consultation ADRI - ADRUN »: the file has no first name, ADRi says Baptiste.
    page.goto(f"{desk.url}/patients/nouveau/manuel")
    page.get_by_label("Nom", exact=True).fill("ADRUN")
    page.get_by_label("Date de naissance").fill("14/08/1948")
    page.get_by_label("N° de sécurité sociale de l'assuré").fill("1 48 08 13 055 003 87")
    page.get_by_label("Code régime").fill("01")
    page.get_by_label("Caisse", exact=True).fill("349")
    page.get_by_label("Centre", exact=True).fill("9881")
    page.get_by_role("button", name="Valider").click()
    page.get_by_role("button", name=re.compile("Interroger l'ADRi")).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Consultation ADRI - ADRUN")
    expect(dialog).to_contain_text("concernent cependant ADRUN Baptiste")
    shot(page, "adrun")
    dialog.get_by_role("link", name="Oui").click()
    expect(page.get_by_role("heading", name="Choix informations AMO")).to_be_visible()
    page.get_by_role("button", name="☐ Informations provenant du patient").click()
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Les informations du dossier sont conservées.")).to_be_visible()


def test_creating_by_adri_checks_the_nir_and_shows_closed_rights(page: Page,
                                                                 desk: Desk) -> None:
    page.goto(f"{desk.url}/patients/nouveau")
    page.keyboard.press("Alt+i")
    nir = page.get_by_label("N° de sécurité sociale de l'assuré")
    expect(nir).to_be_focused()
    nir.fill("1 52 06 69 123 045 12")
    page.get_by_label("Date de naissance du patient").fill("21/06/1952")
    page.get_by_label("Date de naissance du patient").press("Enter")
    # 1520669123045 mod 97 = 49, key 97 − 49 = 48.
    expect(field_error(page, "nir")).to_contain_text(
        "Clé du NIR incorrecte : 12 saisie, 48 attendue")
    expect(page.get_by_label("Date de naissance du patient")).to_have_value("21/06/1952")
    shot(page, "adri-new-error")
    nir.fill("1 52 06 69 123 045 48")
    page.get_by_role("button", name="Valider").click()
    # DUBOIS Jean: rights ended 30/06/2026 (ADRi simulator data set).
    expect(page.get_by_text("Dossier créé depuis l'ADRi")).to_be_visible()
    expect(page.get_by_label("Nom", exact=True)).to_have_value("DUBOIS")
    expect(page.get_by_label("Nom", exact=True)).to_have_attribute("readonly", "")
    page.get_by_label("Téléphone principal").fill("0102030405")
    page.get_by_role("button", name="Valider").click()
    if Clock().today() > date(2026, 6, 30):
        expect(page.locator("#pat-rights-closed")).to_contain_text("Droits AMO fermés")
    shot(page, "adri-created")


# --------------------------------------------------------------------------- carte Vitale / ApCV


def test_vitale_lists_beneficiaries_in_colour_and_creates_or_updates(page: Page,
                                                                     desk: Desk) -> None:
    desk.insert("vitale_famille")  # no CPS in the reader
    page.goto(f"{desk.url}/patients/nouveau/vitale")
    expect(page.locator("#pat-card-error")).to_contain_text("carte CPS")
    desk.insert("cps_titulaire", "vitale_famille")
    hugo = desk.patient_id("MARTIN", "HUGO")
    desk.sql("UPDATE patient SET first_name = 'UGO' WHERE id = :id", id=hugo)
    page.get_by_role("link", name="Relire la carte").click()
    table = page.get_by_role("table", name="Bénéficiaires")
    expect(table.get_by_text("Connu, à jour")).to_have_count(3)
    yellow = table.locator("tr", has_text="Connu, à mettre à jour")
    expect(yellow).to_contain_text("HUGO")
    expect(yellow).to_contain_text("prénom")  # the difference: HUGO on the card, UGO here
    shot(page, "vitale-colours")
    yellow.get_by_role("button", name="Mettre à jour le dossier").click()
    expect(page.get_by_text("Dossier mis à jour depuis la carte Vitale.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("MARTIN HUGO")

    desk.insert("cps_titulaire", "vitale_sans_amc")
    page.goto(f"{desk.url}/patients/nouveau/vitale")
    grey = page.get_by_role("table", name="Bénéficiaires").locator("tr", has_text="Inconnu")
    expect(grey).to_contain_text("BLANC")
    grey.get_by_role("button", name="Créer le dossier").click()
    expect(page.get_by_text("Dossier créé depuis la carte Vitale.")).to_be_visible()
    expect(page.get_by_role("table", name="Droits AMO")).to_contain_text("Carte Vitale")
    desk.ctx.card_reader.remove("vitale_sans_amc")  # the CPS stays
    page.goto(f"{desk.url}/patients/nouveau/vitale")
    expect(page.locator("#pat-card-error")).to_contain_text("Carte Vitale attendue")


def test_the_appli_carte_vitale_by_qr_code_then_asks_adri(page: Page, desk: Desk) -> None:
    payload = desk.ctx.apcv.show_qr("vitale_at")  # what the patient's phone displays
    page.goto(f"{desk.url}/patients/nouveau")
    page.keyboard.press("Alt+p")
    page.get_by_label("Contenu du QR code").fill(payload)  # a 2D scanner types it
    page.get_by_label("Contenu du QR code").press("Enter")
    grey = page.get_by_role("table", name="Bénéficiaires").locator("tr", has_text="Inconnu")
    expect(grey).to_contain_text("GARCIA")
    shot(page, "apcv-beneficiaries")
    grey.get_by_role("button", name="Créer le dossier").click()
    # ApCV: ADRi is always called (manuel eS-KAP+) — its compare screen follows.
    expect(page.get_by_role("heading", name="Choix informations AMO")).to_be_visible()
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("GARCIA LUCAS")
    # The same QR code cannot open a second session.
    page.goto(f"{desk.url}/patients/nouveau/apcv")
    page.get_by_label("Contenu du QR code").fill(payload)
    page.get_by_role("button", name="Lire le QR code").click()
    expect(page.locator("#pat-apcv-error")).to_be_visible()
    expect(page.get_by_label("Contenu du QR code")).to_have_attribute(
        "aria-describedby", "pat-apcv-error")
    shot(page, "apcv-qr-used")
    # NFC: the phone laid on the reader; GARCIA is now known.
    desk.ctx.apcv.present_phone("vitale_at")
    page.get_by_role("button", name="Lire le téléphone").click()
    expect(page.get_by_role("table", name="Bénéficiaires")).to_contain_text("Connu, à jour")
    desk.ctx.apcv.withdraw_phone()


# --------------------------------------------------------------------------- tablet


def test_the_screens_fit_a_1024x768_tablet(tablet: Page, desk: Desk) -> None:
    page = tablet
    for path, name in (("/patients?q=dub", "tablet-list"), ("/patients/nouveau/manuel",
                                                            "tablet-form"),
                       (f"/patients/{desk.patient_id('MOREAU', 'JACQUES')}", "tablet-file")):
        page.goto(desk.url + path)
        # Nothing wider than the screen: no horizontal scrolling at the desk.
        shot(page, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1024, (path, width)
