"""Invoicing use cases on a real SQLite database holding the demo cabinet, and the database
guard that freezes validated invoices (PostgreSQL: tests/integration/
test_invoice_numbering_pg.py).

The module shares one database (a fresh one per module): tests create their own invoices and
compare numbers relative to the counter, never absolute counts of another test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from uow_support import unit_of, uow_factory

from openfse.adapters.cards.errors import CardAbsent
from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.cards import AmoAffiliation, CardKind, VitaleBeneficiary, VitaleCard
from openfse.domain.invoice import (
    AmcChoice,
    Attachment,
    BillTo,
    DisplayStatus,
    InvalidTransition,
    InvoiceDraft,
    InvoiceImmutable,
    InvoiceKind,
    InvoiceStatus,
    Prescription,
    SecureMode,
)
from openfse.domain.payment import Payer, Payment, PaymentKind, PaymentState
from openfse.domain.pricing import parse_draft
from openfse.domain.pricing.errors import DraftError
from openfse.domain.rights import Organisme
from openfse.errors import Conflict, InvalidInput
from openfse.ids import nir as nir_id
from openfse.periods import Period
from openfse.services import invoicing
from openfse.services.context import AppContext
from openfse.services.numbering import last_number
from openfse.store.models import Invoice, InvoiceAct, Patient, Professional, ProfessionalKind
from openfse.store.repositories.invoices import InvoiceFilters

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Support (also imported by the other test_invoicing_* modules)
# --------------------------------------------------------------------------------------------


def open_demo(home: Path) -> AppContext:
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=TODAY)
    return AppContext.open(settings)


def patient_named(ctx: AppContext, last: str, first: str = "") -> Patient:
    with unit_of(ctx) as uow:
        for patient in uow.patients.search(last, limit=50):
            if patient.last_name == last and (not first or patient.first_name == first):
                return patient
    raise LookupError(f"demo patient {last} {first} not found")


def professional(ctx: AppContext, kind: ProfessionalKind) -> Professional:
    with unit_of(ctx) as uow:
        return next(p for p in uow.professionals.list() if p.kind is kind)


def titulaire(ctx: AppContext) -> Professional:
    return professional(ctx, ProfessionalKind.TITULAIRE)


def draft_for(ctx: AppContext, patient: Patient, doc: dict[str, Any] | None = None,
              pro: Professional | None = None, **header: Any) -> InvoiceDraft:
    """A médecin généraliste's draft for ``patient``: G in the parcours, unless ``doc``
    overrides keys of the pricing contract."""
    base: dict[str, Any] = {
        "date_soins": TODAY.isoformat(), "profession": "medecin",
        "ps": {"specialite": "medecine_generale", "secteur": 1},
        "patient": {"age": 45, "parcours": "medecin_traitant"},
        "acts": [{"code": "G"}],
    }
    base.update(doc or {})
    owner = pro or titulaire(ctx)
    return InvoiceDraft(professional_id=owner.id, patient_id=patient.id,
                        pricing=parse_draft(base), **header)


def refs(ctx: AppContext) -> invoicing.InvoiceReferentials:
    return invoicing.InvoiceReferentials.of(ctx)


def validate(ctx: AppContext, draft: InvoiceDraft, *, now: datetime = NOW
             ) -> invoicing.ValidationResult:
    return invoicing.validate_invoice(unit_of(ctx, actor="dr.legrand"), draft, refs=refs(ctx),
                                      today=TODAY, now=now)


def counter(ctx: AppContext, professional_id: int) -> int:
    with unit_of(ctx) as uow:
        return last_number(uow, professional_id)


def vitale_of(patient: Patient, serial: str = "1234567890") -> VitaleCard:
    assert patient.nir and patient.birth_date_text
    beneficiary = VitaleBeneficiary(
        nom=patient.last_name, prenom=patient.first_name,
        date_naissance=patient.birth_date_text, rang=patient.birth_rank, qualite="00",
        nir=patient.nir,
        amo=AmoAffiliation(Organisme("01", "751", "9881"), "10", (Period(date(2025, 1, 1)),)))
    return VitaleCard(serial=serial, beneficiaries=(beneficiary,))


def fake_cps(data: bytes) -> bytes:
    return b"CPS:" + data[:16]


def fake_vitale(data: bytes) -> bytes:
    return b"VIT:" + data[:16]


def pulled_out_vitale(data: bytes) -> bytes:
    raise CardAbsent(CardKind.VITALE)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    context = open_demo(tmp_path_factory.mktemp("invoicing"))
    yield context
    context.engine.dispose()


# --------------------------------------------------------------------------------------------
# Preview and validation
# --------------------------------------------------------------------------------------------


def test_the_seed_recapitulatif_and_its_manual_amounts(ctx: AppContext) -> None:
    # Manuel eS-KAP+ « Récapitulatif » (docs/rules.md §E): C 23 + AFLB001 50.56, AMC 052 in tiers
    # payant: AMO 16.10 + 35.39 = 51.49, AMC 6.90 + 15.17 = 22.07, total 73.56.
    patient = patient_named(ctx, "BERNARD", "JEAN")
    draft = draft_for(ctx, patient, {
        "acts": [{"code": "C"},
                 {"code": "AFLB001", "nomenclature": "CCAM", "unit_price": "50.56"}],
        "amc": {"formula": "052"}, "tiers_payant": {"amo": True, "amc": True}})
    preview = invoicing.preview_invoice(unit_of(ctx), draft, refs=refs(ctx), today=TODAY)
    p = preview.priced
    assert (p.amo_brut, p.amc, p.patient, p.total_honoraires) == (
        Decimal("51.49"), Decimal("22.07"), Decimal("0.00"), Decimal("73.56"))
    assert preview.amo_rights == "ouverts" and not preview.blocking

    # « Changer le montant AMO » of the C: 16.10 → 19: caisse 54.39, assuré −2.90.
    changed = preview.draft.with_override(0, amo=Decimal("19.00"), amc=None)
    p = invoicing.preview_invoice(unit_of(ctx), changed, refs=refs(ctx), today=TODAY).priced
    assert (p.amo_brut, p.amc, p.patient) == (Decimal("54.39"), Decimal("22.07"),
                                              Decimal("-2.90"))
    # Then the AMC of the C 6.90 → 4.00: mutuelle 19.17, assuré 0, total unchanged.
    changed = changed.with_override(0, amo=Decimal("19.00"), amc=Decimal("4.00"))
    result = validate(ctx, changed)
    invoice = result.invoice
    assert (invoice.amo, invoice.amc, invoice.patient_share, invoice.total) == (
        Decimal("54.39"), Decimal("19.17"), Decimal("0.00"), Decimal("73.56"))
    # Résumé: Montant AMO 54.39 = Solde AMO, Montant AMC 19.17, Montant patient 0.
    b = result.balance
    assert (b.solde_amo, b.solde_amc, b.solde_patient) == (
        Decimal("54.39"), Decimal("19.17"), Decimal("0.00"))
    assert [(a.code, a.amo_override, a.amc_override) for a in invoice.acts] == [
        ("C", Decimal("19.00"), Decimal("4.00")), ("AFLB001", None, None)]


def test_validation_numbers_stores_and_journals_in_one_go(ctx: AppContext) -> None:
    patient = patient_named(ctx, "MICHEL", "ARTHUR")
    pro = titulaire(ctx)
    before = counter(ctx, pro.id)
    draft = draft_for(ctx, patient, {"tiers_payant": {"amo": True}}, a_domicile=False,
                      amc_choice=AmcChoice(amc_number="", convention_type="TP", csr="01"))

    result = validate(ctx, draft)

    row = result.invoice
    assert result.number.value == before + 1 == row.number
    assert str(result.number) == f"{before + 1:09d}"
    assert (row.status, row.billing_professional_id, row.assure_nir) == (
        InvoiceStatus.VALIDATED, pro.id, patient.nir)
    # G 30.00 × 70 % = 21.00 paid by the caisse (tiers payant AMO), 9.00 by the patient.
    assert (row.due_amo, row.due_amc, row.due_patient) == (
        Decimal("21.00"), Decimal("0.00"), Decimal("9.00"))
    assert row.pricing_snapshot["total_honoraires"] == "30.00"
    assert (row.amc_convention_type, row.amc_csr) == ("TP", "01")
    with unit_of(ctx) as uow:
        history = uow.journal_entries.history("invoice", row.id)
        actions = [e.action for e in history]
        acts = uow.journal_entries.history("invoice_act", row.acts[0].id)
    assert sorted(actions) == ["create", "validate"]
    assert next(e for e in history if e.action == "validate").actor == "dr.legrand"
    assert [e.action for e in acts] == ["create"]


def test_blocking_controls_refuse_with_every_diagnostic_and_use_no_number(ctx: AppContext
                                                                          ) -> None:
    # PETIT ANNE: AMO rights ended 31/12/2024; the CCAM act takes no modifier K.
    patient = patient_named(ctx, "PETIT", "ANNE")
    pro = titulaire(ctx)
    before = counter(ctx, pro.id)
    draft = draft_for(ctx, patient, {"acts": [
        {"code": "AFLB001", "nomenclature": "CCAM", "modifiers": ["K"]}]})

    with pytest.raises(invoicing.ControlsFailed) as refused:
        validate(ctx, draft)

    codes = [d.code for d in refused.value.diagnostics if d.is_blocking]
    assert codes == ["droits_amo_fermes", "modificateur_non_autorise"]
    assert "Droits AMO fermés au 02/03/2026" in refused.value.message
    assert counter(ctx, pro.id) == before
    rows, _ = invoicing.list_invoices(unit_of(ctx), InvoiceFilters(patient_id=patient.id))
    assert rows == []


def test_an_unpriceable_draft_is_reported_at_its_field(ctx: AppContext) -> None:
    patient = patient_named(ctx, "MICHEL", "ARTHUR")
    draft = draft_for(ctx, patient, {"acts": [{"code": "XYZ"}]})
    with pytest.raises(DraftError) as refused:
        validate(ctx, draft)
    assert refused.value.field == "acts[0].code"


def test_prescriber_must_exist_and_ordonnance_is_kept(ctx: AppContext) -> None:
    patient = patient_named(ctx, "DUPONT", "ALAIN")
    with unit_of(ctx) as uow:
        prescriber = uow.prescribers.list()[0]
    photo = Attachment("image/png", b"\x89PNG\r\n\x1a\n-ordonnance-", "ordonnance.png")
    unknown = draft_for(ctx, patient, prescription=Prescription(date(2026, 2, 27), 999999))
    with pytest.raises(invoicing.ControlsFailed) as refused:
        validate(ctx, unknown)
    assert [d.code for d in refused.value.diagnostics] == ["prescripteur_inconnu"]

    result = validate(ctx, draft_for(ctx, patient, prescription=Prescription(
        date(2026, 2, 27), prescriber.id, photo)))

    row = invoicing.get_invoice(unit_of(ctx), result.invoice.id)
    assert (row.prescription, row.prescriber_id) == (True, prescriber.id)
    [attachment] = row.attachments
    assert (attachment.media_type, attachment.size, attachment.filename) == (
        "image/png", len(photo.content), "ordonnance.png")
    meta, content = invoicing.get_attachment(unit_of(ctx), row.id, attachment.id)
    assert content == photo.content and meta.sha256 == attachment.sha256


def test_a_remplacant_bills_under_the_titulaire_on_his_days_only(ctx: AppContext) -> None:
    patient = patient_named(ctx, "FAURE", "ETIENNE")
    remplacant = professional(ctx, ProfessionalKind.REMPLACANT)
    chief = titulaire(ctx)
    before = counter(ctx, chief.id)

    result = validate(ctx, draft_for(ctx, patient, pro=remplacant))

    # The demo calendar: the remplaçant works the ten weekdays from 02/03/2026.
    assert (result.invoice.professional_id, result.invoice.billing_professional_id) == (
        remplacant.id, chief.id)
    assert result.number.value == before + 1  # the titulaire's sequence
    sunday = {"date_soins": "2026-03-01"}
    with pytest.raises(invoicing.ControlsFailed) as refused:
        validate(ctx, draft_for(ctx, patient, sunday, pro=remplacant))
    assert [d.code for d in refused.value.diagnostics if d.is_blocking] == [
        "remplacant_hors_calendrier"]


def test_an_anonymous_minor_is_billed_under_the_nir_anonyme(ctx: AppContext) -> None:
    patient = patient_named(ctx, "FOURNIER", "JULIE")  # born 13/08/2011: 14 years old
    draft = draft_for(ctx, patient, {"patient": {"age": 14, "parcours": "medecin_traitant"}},
                      sante_sexuelle=True, anonymous_minor=True)
    with pytest.raises(invoicing.ControlsFailed) as refused:
        validate(ctx, draft)
    assert [d.code for d in refused.value.diagnostics] == ["anonymat_sesam_sans_vitale"]

    row = validate(ctx, draft.for_anonymous_minor()).invoice

    # « 2 55 55 55 » + caisse 751 of the titulaire + « 042 » + key.
    assert row.assure_nir == "255555575104224" and nir_id.is_valid(row.assure_nir)
    assert (row.secure_mode, row.beneficiary_birth_date_text) == (
        SecureMode.SESAM_SANS_VITALE, None)


def test_a_company_is_billed_hors_teletransmission(ctx: AppContext) -> None:
    company = patient_named(ctx, "SARL BATIPRO")
    draft = draft_for(ctx, company)
    with pytest.raises(invoicing.ControlsFailed) as refused:
        validate(ctx, draft)
    assert "client_professionnel_teletransmission" in [d.code for d in
                                                      refused.value.diagnostics]
    billed = replace(draft, hors_teletransmission=True,
                     bill_to=BillTo("SARL BATIPRO (médecine du travail)",
                                    "4 avenue de l'Industrie, 93200 Saint-Denis",
                                    "73282932000074", company.id))

    row = validate(ctx, billed).invoice

    assert invoicing.state_of(row).display_status is DisplayStatus.HORS_TELETRANSMISSION
    assert (row.bill_to_siret, row.due_patient, row.due_amo) == (
        "73282932000074", Decimal("30.00"), Decimal("0.00"))


def test_desk_context_reads_the_files(ctx: AppContext) -> None:
    ald = patient_named(ctx, "MOREAU", "JACQUES")  # ALD, born 07/03/1952
    desk = invoicing.desk_context(unit_of(ctx), titulaire(ctx).id, ald.id, TODAY)
    assert desk.profession is not None and desk.profession.value == "medecin"
    assert (desk.ps.specialite, desk.ps.secteur) == ("medecine_generale", 1)
    # 02/03/2026: 73 years (birthday 07/03 not reached), 73 on 1 January.
    assert (desk.patient.age, desk.patient.age_1er_janvier, desk.patient.ald) == (73, 73, True)
    c2s = patient_named(ctx, "LEROY", "KARIM")  # AMC contract type 89 from 01/06/2026
    assert not invoicing.desk_context(unit_of(ctx), titulaire(ctx).id, c2s.id, TODAY).patient.c2s
    assert invoicing.desk_context(unit_of(ctx), titulaire(ctx).id, c2s.id,
                                  date(2026, 7, 1)).patient.c2s
    with_amc = patient_named(ctx, "BERNARD", "JEAN")
    contracts = invoicing.desk_context(unit_of(ctx), titulaire(ctx).id, with_amc.id,
                                       TODAY).amc_contracts
    assert [(c.formula, c.parameter) for c in contracts.values()] == [("052", None)]


# --------------------------------------------------------------------------------------------
# Payments and balances
# --------------------------------------------------------------------------------------------


def test_payments_balance_and_their_edition(ctx: AppContext) -> None:
    patient = patient_named(ctx, "MULLER", "CELINE")
    row = validate(ctx, draft_for(ctx, patient)).invoice  # patient owes 30.00
    uow = uow_factory(ctx)

    first = invoicing.record_payment(uow(), row.id, Payment(PaymentKind.CB, Decimal("25.00"),
                                                            TODAY))
    assert (first.solde_patient, first.patient_state) == (Decimal("5.00"),
                                                          PaymentState.INCOMPLET)
    over = invoicing.record_payment(uow(), row.id, Payment(PaymentKind.ESPECES,
                                                           Decimal("6.00"), TODAY))
    assert (over.solde_patient, over.patient_state) == (Decimal("-1.00"), PaymentState.NEGATIF)
    payments = invoicing.get_invoice(uow(), row.id).payments
    settled = invoicing.edit_payment(uow(), payments[1].id, Payment(
        PaymentKind.ESPECES, Decimal("5.00"), TODAY, reference="caisse du jour"))
    assert settled.patient_state is PaymentState.SOLDE
    again = invoicing.delete_payment(uow(), payments[0].id)
    assert again.solde_patient == Decimal("25.00")
    with unit_of(ctx) as journal:
        actions = [e.action for e in journal.journal_entries.history("payment", payments[1].id)]
    assert sorted(actions) == ["create", "update"]


def test_patient_unpaid_total_sums_what_is_still_owed(ctx: AppContext) -> None:
    patient = patient_named(ctx, "GUERIN", "ELISE")
    assert invoicing.patient_unpaid_total(unit_of(ctx), patient.id) == Decimal("0.00")
    first = validate(ctx, draft_for(ctx, patient)).invoice
    second = validate(ctx, draft_for(ctx, patient)).invoice
    third = validate(ctx, draft_for(ctx, patient)).invoice
    invoicing.record_payment(unit_of(ctx), first.id, Payment(PaymentKind.CB, Decimal("10.00"),
                                                          TODAY))
    invoicing.record_payment(unit_of(ctx), second.id, Payment(PaymentKind.CB, Decimal("35.00"),
                                                           TODAY))
    invoicing.cancel_invoice(unit_of(ctx), third.id, "doublon", now=NOW)
    # 30 − 10 = 20 still owed; the overpaid second (−5) owes nothing; the third is cancelled.
    assert invoicing.patient_unpaid_total(unit_of(ctx), patient.id) == Decimal("20.00")


def test_insurer_payments_are_recorded_against_their_own_due(ctx: AppContext) -> None:
    patient = patient_named(ctx, "BERNARD", "JEAN")
    row = validate(ctx, draft_for(ctx, patient, {"tiers_payant": {"amo": True}})).invoice
    b = invoicing.record_payment(unit_of(ctx), row.id, Payment(
        PaymentKind.VIREMENT, Decimal("21.00"), TODAY, payer=Payer.AMO, reference="NOEMIE"))
    assert (b.solde_amo, b.solde_patient) == (Decimal("0.00"), Decimal("9.00"))


# --------------------------------------------------------------------------------------------
# Cancellation, deletion, lists
# --------------------------------------------------------------------------------------------


def test_cancellation_makes_a_linked_numbered_document(ctx: AppContext) -> None:
    patient = patient_named(ctx, "LAURENT", "NATHAN")
    row = validate(ctx, draft_for(ctx, patient)).invoice
    later = NOW + timedelta(hours=2)

    document = invoicing.cancel_invoice(unit_of(ctx, actor="secretaire"), row.id,
                                        "Erreur de patient", now=later)

    assert (document.kind, document.cancels_id, document.number) == (
        InvoiceKind.CANCELLATION, row.id, row.number + 1)
    assert (document.total, document.due_patient) == (Decimal("-30.00"), Decimal("-9.00")
                                                      if row.due_amo else Decimal("-30.00"))
    original = invoicing.get_invoice(unit_of(ctx), row.id)
    assert (original.status, original.cancelled_at) == (InvoiceStatus.CANCELLED, later)
    with pytest.raises(InvalidTransition):
        invoicing.cancel_invoice(unit_of(ctx), row.id, "encore", now=later)
    with pytest.raises(InvalidTransition):
        invoicing.record_payment(unit_of(ctx), row.id, Payment(PaymentKind.CB, Decimal("1.00"),
                                                            TODAY))
    with unit_of(ctx) as uow:
        assert uow.invoices.cancellation_of(row.id).id == document.id
        assert [e.action for e in uow.journal_entries.history("invoice", row.id)][-1] == "cancel"


def test_delete_unsent_all_or_nothing_keeping_the_numbers(ctx: AppContext) -> None:
    patient = patient_named(ctx, "ROUSSEAU", "ZOE")
    first = validate(ctx, draft_for(ctx, patient)).invoice
    second = validate(ctx, draft_for(ctx, patient)).invoice
    invoicing.sign_invoices(unit_of(ctx), [second.id], sign=fake_cps, vitale=vitale_of(patient),
                            certify=fake_vitale)
    invoicing.put_in_lot(unit_of(ctx), [second.id], "LOT-001")

    with pytest.raises(InvalidTransition, match="non transmises"):
        invoicing.delete_unsent(unit_of(ctx), [first.id, second.id])
    assert invoicing.get_invoice(unit_of(ctx), first.id).status is InvoiceStatus.VALIDATED

    [deleted] = invoicing.delete_unsent(unit_of(ctx), [first.id])

    assert (deleted.status, deleted.number) == (InvoiceStatus.DELETED, first.number)
    mine = InvoiceFilters(patient_id=patient.id)
    assert [r.id for r, _ in invoicing.list_invoices(unit_of(ctx), mine)[0]] == [second.id]
    with_deleted = replace(mine, include_deleted=True)
    assert len(invoicing.list_invoices(unit_of(ctx), with_deleted)[0]) == 2


def test_list_filters_by_displayed_status_patient_dates_and_number(ctx: AppContext) -> None:
    patient = patient_named(ctx, "VINCENT", "RAPHAEL")
    earlier = validate(ctx, draft_for(ctx, patient, {"date_soins": "2026-02-20"})).invoice
    desync = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DESYNCHRONISE)).invoice
    invoicing.sign_invoices(unit_of(ctx), [desync.id], sign=fake_cps)

    def ids(**filters: Any) -> list[int]:
        rows, total = invoicing.list_invoices(unit_of(ctx), InvoiceFilters(patient_id=patient.id,
                                                                        **filters))
        assert total == len(rows)
        return [row.id for row, _ in rows]

    assert ids() == [desync.id, earlier.id]  # newest first
    assert ids(display_statuses=(DisplayStatus.DESYNCHRONISEE,)) == [desync.id]
    assert ids(display_statuses=(DisplayStatus.A_SIGNER, DisplayStatus.SECURISEE)) == [
        earlier.id]
    assert ids(date_to=date(2026, 2, 28)) == [earlier.id]
    assert ids(date_from=TODAY, number=desync.number) == [desync.id]
    rows, _ = invoicing.list_invoices(unit_of(ctx), InvoiceFilters(patient_id=patient.id))
    assert rows[0][1].last_name == "VINCENT"


# --------------------------------------------------------------------------------------------
# Signature, securing with the carte Vitale, transmission statuses
# --------------------------------------------------------------------------------------------


def test_signature_needs_the_vitale_in_mode_securise(ctx: AppContext) -> None:
    patient = patient_named(ctx, "BONNET", "NATHALIE")
    secure = validate(ctx, draft_for(ctx, patient)).invoice
    degraded = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice

    report = invoicing.sign_invoices(unit_of(ctx), [secure.id, degraded.id], sign=fake_cps)

    assert [r.id for r in report.done] == [degraded.id]
    assert report.refused[0][0] == secure.id and "carte Vitale" in report.refused[0][1]
    signed = invoicing.get_invoice(unit_of(ctx), degraded.id)
    assert invoicing.state_of(signed).display_status is DisplayStatus.DEGRADEE
    assert bytes.fromhex(signed.cps_signature or "").startswith(b"CPS:")

    # The card in the reader but pulled out before it signs: not secured, nothing changed.
    report = invoicing.sign_invoices(unit_of(ctx), [secure.id], sign=fake_cps,
                                     vitale=vitale_of(patient), certify=pulled_out_vitale)
    assert report.refused[0][0] == secure.id and "Vitale" in report.refused[0][1]
    assert invoicing.get_invoice(unit_of(ctx), secure.id).cps_signature is None

    report = invoicing.sign_invoices(unit_of(ctx), [secure.id], sign=fake_cps,
                                     vitale=vitale_of(patient, "V-42"), certify=fake_vitale)
    signed = invoicing.get_invoice(unit_of(ctx), secure.id)
    assert (invoicing.state_of(signed).display_status, signed.vitale_serial) == (
        DisplayStatus.SECURISEE, "V-42")
    # Secured by both cards: the Vitale signed the same contenu signé as the CPS.
    assert bytes.fromhex(signed.vitale_signature or "") == fake_vitale(
        invoicing.signed_content(signed))


def test_desynchronised_invoices_are_secured_later_by_their_assure_only(ctx: AppContext
                                                                        ) -> None:
    patient = patient_named(ctx, "FONTAINE", "THEO")
    other = patient_named(ctx, "MERCIER", "ELIOTT")
    mine = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DESYNCHRONISE)).invoice
    theirs = validate(ctx, draft_for(ctx, other, secure_mode=SecureMode.DESYNCHRONISE)).invoice
    invoicing.sign_invoices(unit_of(ctx), [mine.id, theirs.id], sign=fake_cps)

    assert patient.nir is not None
    waiting = invoicing.invoices_to_secure(unit_of(ctx), patient.nir)
    assert [r.id for r in waiting] == [mine.id]

    pulled = invoicing.secure_invoices(unit_of(ctx), [mine.id], vitale=vitale_of(patient),
                                       certify=pulled_out_vitale)
    assert not pulled.done and "Vitale" in pulled.refused[0][1]
    assert invoicing.get_invoice(unit_of(ctx), mine.id).vitale_signature is None

    report = invoicing.secure_invoices(unit_of(ctx), [mine.id, theirs.id],
                                       vitale=vitale_of(patient), certify=fake_vitale)

    assert [r.id for r in report.done] == [mine.id]
    assert report.refused[0][0] == theirs.id
    assert invoicing.invoices_to_secure(unit_of(ctx), patient.nir) == []
    secured = invoicing.get_invoice(unit_of(ctx), mine.id)
    assert invoicing.state_of(secured).display_status is DisplayStatus.SECURISEE
    assert bytes.fromhex(secured.vitale_signature or "") == fake_vitale(
        invoicing.signed_content(secured))


def test_transmission_statuses_follow_the_life_of_the_invoice(ctx: AppContext) -> None:
    patient = patient_named(ctx, "RICHARD", "CAMILLE")
    paid = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice
    rejected = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice
    both = [paid.id, rejected.id]
    invoicing.sign_invoices(unit_of(ctx), both, sign=fake_cps)
    invoicing.put_in_lot(unit_of(ctx), both, "LOT-002")
    invoicing.mark_sent(unit_of(ctx), both, now=NOW)
    invoicing.acknowledge(unit_of(ctx), both, now=NOW)
    invoicing.mark_paid(unit_of(ctx), [paid.id], now=NOW)
    invoicing.reject(unit_of(ctx), rejected.id, "Droits non ouverts", now=NOW)

    shown = {row.id: invoicing.state_of(row).display_status
             for row in (invoicing.get_invoice(unit_of(ctx), i) for i in both)}
    assert shown == {paid.id: DisplayStatus.PAYEE, rejected.id: DisplayStatus.REJETEE}
    with pytest.raises(InvalidTransition):
        invoicing.put_in_lot(unit_of(ctx), [paid.id], "LOT-003")
    # A rejected invoice may be cancelled to be redone.
    assert invoicing.cancel_invoice(unit_of(ctx), rejected.id,
                                    "à refaire").cancels_id == rejected.id


def test_a_rejected_invoice_is_corrected_and_invoiced_again_linked_to_it(
        ctx: AppContext) -> None:
    # « Corriger et refacturer »: the rejected invoice is cancelled, the new one says which
    # invoice it replaces (replaces_id, journaled), and an invoice is replaced once only.
    patient = patient_named(ctx, "GIRARD")
    other = patient_named(ctx, "MERCIER", "ELIOTT")
    rejected = validate(ctx, draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE)).invoice
    invoicing.sign_invoices(unit_of(ctx), [rejected.id], sign=fake_cps)
    invoicing.put_in_lot(unit_of(ctx), [rejected.id], "LOT-009")
    invoicing.mark_sent(unit_of(ctx), [rejected.id], now=NOW)
    invoicing.acknowledge(unit_of(ctx), [rejected.id], now=NOW)
    invoicing.reject(unit_of(ctx), rejected.id, "R03 Droits AMO fermés", now=NOW)
    corrected = draft_for(ctx, patient, secure_mode=SecureMode.DEGRADE,
                          replaces_id=rejected.id)

    # Not cancelled yet: it cannot be replaced (nothing is stored, no number used).
    before = counter(ctx, rejected.billing_professional_id)
    with pytest.raises(InvalidInput, match="n'est pas annulée"):
        validate(ctx, corrected)
    assert counter(ctx, rejected.billing_professional_id) == before
    with pytest.raises(InvalidInput, match="n'est pas annulée"):
        invoicing.invoice_to_reinvoice(unit_of(ctx), rejected.id)

    invoicing.cancel_invoice(unit_of(ctx), rejected.id, "Rejet R03 : à refacturer")
    source = invoicing.invoice_to_reinvoice(unit_of(ctx), rejected.id)
    assert [act.code for act in source.acts] == ["G"]  # the screen is filled from it
    with pytest.raises(InvalidInput, match="autre patient"):
        validate(ctx, replace(draft_for(ctx, other), replaces_id=rejected.id))

    new = validate(ctx, corrected).invoice

    assert new.replaces_id == rejected.id
    old = invoicing.get_invoice(unit_of(ctx), rejected.id)
    replaced, replaced_by = invoicing.replacement_links(unit_of(ctx), old)
    assert (replaced, replaced_by.id if replaced_by else None) == (None, new.id)
    replaced, _ = invoicing.replacement_links(unit_of(ctx), invoicing.get_invoice(unit_of(ctx),
                                                                                  new.id))
    assert replaced is not None and replaced.id == rejected.id
    with unit_of(ctx) as uow:
        [entry] = [e for e in uow.journal_entries.history("invoice", new.id)
                   if e.action == "validate"]
    assert f"remplace la facture n° {old.number:09d}" in (entry.summary or "")
    with pytest.raises(InvalidInput, match="déjà remplacée"):
        validate(ctx, corrected)


# --------------------------------------------------------------------------------------------
# Frozen in the database: whoever writes — the ORM, a script, the SQL prompt — cannot change
# a validated invoice's content, acts or attachments, nor delete it; only its lifecycle
# columns move. A draft stays free.
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def invoice_id(ctx: AppContext) -> int:
    patient = patient_named(ctx, "ANDRE", "MANON")
    return validate(ctx, draft_for(ctx, patient, {"acts": [{"code": "G"}, {"code": "MEG"}]})
                    ).invoice.id


def run(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), params)


REFUSED = [
    "UPDATE invoice SET total = 1 WHERE id = :id",
    "UPDATE invoice SET patient_id = patient_id + 1 WHERE id = :id",
    "UPDATE invoice SET due_patient = NULL WHERE id = :id",
    "UPDATE invoice SET status = 'draft' WHERE id = :id",
    "UPDATE invoice SET number = number + 100000 WHERE id = :id",
    "UPDATE invoice SET validated_at = NULL WHERE id = :id",
    "DELETE FROM invoice WHERE id = :id",
    "UPDATE invoice_act SET amo = 0 WHERE invoice_id = :id",
    "DELETE FROM invoice_act WHERE invoice_id = :id",
    "INSERT INTO invoice_act (cabinet_id, invoice_id, position, code, nomenclature, act_date, "
    "quantity, coefficient, depassement, activity, phase, supplement_charge, "
    "remboursement_exceptionnel, prevention_ebd, serie, entente_prealable, unit_price, br, "
    "honoraires, taux_amo, amo, amc, patient_share, forfait_24, participation_forfaitaire, "
    "franchise, modifiers, applied_modifiers) SELECT cabinet_id, id, 9, 'G', 'NGAP', "
    "date_soins, 1, 1000, 0, 1, 0, 0, 0, 0, 0, 0, 3000, 3000, 3000, 7000, 2100, 0, 900, 0, 0, "
    "0, '[]', '[]' FROM invoice WHERE id = :id",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_the_database_refuses_any_change_of_a_validated_invoice(ctx: AppContext,
                                                                invoice_id: int,
                                                                sql: str) -> None:
    with pytest.raises(IntegrityError, match="frozen row"):
        run(ctx.engine, sql, id=invoice_id)
    row = invoicing.get_invoice(unit_of(ctx), invoice_id)
    assert (row.status, row.total, len(row.acts)) == (InvoiceStatus.VALIDATED,
                                                      Decimal("35.00"), 2)


def test_its_lifecycle_columns_still_move(ctx: AppContext, invoice_id: int) -> None:
    run(ctx.engine, "UPDATE invoice SET lot_ref = 'LOT-9', rejection_reason = 'x' "
                    "WHERE id = :id", id=invoice_id)
    run(ctx.engine, "UPDATE invoice SET lot_ref = NULL, rejection_reason = NULL "
                    "WHERE id = :id", id=invoice_id)


def test_an_orm_change_is_refused_at_commit(ctx: AppContext, invoice_id: int) -> None:
    with unit_of(ctx) as uow, pytest.raises(Conflict):
        uow.invoices.get(invoice_id).total = Decimal("1.00")
        uow.commit()
    assert invoicing.get_invoice(unit_of(ctx), invoice_id).total == Decimal("35.00")


def test_the_service_layer_names_the_refusal(ctx: AppContext, invoice_id: int) -> None:
    with unit_of(ctx) as uow:
        row = uow.invoices.get(invoice_id)
        row.amo = Decimal("0.00")
        with pytest.raises(InvoiceImmutable):
            invoicing._journal_update(uow, row, "update", "tentative")


def test_a_draft_stays_free_until_it_is_validated(ctx: AppContext, invoice_id: int) -> None:
    # A draft row (as the validation writes it before numbering it) may change and go away,
    # with its acts (ON DELETE CASCADE).
    with unit_of(ctx) as uow:
        validated = uow.invoices.get_full(invoice_id)
        columns = {c.key: getattr(validated, c.key) for c in Invoice.__table__.columns
                   if c.key not in ("id", "number", "status", "validated_at")}
        draft = Invoice(**columns)
        draft.status = InvoiceStatus.DRAFT
        uow.session.add(draft)
        uow.flush()
        draft_id = draft.id
        uow.commit()
    columns = [c.name for c in InvoiceAct.__table__.columns if c.name != "id"]
    copied = ", ".join(":draft" if name == "invoice_id" else name for name in columns)
    run(ctx.engine, f"INSERT INTO invoice_act ({', '.join(columns)}) SELECT {copied} "
                    "FROM invoice_act WHERE invoice_id = :id", draft=draft_id, id=invoice_id)
    run(ctx.engine, "UPDATE invoice SET total = 1 WHERE id = :id", id=draft_id)
    run(ctx.engine, "UPDATE invoice_act SET amo = 0 WHERE invoice_id = :id", id=draft_id)
    run(ctx.engine, "DELETE FROM invoice WHERE id = :id", id=draft_id)
    with ctx.engine.connect() as connection:
        left = connection.execute(text("SELECT count(*) FROM invoice_act WHERE invoice_id = :id"),
                                  {"id": draft_id}).scalar_one()
    assert left == 0
