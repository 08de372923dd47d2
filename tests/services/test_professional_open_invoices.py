"""Manuel eS-KAP+ « Avant de supprimer un titulaire, vérifiez que : … 2- Toutes les factures
associées ont été supprimées ou déchargées »: ``professionals.open_invoices`` counts the
invoices of a professional still waiting on the workstation (to sign, signed, in a lot), and
the deletion of a titulaire is refused while there is one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from uow_support import unit_of

from openfse.domain.invoice import BillTo, SecureMode
from openfse.errors import Conflict
from openfse.services import invoicing, professionals
from openfse.services.context import AppContext
from openfse.store.models import ProfessionalKind

from .test_invoicing import (
    NOW,
    draft_for,
    fake_cps,
    open_demo,
    patient_named,
    professional,
    titulaire,
    validate,
)


@pytest.fixture()
def ctx(tmp_path: Path) -> AppContext:
    return open_demo(tmp_path)


def _open(ctx: AppContext, professional_id: int) -> int:
    with unit_of(ctx) as uow:
        return professionals.open_invoices(uow, professional_id)


def test_an_invoice_waits_until_transmitted_or_deleted(ctx: AppContext) -> None:
    chief = titulaire(ctx)
    before = _open(ctx, chief.id)
    patient = patient_named(ctx, "RICHARD", "CAMILLE")
    sent = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice
    deleted = validate(ctx, draft_for(ctx, patient)).invoice
    # Validated (« à signer »): both wait.
    assert _open(ctx, chief.id) == before + 2
    invoicing.sign_invoices(unit_of(ctx), [sent.id], sign=fake_cps)
    invoicing.put_in_lot(unit_of(ctx), [sent.id], "LOT-001")
    assert _open(ctx, chief.id) == before + 2  # signed, then in a lot: still not transmitted
    invoicing.mark_sent(unit_of(ctx), [sent.id], now=NOW)
    invoicing.delete_unsent(unit_of(ctx), [deleted.id], now=NOW)
    # Worked example: 2 validated, 1 transmitted (« déchargée »), 1 deleted → back to before.
    assert _open(ctx, chief.id) == before


def test_a_remplacant_invoice_counts_for_the_titulaire_too(ctx: AppContext) -> None:
    # A remplaçant bills under the titulaire's numéro: the invoice is associated with both.
    chief = titulaire(ctx)
    stand_in = professional(ctx, ProfessionalKind.REMPLACANT)
    before = (_open(ctx, chief.id), _open(ctx, stand_in.id))
    patient = patient_named(ctx, "RICHARD", "CAMILLE")
    validate(ctx, draft_for(ctx, patient, pro=stand_in))
    assert (_open(ctx, chief.id), _open(ctx, stand_in.id)) == (before[0] + 1, before[1] + 1)


def test_a_hors_teletransmission_invoice_does_not_wait(ctx: AppContext) -> None:
    # Validated « hors télétransmission » is final: nothing is ever sent, nothing waits.
    chief = titulaire(ctx)
    before = _open(ctx, chief.id)
    company = patient_named(ctx, "SARL BATIPRO")
    validate(ctx, replace(draft_for(ctx, company), hors_teletransmission=True,
                          bill_to=BillTo("SARL BATIPRO", "4 avenue de l'Industrie, 93200 "
                                         "Saint-Denis", "73282932000074", company.id)))
    assert _open(ctx, chief.id) == before


def test_a_waiting_invoice_blocks_the_deletion_of_the_titulaire(ctx: AppContext) -> None:
    chief = titulaire(ctx)
    patient = patient_named(ctx, "RICHARD", "CAMILLE")
    validate(ctx, draft_for(ctx, patient))
    count = _open(ctx, chief.id)
    reasons = professionals.titulaire_deletion_blockers(unit_of(ctx), ctx.card_reader, chief.id)
    waiting = [r for r in reasons if "ont été supprimées ou déchargées" in r]
    assert len(waiting) == 1 and f"{count} facture" in waiting[0]
    with pytest.raises(professionals.TitulaireNotDeletable):
        professionals.delete_titulaire(unit_of(ctx), ctx.card_reader, chief.id)


def test_a_professional_with_archived_invoices_keeps_his_file(ctx: AppContext) -> None:
    # Nothing waits any more (transmitted, deleted), yet the invoices stay, immutable, and
    # name him: the deletion is refused with why, instead of a database error.
    stand_in = professional(ctx, ProfessionalKind.REMPLACANT)
    patient = patient_named(ctx, "RICHARD", "CAMILLE")
    invoice = validate(ctx, draft_for(ctx, patient, pro=stand_in)).invoice
    invoicing.delete_unsent(unit_of(ctx), [invoice.id], now=NOW)
    assert _open(ctx, stand_in.id) == 0
    professionals.deactivate_remplacant(unit_of(ctx), stand_in.id)
    with pytest.raises(Conflict, match="facture archivée, conservée avec son dossier") as refused:
        professionals.delete_remplacant(unit_of(ctx), stand_in.id)
    assert refused.value.code == "archived_invoices"
    with unit_of(ctx) as uow:
        assert uow.professionals.get(stand_in.id) is not None
