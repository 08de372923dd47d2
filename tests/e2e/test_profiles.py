"""Profils / préférences in a real Chromium: the seed's explanation of each ADRi mode, changing
the cabinet's AMC, treatment and payment preferences with the keyboard, each user's own values
over the cabinet's (« Mes préférences »), the value kept after a refusal, the secrétariat kept
out of the cabinet's page, a 1024×768 tablet. The preferences are shared by every e2e test:
each test puts the defaults back at the end."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

DEFAULTS = {"adri_mode": "automatique_cible", "tiers_payant_amc": "standard",
            "sts_enabled": True, "sts_level1_diagnostics": False,
            "sts_detailed_formulas": False, "sts_assistance": False,
            "home_visit_by_default": False, "show_executing_ps": False,
            "show_amounts_recap": True, "act_series": False, "default_payment_type": None}


def _me(page: Page, live_server: str) -> int:
    """The id of the logged-in user (the demo titulaire of the browser fixture)."""
    user_id: int = page.request.get(f"{live_server}/api/session").json()["user"]["user_id"]
    return user_id


@pytest.fixture()
def restore_defaults(page: Page, live_server: str) -> Iterator[None]:
    yield
    response = page.request.put(f"{live_server}/api/preferences", data=DEFAULTS)
    assert response.ok, response.text()
    response = page.request.delete(f"{live_server}/api/preferences/users/{_me(page, live_server)}")
    assert response.ok, response.text()


def test_change_the_cabinet_preferences_with_the_keyboard(  # type: ignore[no-untyped-def]
        page: Page, live_server: str, screenshot, restore_defaults: None) -> None:
    page.goto(f"{live_server}/profils")
    page.keyboard.press("Alt+c")  # the titulaire: « Préférences du cabinet »
    expect(page).to_have_url(re.compile(r"/parametres/preferences$"))
    expect(page.get_by_role("heading", name="Préférences du cabinet")).to_be_visible()
    automatic = page.get_by_label("Appel automatique ciblé (défaut)")
    expect(automatic).to_be_checked()
    expect(page.get_by_text("Le service ADRi est appelé automatiquement pour toutes les "
                            "factures, sans exception.")).to_be_visible()
    expect(page.get_by_label("Appel manuel")).to_be_focused()  # the first choice
    page.keyboard.press("Space")  # a focused radio is chosen with Espace
    expect(page.get_by_label("Appel manuel")).to_be_checked()
    page.get_by_label("Tiers payant coordonné").check()
    page.get_by_label("Mettre par défaut à domicile").check()
    page.get_by_label("Utilisation des STS").uncheck()
    page.get_by_label("Type de paiement par défaut").select_option(label="Chèque")
    screenshot("profils-preferences")
    page.keyboard.press("Alt+v")
    expect(page).to_have_url(re.compile(r"/parametres/preferences\?fait=enregistre$"))
    expect(page.get_by_role("status")).to_contain_text("les modifications ont bien été prises")
    page.reload()
    expect(page.get_by_label("Appel manuel")).to_be_checked()
    expect(page.get_by_label("Tiers payant coordonné")).to_be_checked()
    expect(page.get_by_label("Mettre par défaut à domicile")).to_be_checked()
    expect(page.get_by_label("Utilisation des STS")).not_to_be_checked()
    expect(page.get_by_label("Type de paiement par défaut")).to_have_value("cheque")
    saved = page.request.get(f"{live_server}/api/preferences").json()
    assert saved["adri_mode"] == "manuel" and saved["default_payment_type"] == "cheque"
    # Nobody has own values yet: « Mes préférences » show the cabinet's, none marked as own.
    page.goto(f"{live_server}/profils")
    expect(page.get_by_label("Appel manuel")).to_be_checked()
    expect(page.locator(".pref-own")).to_have_count(0)


def test_my_preferences_override_the_cabinet_defaults_and_can_follow_it_again(  # type: ignore[no-untyped-def]
        page: Page, live_server: str, screenshot, restore_defaults: None) -> None:
    # Issue 5: each professional sets his own values over the cabinet's defaults.
    me = _me(page, live_server)
    page.goto(f"{live_server}/profils")
    expect(page.get_by_role("heading", name="Profils — mes préférences")).to_be_visible()
    page.get_by_label("Mettre par défaut à domicile").check()
    page.get_by_label("Type de paiement par défaut").select_option(label="Espèces")
    page.get_by_role("button", name=re.compile("Enregistrer mes préférences")).click()
    expect(page).to_have_url(re.compile(r"/profils\?fait=enregistre$"))
    expect(page.locator("#own-home_visit_by_default")).to_have_text(
        "Votre réglage — cabinet : non cochée")
    expect(page.locator("#own-default_payment_type")).to_have_text(
        "Votre réglage — cabinet : aucun")
    expect(page.locator(".pref-own")).to_have_count(2)  # the rest follows the cabinet
    screenshot("profils-mes-preferences")
    mine = page.request.get(f"{live_server}/api/preferences", params={"user_id": me}).json()
    assert mine["home_visit_by_default"] and mine["default_payment_type"] == "especes"
    cabinet = page.request.get(f"{live_server}/api/preferences").json()
    assert not cabinet["home_visit_by_default"] and cabinet["default_payment_type"] is None

    # The cabinet goes to tiers payant coordonné: the user, who never chose, follows it.
    page.goto(f"{live_server}/parametres/preferences")
    expect(page.get_by_label("Mettre par défaut à domicile")).not_to_be_checked()  # cabinet's
    page.get_by_label("Tiers payant coordonné").check()
    page.get_by_role("button", name=re.compile("Enregistrer les préférences du cabinet")).click()
    expect(page).to_have_url(re.compile(r"/parametres/preferences\?fait=enregistre$"))
    page.goto(f"{live_server}/profils")
    expect(page.get_by_label("Tiers payant coordonné")).to_be_checked()
    expect(page.get_by_label("Mettre par défaut à domicile")).to_be_checked()  # still his

    page.get_by_role("button", name="Reprendre les préférences du cabinet").click()
    expect(page).to_have_url(re.compile(r"/profils\?fait=cabinet$"))
    expect(page.get_by_role("status")).to_contain_text("les préférences du cabinet s'appliquent")
    expect(page.get_by_label("Mettre par défaut à domicile")).not_to_be_checked()
    expect(page.get_by_label("Type de paiement par défaut")).to_have_value("")
    expect(page.locator(".pref-own")).to_have_count(0)
    mine = page.request.get(f"{live_server}/api/preferences", params={"user_id": me}).json()
    assert mine == page.request.get(f"{live_server}/api/preferences").json()


def test_the_secretary_sets_her_own_preferences_but_not_the_cabinet_ones(
        secretary_page: Page, live_server: str) -> None:
    page = secretary_page
    page.goto(f"{live_server}/profils")
    expect(page.get_by_role("heading", name="Profils — mes préférences")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Préférences du cabinet"))).to_have_count(0)
    page.get_by_label("Activer les séries d'actes").check()
    page.get_by_role("button", name=re.compile("Enregistrer mes préférences")).click()
    expect(page.locator("#own-act_series")).to_be_visible()
    page.goto(f"{live_server}/parametres/preferences")
    expect(page.get_by_text("Seuls le titulaire et l'administrateur modifient les "
                            "paramètres.")).to_be_visible()
    page.goto(f"{live_server}/profils")
    page.get_by_role("button", name="Reprendre les préférences du cabinet").click()
    expect(page.locator(".pref-own")).to_have_count(0)
    expect(page.get_by_label("Activer les séries d'actes")).not_to_be_checked()


def test_a_refused_value_is_shown_next_to_its_field_and_nothing_is_lost(
        page: Page, live_server: str, screenshot, restore_defaults: None) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/profils")
    page.get_by_label("Activer les séries d'actes").check()
    # A payment type removed from the list meanwhile (another workstation): the browser posts
    # a value the server no longer accepts.
    page.eval_on_selector("#f-default_payment_type",
                          "s => { s.add(new Option('Bitcoin', 'bitcoin')); s.value = 'bitcoin'; }")
    page.get_by_role("button", name=re.compile("Enregistrer mes préférences")).click()
    expect(page.locator("#err-default_payment_type")).to_contain_text(
        "Type de paiement : valeur « bitcoin » inconnue")
    expect(page.get_by_label("Activer les séries d'actes")).to_be_checked()
    screenshot("profils-erreur")
    me = _me(page, live_server)
    saved = page.request.get(f"{live_server}/api/preferences", params={"user_id": me}).json()
    assert saved["act_series"] is False  # nothing saved


def test_profiles_lead_to_the_organism_lists(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/profils")
    page.keyboard.press("Alt+p")
    expect(page).to_have_url(re.compile(r"/parametres$"))
    expect(page.get_by_role("heading", name="Paramètres SV — organismes")).to_be_visible()


def test_preferences_fit_a_tablet(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server}/profils")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, f"the preferences scroll sideways on a tablet ({width}px)"
    page.screenshot(path="tests/e2e/artifacts/profils-tablette.png", full_page=True)
    context.close()
