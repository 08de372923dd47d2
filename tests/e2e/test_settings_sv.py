"""Paramètres SV in a real Chromium: the AMO and AMC organism lists — add (errors next to the
fields, typed values kept), search by name or number, A>Z / Z>A, modify, delete with its
confirmation, deletion refused while patients use the organism, a 1024×768 tablet."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


def _name(prefix: str) -> str:
    return prefix + " " + "".join(secrets.choice("BCDFGHJKLMNPRSTVZ") for _ in range(6))


def test_add_modify_and_delete_an_amo_organism(page: Page, live_server: str,
                                               screenshot) -> None:  # type: ignore[no-untyped-def]
    centre = _digits(4)
    page.goto(f"{live_server}/parametres")
    page.get_by_role("link", name="Liste des organismes AMO utilisés").click()
    # A shortcut pressed while the list is still loading would go to the page being left.
    expect(page).to_have_url(re.compile(r"/parametres\?liste=amo$"))
    page.wait_for_load_state()
    page.keyboard.press("Alt+n")  # « Ajouter un organisme AMO »
    expect(page.get_by_role("heading", name="Ajout organisme AMO")).to_be_visible()
    # Manuel eS-KAP+, « Ajout organisme AMO »: régime 01, caisse 349 (not in the 2020 list of
    # caisses,
    # so its name must be typed), then « Mise à jour ».
    page.get_by_label("Régime requis").fill("01")
    page.get_by_label("Caisse requis").fill("34")
    page.get_by_label("Centre requis").fill(centre)
    page.get_by_label("Flux").fill("EDI")
    page.get_by_label("Flux").press("Enter")
    expect(page.locator("#err-caisse")).to_have_text(
        "Le code caisse doit comporter 3 chiffres (« 34 » saisi).")
    expect(page.get_by_label("Flux")).to_have_value("EDI")
    page.get_by_label("Caisse requis").fill("349")
    page.get_by_label("Caisse requis").press("Enter")
    expect(page.locator("#err-name")).to_contain_text("Le nom est requis")
    screenshot("organisme-amo-erreur")
    name = _name("CPAM TEST")
    page.get_by_label("Nom", exact=True).fill(name)
    page.get_by_label("Nom", exact=True).press("Enter")
    expect(page.get_by_role("status")).to_contain_text("les modifications ont bien été prises")
    page.get_by_label("Rechercher").fill(f"01 349 {centre}")  # by number
    table = page.get_by_role("table", name="Organismes AMO")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text(name)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Fiche organisme AMO")).to_be_visible()
    page.get_by_label("Type destinataire").fill("01")
    page.keyboard.press("Alt+v")
    expect(page).to_have_url(re.compile(r"liste=amo&fait=enregistre"))
    page.get_by_label("Rechercher").fill(name)
    page.get_by_role("link", name=name).click()
    expect(page.get_by_label("Type destinataire")).to_have_value("01")
    page.keyboard.press("Alt+x")  # « Supprimer la fiche »
    dialog = page.get_by_role("dialog", name="Suppression de fiche d'organisme AMO")
    expect(dialog).to_contain_text("Confirmez-vous la suppression de cette fiche d'organisme AMO ?")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("Alt+x")
    dialog.get_by_role("button", name="Oui, supprimer").click()
    expect(page.get_by_role("status")).to_have_text("La fiche a été supprimée.")
    page.get_by_label("Rechercher").fill(name)
    expect(page.get_by_role("table", name="Organismes AMO")).to_contain_text("Aucun organisme")


def test_an_organism_used_by_patients_cannot_be_deleted(page: Page, live_server: str,
                                                        screenshot) -> None:  # type: ignore[no-untyped-def]
    # Demo patients have MGEN contracts (openfse.composition.demo): the MGEN fiche is in use.
    page.goto(f"{live_server}/parametres?liste=amc&q=mgen")
    page.get_by_role("table", name="Organismes AMC").get_by_role("link").first.click()
    page.get_by_role("button", name="Supprimer la fiche").click()
    page.get_by_role("dialog").get_by_role("button", name="Oui, supprimer").click()
    expect(page.get_by_role("alert")).to_contain_text("Suppression impossible : l'organisme AMC")
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"\d+ contrats? AMC de patient"))
    expect(page.get_by_label("Nom requis")).to_have_value(re.compile("MGEN", re.I))
    screenshot("organisme-amc-utilise")


def test_add_an_amc_organism_search_by_number_and_sort(page: Page, live_server: str,
                                                       screenshot) -> None:  # type: ignore[no-untyped-def]
    name = _name("MUTUELLE E2E")
    number = "7" + _digits(8)
    page.goto(f"{live_server}/parametres?liste=amc")
    page.get_by_role("link", name=re.compile("Ajouter un organisme AMC")).click()
    # Manuel eS-KAP+: a new AMC fiche starts with « Type contrat 0 » and « Gestion séparée ».
    expect(page.get_by_label("Type contrat")).to_have_value("0")
    expect(page.get_by_label("Gestion séparée")).to_be_checked()
    page.get_by_label("Nom requis").fill(name)
    page.get_by_label("Numéro (NRM ou AMC)").fill("12345")
    page.get_by_label("Gestion unique").check()
    page.get_by_label("Ville").fill("NANCY CEDEX")
    page.get_by_label("Critère secondaire de routage").fill("001")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#err-number")).to_have_text(
        "Le numéro AMC doit comporter de 7 à 10 chiffres (5 saisis).")
    expect(page.get_by_label("Gestion unique")).to_be_checked()  # nothing typed is lost
    expect(page.get_by_label("Critère secondaire de routage")).to_have_value("001")
    screenshot("organisme-amc-erreur")
    page.get_by_label("Numéro (NRM ou AMC)").fill(number)
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"liste=amc&fait=enregistre"))
    page.get_by_label("Rechercher").fill(number[:6])
    table = page.get_by_role("table", name="Organismes AMC")
    expect(table).to_contain_text(name)
    expect(table).to_contain_text("Gestion unique")
    # Sort: a second organism of the same stem, "…A" before "…Z" in A>Z and after in Z>A.
    stem = name.split()[-1]
    for suffix in ("A", "Z"):
        response = page.request.post(f"{live_server}/api/organisms/amc", data={
            "name": f"{stem} {suffix}", "number": "6" + _digits(8)})
        assert response.status == 201, response.text()
    page.get_by_label("Rechercher").fill(stem)
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"{stem} A")
    page.get_by_label("Ordre de tri").select_option("desc")
    expect(rows.first).to_contain_text(f"{stem} Z")
    screenshot("organismes-amc")


def test_organism_screens_fit_a_tablet(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR")
    page = context.new_page()
    for path in ("/parametres?liste=amc", "/parametres/amc/nouveau", "/parametres/amo/nouveau"):
        page.goto(f"{live_server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1024, f"{path} scrolls sideways on a tablet ({width}px)"
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#err-regime")).to_be_visible()
    page.screenshot(path="tests/e2e/artifacts/organisme-amo-tablette.png", full_page=True)
    context.close()
