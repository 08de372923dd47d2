"""The invoice screen shows what the patient file imposes, in Chromium (issue 11 point 3, issue
13 defects 3, 13 and 16): an AME patient's tiers payant and 100 %, an ALD patient's question
« en rapport avec l'ALD ? » on each act, a victim of terrorism's full cover — each validated
with « Valider » alone, never « Valider malgré les avertissements »."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from openfse.config import Settings
from openfse.services import directory
from openfse.services.context import AppContext


def _patient(demo_home: Path, last_name: str) -> int:
    ctx = AppContext.open(Settings.from_env({"OPENFSE_HOME": str(demo_home)}))
    try:
        found = directory.search_patients(
            ctx.unit_of_work(actor="tests", actor_user_id=None), last_name, limit=5)
        return next(p.id for p in found if p.last_name == last_name)
    finally:
        ctx.engine.dispose()


def _validated_at_once(page: Page) -> None:
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#invoice-number")).to_be_visible()
    expect(page.get_by_label("Valider malgré les avertissements")).to_have_count(0)


def test_an_ame_patient_is_billed_at_100_percent_in_tiers_payant(
        page: Page, live_server: str, demo_home: Path, screenshot) -> None:  # type: ignore[no-untyped-def]
    # The demo's AME patient (LEFEBVRE, provisional NIR): ameli.fr « L'aide médicale de
    # l'État »: 100 % of the tarif, dispense d'avance des frais, no participation forfaitaire.
    page.goto(f"{live_server}/facture?patient={_patient(demo_home, 'LEFEBVRE')}&adri=x")
    expect(page.get_by_label("Tiers payant AMO")).to_be_checked()
    expect(page.locator("#coverage-situation")).to_contain_text("Aide médicale de l'État")
    page.get_by_label("Code de l'acte 1").fill("G")
    page.get_by_label("Code de l'acte 1").press("Tab")  # « change »: the récapitulatif follows
    expect(page.locator("#recapitulatif #total-amo")).to_have_text("30,00 €")
    expect(page.locator("#recapitulatif #a-regler")).to_have_text("0,00 €")
    screenshot("facture-ame-depuis-le-dossier")
    _validated_at_once(page)


def test_an_ald_patient_is_asked_for_each_act_and_a_victim_is_covered_in_full(
        page: Page, live_server: str, demo_home: Path, screenshot) -> None:  # type: ignore[no-untyped-def]
    # THOMAS has an ALD in force in the demo file: each act asks « en rapport avec l'ALD ? »;
    # « Oui » → 100 % (exonération 4), tiers payant AMO already ticked.
    page.goto(f"{live_server}/facture?patient={_patient(demo_home, 'THOMAS')}&adri=x")
    expect(page.locator("#ald-question")).to_be_visible()
    expect(page.get_by_label("Tiers payant AMO")).to_be_checked()
    page.get_by_label("Code de l'acte 1").fill("G")
    page.get_by_label("Code de l'acte 1").press("Tab")
    page.get_by_label("En rapport avec l'ALD ? acte 1").select_option("oui")
    expect(page.locator("#recapitulatif #total-amo")).to_have_text("30,00 €")
    screenshot("facture-ald-par-acte")
    # Victime d'attentat (Code de la sécurité sociale art. L169-1 s.): the box shows the full
    # cover and ticks the tiers payant; an act not related to the ALD is at 100 % too.
    page.get_by_label("En rapport avec l'ALD ? acte 1").select_option("non")
    page.get_by_label("Tiers payant AMO").uncheck()
    page.get_by_label("Victime d'attentat").check()
    expect(page.locator("#victim-cover")).to_be_visible()
    expect(page.get_by_label("Tiers payant AMO")).to_be_checked()
    expect(page.locator("#recapitulatif #total-amo")).to_have_text("30,00 €")
    screenshot("facture-victime-attentat")
    _validated_at_once(page)
