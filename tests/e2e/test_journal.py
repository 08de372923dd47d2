"""The « Journal » screen in a real Chromium (issue 8: « the journal records every read of a
patient file … a screen lists it »): the titulaire opens a patient file, then finds that read in
the journal, on the cabinet's clock (Europe/Paris), and narrows it with the filters; a
secrétaire has no « Journal » entry and gets the French refusal. Screenshots:
``tests/e2e/artifacts/journal-*.png``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

PARIS = ZoneInfo("Europe/Paris")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_a_patient_file_read_is_listed_in_the_journal_in_paris_time(
    page: Page, live_server: str, screenshot,  # type: ignore[no-untyped-def]
) -> None:
    page.goto(f"{live_server}/patients")
    first = page.locator("a.pat-row").first
    href = first.get_attribute("href") or ""
    patient_id = re.fullmatch(r"/patients/(\d+)", href)
    assert patient_id, href
    first.click()
    expect(page).to_have_url(re.compile(rf"/patients/{patient_id.group(1)}$"))

    page.locator("nav.menu a[href='/journal']").click()
    expect(page.get_by_role("heading", name="Journal")).to_be_visible()
    expect(page.locator("nav.menu a[href='/journal']")).to_have_attribute("aria-current", "page")
    newest = page.locator("#journal-rows tbody tr").first
    cells = newest.locator("td")
    expect(cells.nth(2)).to_have_text("consultation")  # stored "read", said in French
    expect(cells.nth(3)).to_have_text("Patient")
    expect(cells.nth(4)).to_have_text(patient_id.group(1))
    # The time shown is the Paris wall clock (stored UTC): within a few minutes of now there.
    shown = datetime.strptime(cells.nth(0).inner_text(), "%d/%m/%Y %H:%M:%S")
    now = datetime.now(PARIS).replace(tzinfo=None)
    assert abs(now - shown) < timedelta(minutes=5), (shown, now)
    expect(page.locator("thead")).to_contain_text("heure de Paris")
    actor = cells.nth(1).inner_text()
    # The user by his name, not his login (issue 13 defect 15: no « cps.99900012347 »).
    assert actor and not actor.startswith("cps."), actor

    # Filters: entity, user and the day of the entry (a Paris day, as shown).
    page.get_by_label("Entité").select_option(label="Patient")
    page.get_by_label("Utilisateur").select_option(label=actor)
    page.fill("#j-jour", shown.date().isoformat())
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"entite=patient"))
    rows = page.locator("#journal-rows tbody tr")
    expect(rows.first.locator("td").nth(4)).to_have_text(patient_id.group(1))
    for entity in rows.locator("td:nth-child(4)").all_inner_texts():
        assert entity == "Patient"
    screenshot("journal-filtered")

    page.goto(f"{live_server}/journal?acteur=personne-de-ce-nom")
    expect(page.locator("#journal-rows")).to_contain_text("Aucune entrée ne correspond.")


def test_a_secretary_has_no_journal_entry_and_is_refused(
    secretary_page: Page, live_server: str,
) -> None:
    page = secretary_page
    page.goto(f"{live_server}/patients")
    expect(page.locator(".ps-who")).to_contain_text("secrétariat")
    expect(page.locator("nav.menu a[href='/patients']")).to_be_visible()
    expect(page.locator("nav.menu a[href='/journal']")).to_have_count(0)
    page.goto(f"{live_server}/journal")
    expect(page.get_by_text("Seuls le titulaire et l'administrateur consultent le journal."))\
        .to_be_visible()
    expect(page.locator("#journal-rows")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "journal-refused.png"), full_page=True)
