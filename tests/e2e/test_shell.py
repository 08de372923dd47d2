"""The web shell in a real Chromium: home menus, keyboard navigation, lists, the pricing screen."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

MENU_LABELS = (
    "Patients",
    "Réaliser une facture",
    "Factures",
    "Télétransmission",
    "Prescripteurs",
    "Mes favoris",
    "Profils",
    "Paramètres SV",
    "Professionnels de santé",
)


def test_home_lists_every_menu_of_the_product(page: Page, live_server: str, screenshot) -> None:
    page.goto(live_server)
    nav = page.get_by_role("navigation", name="Menus")
    for label in MENU_LABELS:
        expect(nav.get_by_role("link", name=re.compile(label))).to_be_visible()
    # Other test files add patients to the shared server: at least the 30 of the demo.
    count = page.locator("dl.kv dt:has-text('Patients') + dd").inner_text()
    assert int(count) >= 30
    screenshot("home-desk")


def test_digit_key_opens_a_menu_from_the_home_screen(page: Page, live_server: str) -> None:
    page.goto(live_server)
    page.keyboard.press("1")
    expect(page).to_have_url(re.compile(r"/patients$"))
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()


def test_patient_search_filters_as_you_type(page: Page, live_server: str, screenshot) -> None:
    page.goto(f"{live_server}/patients")
    page.get_by_label("Rechercher").fill("mart")
    rows = page.get_by_role("table", name="Patients").locator("tbody tr")
    # The MARTIN family of the test Vitale card: PAUL, LEA, HUGO and SOPHIE DUBOIS, whose usage
    # name is MARTIN (found by her usage name, listed under her birth name).
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("DUBOIS")
    expect(rows.nth(3)).to_contain_text("PAUL")
    screenshot("patients-search")


def test_shell_is_usable_on_a_tablet(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(f"{live_server}/parametres?liste=amo&q=cpam")
    expect(page.get_by_role("table", name="Organismes")).to_contain_text("CPAM")
    page.screenshot(path="tests/e2e/artifacts/parametres-tablet.png", full_page=True)
    context.close()


def test_a_search_form_never_puts_the_csrf_token_in_the_url(page: Page,
                                                            live_server: str) -> None:
    # The token goes with POST forms only: in a GET URL it would reach the history and logs.
    page.goto(f"{live_server}/facture")
    search = page.locator("form.searchbar input[name='q']")
    search.fill("m")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/facture\?q=m$"))
