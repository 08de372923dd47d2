"""The builders print what the pricing engine computed, without re-deriving any amount."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from openfse.domain.pricing import (
    ActDraft,
    AmcContract,
    InvoiceDraft,
    ModifierDraft,
    PatientContext,
    PsContext,
    ReferentialTariffs,
    TiersPayant,
    price,
)
from openfse.domain.pricing.codes import Exo, Nomenclature, Parcours, Profession, Qualificatif
from openfse.printing.builders import (
    care_sheet_from_pricing,
    conventionnement_label,
    lines_from_priced,
    receipt_from_pricing,
    receipt_payments,
    shares_from_priced,
    specialite_label,
)
from openfse.printing.documents import Cabinet, PaperMode
from openfse.printing.errors import InvalidPrintData

from .factories import patient, professional

DAY = date(2026, 3, 10)
TARIFFS = ReferentialTariffs()


def _priced(acts: tuple[ActDraft, ...], **changes: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "date_soins": DAY, "profession": Profession.MEDECIN, "acts": acts,
        "ps": PsContext(specialite="medecine_generale", secteur=1),
        "patient": PatientContext(age=40, parcours=Parcours.MEDECIN_TRAITANT),
        "amc": AmcContract(formula="021", parameter=Decimal(100)),
    }
    values.update(changes)
    draft = InvoiceDraft(**values)  # type: ignore[arg-type]
    return draft, price(draft, TARIFFS)


def test_lines_carry_the_engine_amounts_ccam_details_and_labels() -> None:
    # G 30,00 € + DEQP003 (ECG, CCAM secteur 1 grid 2026: 14,77 €) with modifier F,
    # association code 1.
    draft, priced = _priced((ActDraft("G"), ActDraft("DEQP003", Nomenclature.CCAM,
                                                     modifiers=(ModifierDraft("F"),),
                                                     activity=1, phase=0,
                                                     association_code=1)))
    lines = lines_from_priced(priced, draft, labels={"DEQP003": "ECG 12 dérivations"})
    assert [(line.code, line.amount) for line in lines] == [
        ("G", priced.acts[0].honoraires), ("DEQP003", priced.acts[1].honoraires)]
    assert lines[0].label == "Consultation du médecin généraliste"
    assert lines[0].detail == ""
    assert lines[1].label == "ECG 12 dérivations"
    assert lines[1].detail == "act. 1 · ph. 0 · mod. F · asso. 1"
    # Without the draft the activity and phase are unknown: only what the result holds.
    assert lines_from_priced(priced)[1].detail == "mod. F · asso. 1"
    assert lines_from_priced(priced)[1].label == ""  # CCAM labels come from the caller


def test_ik_lines_print_their_billable_kilometres() -> None:
    # NGAP art. 13 C: 6 km one way, 2 km abattement each way → 2 × 6 − 2 × 2 = 8 km.
    _, priced = _priced((ActDraft("AMI"), ActDraft("IK", distance_km=Decimal(6))),
                        profession=Profession.INFIRMIER, ps=PsContext())
    ami, ik = lines_from_priced(priced)
    assert ami.ik_km is None
    assert (ik.ik_km, ik.quantity) == (Decimal(8), 8)


def test_depassement_and_qualificatif_are_printed() -> None:
    # C (secteur 2, hors OPTAM) with a 25,00 € dépassement, qualificatif D.
    _, priced = _priced((ActDraft("C", qualificatif=Qualificatif.D,
                                  depassement=Decimal("25.00")),),
                        ps=PsContext(specialite="medecine_generale", secteur=2))
    (line,) = lines_from_priced(priced)
    assert (line.depassement, line.qualificatif) == (Decimal("25.00"), "D")
    assert line.amount == priced.acts[0].honoraires
    assert line.amount - line.depassement == priced.acts[0].br


def test_shares_are_the_fse_parts_and_add_up() -> None:
    # G 30,00 €: AMO 70 % = 21,00 € (gross: the 2,00 € participation forfaitaire is taken by
    # the caisse later), AMC formula 021 at 100 % of the ticket modérateur = 9,00 €.
    _, priced = _priced((ActDraft("G"),))
    shares = shares_from_priced(priced)
    assert (shares.total, shares.amo, shares.amc, shares.patient) == (
        Decimal("30.00"), Decimal("21.00"), Decimal("9.00"), Decimal("0.00"))


@pytest.mark.parametrize(
    "tiers_payant",
    [TiersPayant(), TiersPayant(amo=True), TiersPayant(amo=True, amc=True)],
    ids=["no-tp", "tp-amo", "tp-amo-amc"],
)
def test_what_the_sheet_says_is_due_is_what_the_engine_says(tiers_payant: TiersPayant) -> None:
    draft, priced = _priced((ActDraft("G"), ActDraft("DEQP003", Nomenclature.CCAM)),
                            tiers_payant=tiers_payant)
    sheet = care_sheet_from_pricing(
        draft, priced, mode=PaperMode.DEGRADE, invoice_number="1", issued_on=DAY,
        professional=professional(), patient=patient(),
        amount_received=priced.a_regler_par_patient_au_ps)
    assert sheet.due_at_desk == priced.a_regler_par_patient_au_ps
    note = receipt_from_pricing(
        priced, draft=draft, invoice_number="1", issued_on=DAY, cabinet=Cabinet("Cabinet"),
        professional=professional(), patient_last_name="MARTIN", patient_first_name="Paul")
    assert note.due == priced.a_regler_par_patient_au_ps


def test_the_sheet_takes_its_conditions_from_the_draft() -> None:
    draft, priced = _priced((ActDraft("G"),), exo=Exo.ALD, soins_en_rapport_ald=True,
                            patient=PatientContext(age=70, ald=True,
                                                   parcours=Parcours.URGENCE))
    sheet = care_sheet_from_pricing(
        draft, priced, mode=PaperMode.PAPIER, invoice_number="12", issued_on=DAY,
        professional=professional(), patient=patient())
    assert (sheet.nature, sheet.exoneration, sheet.parcours) == ("maladie", "4", "urgence")
    assert (sheet.tiers_payant_amo, sheet.tiers_payant_amc) == (
        priced.tiers_payant.amo, priced.tiers_payant.amc)


def test_the_professional_must_be_of_the_invoice_profession() -> None:
    draft, priced = _priced((ActDraft("G"),))
    with pytest.raises(InvalidPrintData) as excinfo:
        care_sheet_from_pricing(
            draft, priced, mode=PaperMode.DEGRADE, invoice_number="1", issued_on=DAY,
            professional=professional(profession="infirmier"), patient=patient())
    assert excinfo.value.field == "professional.profession"


@dataclass(frozen=True)
class _Payment:
    """Shaped like ``openfse.domain.payment.Payment`` (kind and payer are StrEnum values)."""

    kind: str
    amount: Decimal
    paid_on: date
    payer: str = "patient"
    reference: str = ""
    payer_name: str = ""


def test_receipt_payments_keep_the_addressee_payments_oldest_first() -> None:
    payments = [
        _Payment("cheque", Decimal("10.00"), date(2026, 3, 12), reference="n° 0042"),
        _Payment("virement", Decimal("21.00"), date(2026, 3, 20), payer="amo"),  # tiers payant
        _Payment("cb", Decimal("5.00"), date(2026, 3, 10)),
    ]
    printed = receipt_payments(payments)
    assert [(p.kind, p.amount, p.paid_on) for p in printed] == [
        ("cb", Decimal("5.00"), date(2026, 3, 10)),
        ("cheque", Decimal("10.00"), date(2026, 3, 12))]
    assert printed[1].reference == "n° 0042"


def test_labels() -> None:
    assert conventionnement_label(1) == "Conventionné secteur 1"
    assert conventionnement_label(2, optam=True) == "Conventionné secteur 2 — adhérent OPTAM"
    assert conventionnement_label(None) == "Non conventionné"
    assert specialite_label("01") == "Médecine générale"
    assert specialite_label(None) == ""
    with pytest.raises(InvalidPrintData) as excinfo:
        specialite_label("00")
    assert excinfo.value.field == "professional.specialite"
