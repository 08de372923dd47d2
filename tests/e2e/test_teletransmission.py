"""Télétransmission in a real Chromium on a 1024×768 tablet: the menu opens the screen with its
flows, what is ready to send, lots, rejects, unpaid invoices and the export; « Relever les
retours » with the keyboard (Alt+R) against a mailbox that does not answer says so in French
and changes nothing; the cabinet's delays (no ARL, payment overdue) are set in « Réglages »
and put back. (Nothing is built or sent here: the whole loop runs in
tests/integration/test_transmission_loop.py.)"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect


@pytest.fixture(scope="module")
def unreachable_server(demo_home: Path) -> Iterator[str]:
    """The demo app whose mail servers do not answer: a port nobody listens on, given through
    the transport dependency (the defaults may be taken by a demo running on this machine)."""
    from web_server import serving

    from openfse.config import Settings
    from openfse.services import transmission
    from openfse.web.app import create_app
    from openfse.web.deps import get_transport

    settings = Settings.from_env({"OPENFSE_HOME": str(demo_home)})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{probe.getsockname()[1]}"
    app = create_app(settings)
    app.dependency_overrides[get_transport] = lambda: transmission.transport_of(
        replace(settings, smtp=dead, pop3=dead), demo=True)
    with serving(app) as url:
        yield url


def test_the_screen_and_a_fetch_that_cannot_reach_the_mailbox(
        page: Page, unreachable_server: str, screenshot) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{unreachable_server}/")
    page.get_by_role("link", name="Télétransmission").first.click()
    expect(page.get_by_role("heading", name="Télétransmission", level=1)).to_be_visible()
    for section in ("Aujourd'hui", "Ce mois-ci", "Lots", "Export des paiements (comptable)"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="À transmettre")).to_be_visible()

    page.get_by_role("button", name="Relever les retours").click()

    status = page.get_by_role("alert").filter(has_text="Relève impossible")
    expect(status).to_be_visible()
    expect(status).to_contain_text("injoignable")
    screenshot("teletransmission")


def test_the_cabinets_delays_are_set_on_the_screen(
        page: Page, live_server: str, screenshot) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server}/teletransmission")
    expect(page.get_by_role("heading", name="Réglages", exact=True)).to_be_visible()
    arl = page.get_by_label("Délai d'attente de l'ARL (jours)")
    payment = page.get_by_label("Délai de paiement attendu (jours)")
    expect(arl).to_have_value("2")  # the defaults
    expect(payment).to_have_value("7")

    arl.fill("3")
    payment.fill("10")
    page.get_by_role("button", name="Enregistrer les réglages").click()

    expect(page.get_by_role("status")).to_have_text("Réglages de télétransmission enregistrés.")
    expect(page.get_by_label("Délai d'attente de l'ARL (jours)")).to_have_value("3")
    expect(page.get_by_label("Délai de paiement attendu (jours)")).to_have_value("10")
    page.get_by_role("heading", name="Réglages", exact=True).scroll_into_view_if_needed()
    screenshot("teletransmission-settings")

    # Back to the defaults: the demo cabinet is shared with the other tests.
    page.get_by_label("Délai d'attente de l'ARL (jours)").fill("2")
    page.get_by_label("Délai de paiement attendu (jours)").fill("7")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.get_by_role("status")).to_have_text("Réglages de télétransmission enregistrés.")
    expect(page.get_by_label("Délai d'attente de l'ARL (jours)")).to_have_value("2")
