"""Prescripteurs in a real Chromium: create with the keyboard (errors next to the fields, typed
values kept), live search A>Z / Z>A, modify, delete with its confirmation (Échap and « Non »
keep the fiche), a 1024×768 tablet. Every test makes prescribers with its own unique names."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from openfse.ids import rpps as rpps_id


def _name(prefix: str) -> str:
    return prefix + "".join(secrets.choice("BCDFGHJKLMNPRSTVZ") for _ in range(6))


def _rpps() -> str:
    body = "3" + "".join(secrets.choice("0123456789") for _ in range(9))
    return body + rpps_id.calc_check_digits(body)


def _create(page: Page, live_server: str, last_name: str, first_name: str = "Anne") -> int:
    response = page.request.post(f"{live_server}/api/prescribers",
                                 data={"last_name": last_name, "first_name": first_name,
                                       "rpps": _rpps(), "city": "Lyon"})
    assert response.status == 201, response.text()
    return int(response.json()["id"])


def test_create_a_prescriber_with_the_keyboard_alone(page: Page, live_server: str,
                                                     screenshot) -> None:  # type: ignore[no-untyped-def]
    name = _name("PRESC")
    page.goto(f"{live_server}/prescripteurs")
    expect(page.get_by_label("Rechercher")).to_be_focused()
    page.keyboard.press("Alt+n")  # « Créer un prescripteur »
    expect(page).to_have_url(re.compile(r"/prescripteurs/nouveau$"))
    expect(page.get_by_label("Nom requis", exact=True)).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type("Alain")
    page.get_by_label("Spécialité").select_option("01")
    page.get_by_label("N° RPPS").fill("10001347699")  # key 9 instead of 8
    page.get_by_label("N° RPPS").press("Enter")
    error = page.locator("#err-rpps")
    expect(error).to_have_text("Clé du numéro RPPS incorrecte : 9 saisie, 8 attendue.")
    expect(page.get_by_label("N° RPPS")).to_be_focused()  # the first field in error
    expect(page.get_by_label("Nom requis", exact=True)).to_have_value(name)  # nothing lost
    expect(page.get_by_label("Prénom")).to_have_value("Alain")
    expect(page.get_by_label("Spécialité")).to_have_value("01")
    screenshot("prescripteur-erreur")
    page.get_by_label("N° RPPS").fill("")
    page.get_by_label("N° AM (facturation)").fill("99 1 14560 8")  # the seed's « GENE Alain »
    page.get_by_label("N° AM (facturation)").press("Enter")
    expect(page).to_have_url(re.compile(r"/prescripteurs\?fait=enregistre$"))
    expect(page.get_by_role("status")).to_contain_text("les modifications ont bien été prises")
    page.get_by_label("Rechercher").fill(name.lower())
    rows = page.get_by_role("table", name="Prescripteurs").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("99 1 14560 8")
    expect(rows.first).to_contain_text("Médecine générale")


def test_search_as_you_type_by_last_or_first_name_and_sort(page: Page, live_server: str,
                                                          screenshot) -> None:  # type: ignore[no-untyped-def]
    stem = _name("TRI")
    for suffix in ("A", "B", "C"):
        _create(page, live_server, f"{stem}{suffix}")
    _create(page, live_server, "ZZAUTRE", first_name=f"{stem}X")  # found by his first name
    page.goto(f"{live_server}/prescripteurs")
    page.get_by_label("Rechercher").fill(stem)
    rows = page.get_by_role("table", name="Prescripteurs").locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text(f"{stem}A")
    expect(rows.last).to_contain_text("ZZAUTRE")
    page.get_by_label("Ordre de tri").select_option("desc")  # Z > A
    expect(rows.first).to_contain_text("ZZAUTRE")
    expect(rows.last).to_contain_text(f"{stem}A")
    expect(page).to_have_url(re.compile(r"order=desc"))  # the URL keeps the search
    screenshot("prescripteurs-recherche")


def test_modify_from_the_list_with_arrows_and_enter(page: Page, live_server: str) -> None:
    name = _name("MODIF")
    _create(page, live_server, name)
    page.goto(f"{live_server}/prescripteurs")
    page.get_by_label("Rechercher").fill(name)
    expect(page.get_by_role("table", name="Prescripteurs").locator("tbody tr")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name=re.compile(name))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Fiche prescripteur")).to_be_visible()
    page.get_by_label("Ville").fill("Villeurbanne")
    page.keyboard.press("Alt+v")  # Valider
    expect(page).to_have_url(re.compile(r"fait=enregistre"))
    page.get_by_label("Rechercher").fill(name)
    expect(page.get_by_role("table", name="Prescripteurs")).to_contain_text("Villeurbanne")


def test_delete_asks_for_confirmation(page: Page, live_server: str, screenshot) -> None:  # type: ignore[no-untyped-def]
    name = _name("SUPPR")
    prescriber_id = _create(page, live_server, name)
    page.goto(f"{live_server}/prescripteurs/{prescriber_id}")
    dialog = page.get_by_role("dialog", name="Suppression de fiche prescripteur")
    page.get_by_role("button", name="Supprimer la fiche").click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Non")).to_be_focused()
    screenshot("prescripteur-suppression")
    page.keyboard.press("Escape")  # Échap cancels
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Supprimer la fiche").click()
    dialog.get_by_role("button", name="Non").click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/prescripteurs/{prescriber_id}$"))
    page.get_by_role("button", name="Supprimer la fiche").click()
    dialog.get_by_role("button", name="Oui, supprimer").click()
    expect(page.get_by_role("status")).to_have_text("La fiche a été supprimée.")
    page.get_by_label("Rechercher").fill(name)
    expect(page.get_by_role("table", name="Prescripteurs")).to_contain_text(
        "Aucun prescripteur ne correspond")
    assert page.request.get(f"{live_server}/prescripteurs/{prescriber_id}").status == 404


def test_prescriber_screens_fit_a_tablet(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server}/prescripteurs/nouveau")
    page.get_by_label("Nom requis", exact=True).fill("TABLETTE")
    page.get_by_label("Code postal").fill("690")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#err-postal_code")).to_be_visible()
    expect(page.locator("#err-rpps")).to_contain_text("au moins un numéro d'identification")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, f"the fiche scrolls sideways on a tablet ({width}px)"
    page.screenshot(path="tests/e2e/artifacts/prescripteur-tablette.png", full_page=True)
    page.goto(f"{live_server}/prescripteurs")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    page.screenshot(path="tests/e2e/artifacts/prescripteurs-tablette.png", full_page=True)
    context.close()
