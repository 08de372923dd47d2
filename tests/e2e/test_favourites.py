"""Mes favoris in a real Chromium: create a favourite (label, owner, act lines added, moved
and removed without losing what was typed), errors next to the act field, search by label
with the owner filter and A>Z / Z>A, modify, delete with its confirmation, a 1024×768 tablet."""

from __future__ import annotations

import re
import secrets
from typing import Any

from playwright.sync_api import Page, expect


def _label(prefix: str) -> str:
    return prefix + " " + "".join(secrets.choice("BCDFGHJKLMNPRSTVZ") for _ in range(6))


def _legrand(page: Page, live_server: str) -> dict[str, Any]:
    professionals = page.request.get(f"{live_server}/api/professionals").json()
    return next(p for p in professionals if p["last_name"] == "LEGRAND")


def _create(page: Page, live_server: str, label: str, owner: int | None,
            *codes: str) -> int:
    response = page.request.post(f"{live_server}/api/favourites", data={
        "label": label, "professional_id": owner, "acts": [{"code": c} for c in codes]})
    assert response.status == 201, response.text()
    return int(response.json()["id"])


def test_create_a_favourite_add_move_and_remove_acts(page: Page, live_server: str,
                                                     screenshot) -> None:  # type: ignore[no-untyped-def]
    label = _label("Visite")
    page.goto(f"{live_server}/favoris")
    page.keyboard.press("Alt+n")
    expect(page.get_by_role("heading", name="Nouveau favori")).to_be_visible()
    expect(page.get_by_label("Libellé du soin requis")).to_be_focused()
    page.keyboard.type(label)
    page.get_by_label("Propriétaire", exact=True).select_option(label="LEGRAND PIERRE")
    page.get_by_label("Code de l'acte 1").fill("G")
    page.keyboard.press("Alt+a")  # « Ajouter un soin »: the new line's code gets the focus
    expect(page.get_by_label("Code de l'acte 2")).to_be_focused()
    page.keyboard.type("AFLB001")
    page.get_by_label("Modificateurs CCAM 2").fill("F")
    page.keyboard.press("Alt+a")
    page.get_by_label("Code de l'acte 3").fill("MD")
    page.get_by_role("button", name="Monter l'acte 2").click()  # AFLB001 first
    expect(page.get_by_label("Code de l'acte 1")).to_have_value("AFLB001")
    expect(page.get_by_label("Modificateurs CCAM 1")).to_have_value("F")
    expect(page.get_by_label("Code de l'acte 2")).to_have_value("G")
    page.get_by_role("button", name="Retirer l'acte 3").click()
    expect(page.get_by_label("Code de l'acte 3")).to_have_count(0)
    expect(page.get_by_label("Libellé du soin requis")).to_have_value(label)  # kept
    page.get_by_label("Indemnité forfaitaire 2").select_option("MD")
    screenshot("favori-edition")
    page.get_by_label("Code de l'acte 2").press("Enter")  # Entrée validates the fiche
    expect(page).to_have_url(re.compile(r"/favoris\?fait=enregistre$"))
    page.get_by_label("Rechercher").fill(label)
    row = page.get_by_role("table", name="Soins favoris").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("AFLB001 F · G + MD")
    expect(row).to_contain_text("LEGRAND PIERRE")


def test_a_wrong_code_is_shown_next_to_its_field(page: Page, live_server: str,
                                                 screenshot) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/favoris/nouveau")
    page.get_by_label("Libellé du soin requis").fill(_label("Erreur"))
    page.get_by_label("Code de l'acte 1").fill("AMI")  # a nurse's key: no tariff for the doctor
    page.get_by_label("Coefficient 1").fill("4,5")
    page.get_by_label("Propriétaire", exact=True).select_option(label="LEGRAND PIERRE")
    page.get_by_role("button", name=re.compile("Ajouter un soin")).click()
    page.get_by_label("Code de l'acte 2").fill("AFLB001")
    page.get_by_label("Activité CCAM 2").fill("4")
    page.get_by_role("button", name=re.compile("^Valider")).click()
    expect(page.locator("#err-acts-0-code")).to_contain_text(
        "Le code NGAP « AMI » (Soin infirmier) existe mais openfse n'en connaît pas le tarif "
        "pour la profession médecin")
    expect(page.locator("#err-acts-1-activity")).to_contain_text(
        "L'acte AFLB001 n'a pas d'activité 4 en phase 0")
    expect(page.get_by_label("Coefficient 1")).to_have_value("4,5")
    expect(page.get_by_label("Code de l'acte 1")).to_be_focused()
    screenshot("favori-erreur")
    page.get_by_label("Prix unitaire 1").fill("15,75")  # a unit price makes the code acceptable
    page.get_by_label("Activité CCAM 2").fill("1")
    page.get_by_role("button", name=re.compile("^Valider")).click()
    expect(page).to_have_url(re.compile(r"fait=enregistre"))


def test_search_by_label_owner_filter_and_order(page: Page, live_server: str) -> None:
    stem = _label("Tri").split()[-1]
    legrand = _legrand(page, live_server)["id"]
    _create(page, live_server, f"{stem} B cabinet", None, "G")
    _create(page, live_server, f"{stem} A legrand", legrand, "VG")
    page.goto(f"{live_server}/favoris")
    page.get_by_label("Rechercher").fill(stem.lower())
    rows = page.get_by_role("table", name="Soins favoris").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"{stem} A legrand")
    page.get_by_label("Ordre de tri").select_option("desc")
    expect(rows.first).to_contain_text(f"{stem} B cabinet")
    page.get_by_label("Propriétaire des favoris").select_option("cabinet")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("cabinet")


def test_modify_then_delete_with_confirmation(page: Page, live_server: str,
                                              screenshot) -> None:  # type: ignore[no-untyped-def]
    label = _label("Suppr")
    favourite_id = _create(page, live_server, label, None, "G", "MD")
    page.goto(f"{live_server}/favoris")
    page.get_by_label("Rechercher").fill(label)
    expect(page.get_by_role("table", name="Soins favoris").locator("tbody tr")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Code de l'acte 2")).to_have_value("MD")
    page.get_by_role("button", name="Descendre l'acte 1").click()
    expect(page.get_by_label("Code de l'acte 1")).to_have_value("MD")
    page.keyboard.press("Alt+v")
    expect(page).to_have_url(re.compile(r"fait=enregistre"))
    draft = page.request.get(f"{live_server}/api/favourites/{favourite_id}/draft-acts").json()
    assert [act["code"] for act in draft] == ["MD", "G"]
    page.goto(f"{live_server}/favoris/{favourite_id}")
    page.get_by_role("button", name="Supprimer la fiche").click()
    dialog = page.get_by_role("dialog", name="Suppression d'un soin favori")
    expect(dialog).to_contain_text(f"« {label} »")
    screenshot("favori-suppression")
    dialog.get_by_role("button", name="Non").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Supprimer la fiche").click()
    dialog.get_by_role("button", name="Oui, supprimer").click()
    expect(page.get_by_role("status")).to_have_text("La fiche a été supprimée.")
    assert page.request.get(f"{live_server}/api/favourites/{favourite_id}").status == 404


def test_favourite_fiche_fits_a_tablet(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server}/favoris/nouveau")
    page.get_by_label("Code de l'acte 1").fill("ZZ9")
    page.get_by_role("button", name=re.compile("Ajouter un soin")).click()
    page.get_by_role("button", name=re.compile("^Valider")).click()
    expect(page.locator("#err-acts-0-code")).to_be_visible()
    expect(page.locator("#err-label")).to_have_text("Le libellé du soin est requis.")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, f"the favourite fiche scrolls sideways on a tablet ({width}px)"
    page.screenshot(path="tests/e2e/artifacts/favori-tablette.png", full_page=True)
    context.close()
