"""The remplaçant's calendar through the JSON API (issue 5: « A remplaçant can bill only on
their calendar days for that titulaire »). The session guard only asks whether *today* is on
his calendar; ``POST /api/invoices`` must also refuse acts dated on a day he does not replace
the titulaire (blocking control ``remplacant_hors_calendrier`` of ``validate_invoice``), with
its French message, writing nothing — whoever is logged in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from uow_support import unit_of

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services.context import AppContext
from openfse.services.numbering import last_number
from openfse.store.journal import JournalEntry
from openfse.store.models import Invoice, Patient, Professional, ProfessionalKind, ReplacementDay
from openfse.store.models import UserRole as Role

TODAY = Clock().today()  # the session guard and the validation use the real date
OFF_DAY = TODAY - timedelta(days=1)  # not on the calendar (the fixture makes sure)


@pytest.fixture(scope="module")
def ids(settings: Settings) -> dict[str, int]:
    """The remplaçant replaces the titulaire today, not yesterday; a patient to bill."""
    ctx = AppContext.open(settings)
    try:
        with ctx.sessions() as session, session.begin():
            found = {kind.value: session.scalars(select(Professional.id).where(
                Professional.kind == kind)).first()
                for kind in (ProfessionalKind.TITULAIRE, ProfessionalKind.REMPLACANT)}
            titulaire, remplacant = found["titulaire"], found["remplacant"]
            assert titulaire is not None and remplacant is not None
            session.execute(ReplacementDay.__table__.delete().where(
                ReplacementDay.remplacant_id == remplacant,
                ReplacementDay.day.in_((TODAY, OFF_DAY))))
            session.add(ReplacementDay(cabinet_id=ctx.cabinet_id, remplacant_id=remplacant,
                                       titulaire_id=titulaire, day=TODAY))
            patient = session.scalars(select(Patient.id).where(
                Patient.last_name == "BERNARD", Patient.first_name == "JEAN")).one()
    finally:
        ctx.engine.dispose()
    return {"titulaire": titulaire, "remplacant": remplacant, "patient": patient}


def draft(ids: dict[str, int], *act_days: date) -> dict[str, Any]:
    return {"professional_id": ids["remplacant"], "patient_id": ids["patient"],
            "date_soins": TODAY.isoformat(), "parcours": "medecin_traitant",
            "secure_mode": "desynchronise",
            "acts": [{"code": "G", "date": day.isoformat()} for day in act_days]}


def stored(settings: Settings, titulaire: int) -> tuple[int, int, int]:
    """(invoices, journal entries, the titulaire's last number)."""
    ctx = AppContext.open(settings)
    try:
        with unit_of(ctx) as uow:
            return (int(uow.session.scalar(select(func.count()).select_from(Invoice)) or 0),
                    int(uow.session.scalar(select(func.count()).select_from(JournalEntry)) or 0),
                    last_number(uow, titulaire))
    finally:
        ctx.engine.dispose()


def test_on_his_calendar_day_the_remplacant_bills_under_the_titulaires_number(
    client_for: Callable[[Role], TestClient], settings: Settings, ids: dict[str, int],
) -> None:
    client = client_for(Role.REMPLACANT)
    before = stored(settings, ids["titulaire"])

    answer = client.post("/api/invoices", json=draft(ids, TODAY))

    assert answer.status_code == 201, answer.text
    assert int(answer.json()["number"]) == before[2] + 1  # the titulaire's sequence
    ctx = AppContext.open(settings)
    try:
        with unit_of(ctx) as uow:
            row = uow.invoices.get(int(answer.json()["id"]))
            assert (row.professional_id, row.billing_professional_id) == (
                ids["remplacant"], ids["titulaire"])
    finally:
        ctx.engine.dispose()


@pytest.mark.parametrize("role", [Role.REMPLACANT, Role.TITULAIRE], ids=lambda r: r.value)
def test_an_act_off_his_calendar_is_refused_at_validation_and_nothing_is_written(
    client_for: Callable[[Role], TestClient], settings: Settings, ids: dict[str, int],
    role: Role,
) -> None:
    client = client_for(role)  # logged in first: its account creation is journaled
    before = stored(settings, ids["titulaire"])

    # Today passes the session guard; the second act, yesterday, is off the calendar.
    answer = client.post("/api/invoices", json=draft(ids, TODAY, OFF_DAY))

    if role is Role.TITULAIRE:
        # Issue 12: a professional validates only in his own name, not his remplaçant's.
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "not_own_invoice"
        assert stored(settings, ids["titulaire"]) == before
        return
    assert answer.status_code == 422, answer.text
    blocking = [d for d in answer.json()["error"]["diagnostics"] if d["severity"] == "blocking"]
    assert [d["code"] for d in blocking] == ["remplacant_hors_calendrier"]
    assert blocking[0]["message"] == (
        f"Le {OFF_DAY:%d/%m/%Y} ne figure pas au calendrier de remplacement : un remplaçant "
        "ne facture que les jours où il remplace un titulaire.")
    assert stored(settings, ids["titulaire"]) == before  # no invoice, journal, number


def test_a_remplacant_cannot_bill_in_the_titulaires_name(
    client_for: Callable[[Role], TestClient], settings: Settings, ids: dict[str, int],
) -> None:
    # Naming the titulaire would skip the calendar control above (acts of any day).
    client = client_for(Role.REMPLACANT)
    before = stored(settings, ids["titulaire"])

    answer = client.post("/api/invoices",
                         json=draft(ids, TODAY, OFF_DAY) | {"professional_id": ids["titulaire"]})

    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "not_own_invoice"
    assert "ne facture qu'en son nom" in answer.json()["error"]["message"]
    assert stored(settings, ids["titulaire"]) == before


def test_the_api_journals_the_invoice_under_the_logged_in_user(
    client_for: Callable[[Role], TestClient], settings: Settings, ids: dict[str, int],
) -> None:
    client = client_for(Role.REMPLACANT)
    # A header cannot choose the author any more: the session says who did it.
    answer = client.post("/api/invoices", json=draft(ids, TODAY),
                         headers={"X-OpenFSE-Actor": "quelqu'un d'autre"})
    assert answer.status_code == 201, answer.text
    ctx = AppContext.open(settings)
    try:
        with unit_of(ctx) as uow:
            actors = set(uow.session.scalars(select(JournalEntry.actor).where(
                JournalEntry.entity == "invoice",
                JournalEntry.entity_id == answer.json()["id"])))
    finally:
        ctx.engine.dispose()
    assert actors and "quelqu'un d'autre" not in actors and "api" not in actors


def test_the_invoice_screen_applies_the_same_rule(
    client_for: Callable[[Role], TestClient], settings: Settings, ids: dict[str, int],
) -> None:
    # « Valider » on the screen, the titulaire chosen as « Professionnel »: refused in French,
    # the form kept, nothing written — as through the API.
    client = client_for(Role.REMPLACANT)
    before = stored(settings, ids["titulaire"])
    form = {"patient_id": str(ids["patient"]), "professional_id": str(ids["titulaire"]),
            "date_soins": OFF_DAY.isoformat(), "nature_assurance": "maladie",
            "parcours": "medecin_traitant", "secure_mode": "desynchronise",
            "acts-0-nomenclature": "NGAP", "acts-0-code": "G", "confirmed": "on"}

    page = client.post("/facture", data=form, headers={"HX-Request": "true"})

    assert page.status_code == 200  # htmx: the form comes back with the message
    assert "ne facture qu&#39;en son nom" in page.text or "ne facture qu'en son nom" in page.text
    assert "invoice-number" not in page.text
    assert stored(settings, ids["titulaire"]) == before
