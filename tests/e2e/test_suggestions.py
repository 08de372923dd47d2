"""Search fields with suggestions behave the same everywhere (issue 13, defect 10).

« Enter in the AMO organism search submits the patient form (a patient was created with no
AMO); arrows don't reach the suggestions. » One script (``static/js/suggest.js``) serves every
such field: ↓/↑ reach the suggestions, Entrée picks the one shown, Échap closes the list, and
Entrée in a search field never submits its form. Checked here on the patient form's AMO
organism and the mutuelle fiche's organism; nothing is saved by these tests.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from openfse.config import Settings
from openfse.services.context import AppContext
from openfse.store.models import Patient

MANUAL = "/patients/nouveau/manuel"


def _options(page: Page, results: str) -> object:
    return page.locator(f"#{results} [role=option]")


def test_the_amo_search_never_submits_the_patient_form_and_the_keys_reach_the_suggestions(
    page: Page, live_server: str, screenshot
) -> None:
    page.goto(live_server + MANUAL)
    page.get_by_label("Nom", exact=True).fill("CLAVIER")
    search = page.get_by_label("Sélectionner AMO (nom ou code)")

    # Entrée before any suggestion: the search runs, the form is not submitted.
    search.fill("zzzz")
    search.press("Enter")
    expect(page.locator("#pat-organism-results")).to_contain_text("Aucun organisme")
    expect(page).to_have_url(re.compile(MANUAL + "$"))
    expect(page.locator(".field-error")).to_have_count(0)  # no submit, no « obligatoire »

    search.fill("01 751")
    options = _options(page, "pat-organism-results")
    expect(options.first).to_be_visible()
    expect(search).to_have_attribute("aria-expanded", "true")
    count = options.count()

    search.press("Enter")  # suggestions shown, none chosen: the first one is shown, no submit
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(search).to_be_focused()
    expect(page).to_have_url(re.compile(MANUAL + "$"))
    search.press("ArrowDown")
    search.press("ArrowUp")
    expect(options.first).to_have_attribute("aria-selected", "true")
    if count > 1:
        search.press("ArrowDown")
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        expect(options.first).to_have_attribute("aria-selected", "false")
        search.press("ArrowUp")
    expect(search).to_have_attribute("aria-activedescendant", re.compile(r"pat-organism-\d+"))
    screenshot("suggest-amo-arrows")

    search.press("Enter")  # picks the suggestion shown

    expect(page.locator("#f-amo_regime")).to_have_value("01")
    expect(page.locator("#f-amo_caisse")).to_have_value("751")
    expect(page.get_by_label("Code gestion")).to_be_focused()
    expect(page).to_have_url(re.compile(MANUAL + "$"))
    expect(page.get_by_label("Nom", exact=True)).to_have_value("CLAVIER")  # nothing lost

    # Échap closes the list and does nothing else (not « Retour », which would leave the form).
    search.fill("01 75")
    expect(_options(page, "pat-organism-results").first).to_be_visible()
    search.press("Escape")
    expect(page.locator("#pat-organism-results")).to_be_hidden()
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(page).to_have_url(re.compile(MANUAL + "$"))


def test_the_mutuelle_organism_search_picks_with_the_same_keys(
    page: Page, live_server: str, demo_home: Path
) -> None:
    ctx = AppContext.open(Settings.from_env({"OPENFSE_HOME": str(demo_home)}))
    try:
        with ctx.sessions() as session:
            patient_id = session.scalars(select(Patient.id).order_by(Patient.id)).first()
    finally:
        ctx.engine.dispose()
    page.goto(f"{live_server}/patients/{patient_id}/mutuelles/nouvelle")
    search = page.locator("#f-q")
    expect(search).to_be_focused()

    page.keyboard.type("almerys")
    options = _options(page, "amc-organism-results")
    expect(options.first).to_contain_text("98532001")
    search.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    search.press("Escape")  # closes the list only: the fiche stays, nothing asked
    expect(page.locator("#amc-organism-results")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/mutuelles/nouvelle$"))
    search.press("ArrowDown")  # the list comes back with the arrow
    expect(options.first).to_have_attribute("aria-selected", "true")
    search.press("Enter")

    expect(page.locator("#f-amc_number")).to_have_value("98532001")
    expect(page.get_by_text("Fiche organisme liée")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/mutuelles/nouvelle$"))  # picked, not saved
