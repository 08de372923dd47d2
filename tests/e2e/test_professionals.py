"""Professionals in Chromium, on a 1024×768 tablet viewport: the lists, deactivating then
deleting the demo remplaçant, adding him back confirmed by the titulaire's CPS with days picked
on the calendar with the keyboard, editing his calendar, and deleting a titulaire under the
seed's three conditions.

These flows delete the demo's professionals, so they run on a server of their own (a fresh demo
cabinet made through the CLI), not on the shared one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from openfse.domain.clock import Clock

TABLET = {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on its own demo database (``openfse init --demo-if-empty``), on 127.0.0.1."""
    from typer.testing import CliRunner
    from web_server import serving

    from openfse.cli import app
    from openfse.config import Settings
    from openfse.web.app import create_app

    home: Path = tmp_path_factory.mktemp("openfse-e2e-professionals")
    result = CliRunner().invoke(app, ["init", "--demo-if-empty"],
                                env={"OPENFSE_HOME": str(home), "OPENFSE_DATABASE_URL": ""})
    assert result.exit_code == 0, result.output
    with serving(create_app(Settings.from_env({"OPENFSE_HOME": str(home)}))) as url:
        yield url


@pytest.fixture()
def desk(page: Page, own_server: str) -> Page:
    page.set_viewport_size(TABLET)
    return page


def reader_panel(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("table", name="Fentes du lecteur simulé")


def insert(page: Page, card: str) -> None:
    page.get_by_label("Carte de test").select_option(card)
    page.get_by_role("button", name="Insérer la carte").click()
    expect(reader_panel(page)).to_contain_text(card)


def pull_out(page: Page, card: str) -> None:
    page.get_by_role("button", name=f"Retirer {card}").click()
    expect(reader_panel(page)).not_to_contain_text(card)


def type_pin(page: Page, pin: str) -> None:
    page.get_by_label("Code porteur (4 chiffres)").fill(pin)
    page.keyboard.press("Enter")


def log_in_legrand(page: Page, server: str) -> None:
    page.goto(f"{server}/connexion")
    if "cps_titulaire" not in (reader_panel(page).text_content() or ""):
        insert(page, "cps_titulaire")
    type_pin(page, "1234")
    expect(page.locator(".topbar")).to_contain_text("Dr Pierre LEGRAND")
    # The log-in ends with a redirection: let it finish before the next page.goto.
    expect(page).to_have_url(re.compile(r"/$"))
    page.wait_for_load_state("networkidle")


def open_file(page: Page, server: str, name: str) -> None:
    page.goto(f"{server}/professionnels")
    page.get_by_role("link", name=f"Informations de {name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def confirm_dialog(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Valider").click()


def day_box(page: Page, day: date):  # type: ignore[no-untyped-def]
    return page.locator(f'.ps-calendar input[data-day="{day.isoformat()}"]')


def test_the_remplacant_is_deactivated_deleted_and_added_back_by_the_titulaire(
    desk: Page, own_server: str, screenshot
) -> None:
    log_in_legrand(desk, own_server)
    desk.goto(f"{own_server}/professionnels")
    expect(desk.get_by_role("table", name="Titulaires")).to_contain_text("LEGRAND")
    expect(desk.get_by_role("table", name="Remplaçants")).to_contain_text("DURAND")
    screenshot("professionals-list")

    # Manuel eS-KAP+: « Désactiver un remplaçant avant suppression », then « Supprimer ».
    open_file(desk, own_server, "Dr Nathalie DURAND")
    confirm_dialog(desk, "Désactiver le remplaçant")
    expect(desk.locator(".ps-flash")).to_contain_text("est désactivé(e)")
    desk.get_by_role("button", name="Supprimer le remplaçant").click()
    expect(desk.locator("dialog[open]")).to_be_visible()
    desk.keyboard.press("Escape")  # Esc cancels: nothing deleted
    expect(desk.locator("dialog[open]")).to_have_count(0)
    screenshot("professionals-remplacant-deactivated")
    confirm_dialog(desk, "Supprimer le remplaçant")
    expect(desk.locator(".ps-flash")).to_contain_text("Dr Nathalie DURAND a été supprimé(e).")
    expect(desk.get_by_role("table", name="Remplaçants")).not_to_contain_text("DURAND")

    # « Ajouter remplaçant »: the remplaçant's card and code…
    desk.get_by_role("link", name="Ajouter remplaçant").click()
    expect(desk.locator("#cps-zone")).to_contain_text("Monsieur Pierre LEGRAND")
    type_pin(desk, "1234")  # the titulaire's own card is still in: refused, no try spent
    expect(desk.locator("#err-pin")).to_contain_text("aucune situation de remplaçant")
    pull_out(desk, "cps_titulaire")
    insert(desk, "cps_remplacant")
    type_pin(desk, "4321")

    # … his card reviewed, the titulaire and the days chosen…
    expect(desk).to_have_url(re.compile(r"/connexion/enregistrement$"))
    form = desk.locator("#register")
    expect(form).to_contain_text("DURAND")
    expect(form).to_contain_text("Remplaçant")
    desk.get_by_role("button", name="Valider et faire confirmer par le titulaire").click()
    expect(desk.locator("#err-titulaire")).to_contain_text("Choisissez le titulaire remplacé.")
    expect(desk.locator("#err-days")).to_contain_text("au moins un jour")
    screenshot("professionals-add-remplacant-errors")

    desk.get_by_label(re.compile(r"LEGRAND Pierre : 75100012 6")).check()
    # Days of next month (always ahead): the 10th and, with the arrow key, the 11th; then the
    # 15th of the month after, and back: nothing ticked is lost while browsing.
    next_month = (Clock().today().replace(day=1) + timedelta(days=32)).replace(day=1)
    first, second, extra = (next_month.replace(day=d) for d in (10, 11, 12))
    later = (next_month + timedelta(days=32)).replace(day=15)
    desk.get_by_role("button", name="Mois suivant").click()
    day_box(desk, first).focus()
    desk.keyboard.press("Space")
    desk.keyboard.press("ArrowRight")
    expect(day_box(desk, second)).to_be_focused()
    desk.keyboard.press("Space")
    desk.get_by_role("button", name="Mois suivant").click()
    day_box(desk, later).check()
    desk.get_by_role("button", name="Mois précédent").click()
    expect(day_box(desk, first)).to_be_checked()
    expect(day_box(desk, second)).to_be_checked()
    expect(desk.get_by_label(re.compile(r"LEGRAND Pierre"))).to_be_checked()
    screenshot("professionals-add-remplacant-calendar")
    desk.get_by_role("button", name="Valider et faire confirmer par le titulaire").click()

    # … then the titulaire's card and code confirm (manuel eS-KAP+ « Entrez le code porteur du
    # titulaire »).
    expect(desk).to_have_url(re.compile(r"/connexion/enregistrement/titulaire$"))
    expect(desk.locator("#cps-zone")).to_contain_text("La carte insérée n'est pas celle attendue")
    pull_out(desk, "cps_remplacant")
    insert(desk, "cps_titulaire")
    type_pin(desk, "0000")
    expect(desk.locator("#err-pin")).to_contain_text("il reste 2 essais")
    screenshot("professionals-titulaire-confirmation")
    type_pin(desk, "1234")
    expect(desk.locator(".ps-flash")).to_contain_text("Remplaçant enregistré : Dr Nathalie DURAND")
    expect(desk.locator(".topbar")).to_contain_text("Dr Pierre LEGRAND")
    expect(day_box(desk, first)).to_be_checked()
    screenshot("professionals-remplacant-file")

    # Editing the calendar (it opens on the first day to come): one more day, saved.
    expect(day_box(desk, second)).to_be_checked()
    day_box(desk, extra).check()
    desk.get_by_role("button", name="Enregistrer le calendrier").click()
    expect(desk.locator(".ps-flash")).to_contain_text("Calendrier enregistré : 1 jour ajouté.")
    expect(day_box(desk, extra)).to_be_checked()

    # Manuel eS-KAP+ « Avant de supprimer un titulaire » : his card is in, a remplaçant is attached.
    open_file(desk, own_server, "Dr Pierre LEGRAND")
    confirm_dialog(desk, "Supprimer le titulaire")
    refusal = desk.locator(".ps-refusal")
    expect(refusal).to_contain_text(
        "« La CPS du titulaire n'est pas insérée dans l'appareil. » : elle est dans le lecteur")
    expect(refusal).to_contain_text(
        "« Aucun remplaçant n'est encore rattaché à ce titulaire. » : Dr Nathalie DURAND")
    screenshot("professionals-titulaire-not-deletable")


def test_a_titulaire_without_card_in_the_reader_nor_remplacant_is_deleted(
    desk: Page, own_server: str
) -> None:
    httpx.post(f"{own_server}/connexion/lecteur", data={"action": "retirer", "card": ""})
    desk.goto(f"{own_server}/connexion")
    insert(desk, "cps_infirmier")
    type_pin(desk, "2468")
    desk.get_by_role("button", name="Valider la fiche").click()
    # Unknown to the cabinet: « en attente » until a titulaire approves (issue 12). The desk's
    # titulaire session is still open: he approves her at once.
    expect(desk.locator(".ps-flash")).to_contain_text("Votre accès est en attente")
    desk.goto(f"{own_server}/professionnels")
    desk.get_by_role("button", name="Approuver l'accès de Claire ROUSSEAU").click()
    expect(desk.locator(".ps-flash")).to_contain_text("approuvé")
    desk.goto(f"{own_server}/connexion")
    type_pin(desk, "2468")
    expect(desk.locator(".topbar")).to_contain_text("Claire ROUSSEAU")

    open_file(desk, own_server, "Claire ROUSSEAU")
    confirm_dialog(desk, "Supprimer le titulaire")
    expect(desk.locator(".ps-refusal")).to_contain_text(
        "« La CPS du titulaire n'est pas insérée dans l'appareil. » : elle est dans le lecteur, "
        "retirez-la.")
    desk.goto(f"{own_server}/connexion")
    pull_out(desk, "cps_infirmier")
    open_file(desk, own_server, "Claire ROUSSEAU")
    confirm_dialog(desk, "Supprimer le titulaire")
    # She deleted her own file: her session ends and the log-in screen says what happened.
    expect(desk.locator("body")).to_contain_text("Claire ROUSSEAU a été supprimé(e).")
    expect(desk).to_have_url(re.compile(r"/connexion"))
