"""Issue 13 defect 4 in Chromium: the mutuelle's part of an invoice in gestion séparée without a
convention (no DRE can go) is a to-do on the invoice's page and the Télétransmission screen;
« Réclamée sur papier » asks a French confirmation — refused, nothing changes — then says what
was done (docs/money-states.md §3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from services.test_share_states import amo_paid_without_convention

from openfse.config import Settings
from openfse.services.context import AppContext


@pytest.fixture(scope="module")
def ctx(demo_home: Path) -> Iterator[AppContext]:
    context = AppContext.open(Settings.from_env({"OPENFSE_HOME": str(demo_home)}))
    yield context
    context.engine.dispose()


def test_an_unclaimed_mutuelle_share_is_claimed_on_paper_after_a_confirmation(
        page: Page, live_server: str, ctx: AppContext, screenshot) -> None:  # type: ignore[no-untyped-def]
    invoice_id = amo_paid_without_convention(ctx, "RSP-E2E-NOCONV")
    page.goto(f"{live_server}/factures/{invoice_id}")
    expect(page.locator("h1 .badge")).to_have_text("Part AMC à réclamer")
    todo = page.locator("#todo-amc")
    expect(todo).to_contain_text("n'a été réclamée à personne")
    screenshot("share-amc-to-claim")

    asked: list[str] = []

    def dismiss(dialog):  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    todo.get_by_role("button", name="Réclamée sur papier").click()
    expect(page.locator("#share-amc")).to_contain_text("Due")  # refused: nothing changed
    assert asked and asked[0].startswith("Confirmez-vous avoir envoyé la demande")

    page.once("dialog", lambda dialog: dialog.accept())
    todo.get_by_role("button", name="Réclamée sur papier").click()
    expect(page.locator(".dir-flash.ok")).to_contain_text("réclamée sur papier.")
    expect(page.locator("#share-amc")).to_contain_text("Réclamée")
    expect(page.locator("h1 .badge")).to_have_text("Transmise")
    expect(page.locator("#todo-amc")).to_have_count(0)
    screenshot("share-amc-claimed-on-paper")

    page.goto(f"{live_server}/teletransmission")
    expect(page.locator(f"#unclaimed-{invoice_id}-amc")).to_have_count(0)
    expect(page.locator(f"#on_paper-{invoice_id}-amc")).to_be_visible()
