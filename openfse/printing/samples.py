"""Sample documents, priced by the real engine: to look at the layouts
(``python -m openfse.printing --out DIR``), to test them and to time them.

The people are those of the test cards (``openfse/simulators/data/cards``): Dr Pierre
LEGRAND (``cps_titulaire``), the MARTIN family (``vitale_famille``: Sophie MARTIN née DUBOIS
has a lunar birth date, ``19841300``, and is covered as the spouse of Paul MARTIN). All
numbers are fictitious (valid keys).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from openfse.domain.pricing import (
    ActDraft,
    AmcContract,
    InvoiceDraft,
    PatientContext,
    PricedInvoice,
    PsContext,
    ReferentialTariffs,
    TiersPayant,
    price,
)
from openfse.domain.pricing.codes import Exo, Nomenclature, Parcours, Profession
from openfse.printing.builders import (
    care_sheet_from_pricing,
    conventionnement_label,
    receipt_from_pricing,
    specialite_label,
)
from openfse.printing.documents import (
    ActLine,
    Address,
    AmcOrganism,
    AmoOrganism,
    Cabinet,
    CareSheet,
    Company,
    Insured,
    PaperMode,
    Patient,
    Prescription,
    Professional,
    Receipt,
    ReceiptPayment,
)

__all__ = [
    "sample_care_sheet",
    "sample_company_receipt",
    "sample_nurse_care_sheet",
    "sample_receipt",
]

CARE_DAY = date(2026, 3, 10)
CABINET_ADDRESS = Address(("12, rue de la Fontaine-au-Roi",), "75011", "Paris")


def _tariffs() -> ReferentialTariffs:
    return ReferentialTariffs()


def legrand() -> Professional:
    """Dr Pierre LEGRAND, médecin généraliste secteur 1 (test CPS ``cps_titulaire``)."""
    return Professional(
        last_name="LEGRAND", first_name="Pierre", profession="medecin",
        billing_number="751000126", rpps="99900012347", specialite=specialite_label("01"),
        conventionnement=conventionnement_label(1), structure="Cabinet du Dr Legrand",
        address=CABINET_ADDRESS, phone="01 43 55 00 00",
    )


def nurse() -> Professional:
    """Mme Élise FOURNIER, infirmière libérale (a fictitious nurse of the same cabinet)."""
    return Professional(
        last_name="FOURNIER", first_name="Élise", profession="infirmier",
        billing_number="751000340", conventionnement=conventionnement_label(1),
        address=CABINET_ADDRESS, phone="06 12 34 56 78",
    )


def sophie_martin() -> Patient:
    """Sophie MARTIN (née DUBOIS), lunar birth date, ayant droit of Paul MARTIN."""
    return Patient(
        last_name="MARTIN", first_name="Sophie", nir="178047511501217", birth_date="19841300",
        rank=1, amo=AmoOrganism("017519881", "CPAM de Paris"),
        amc=AmcOrganism("780004099", "Mutuelle des Œuvres Sociales", adherent="A-20931"),
        insured=Insured("MARTIN", "Paul", Address(("8, allée des Tilleuls",), "75020",
                                                  "Paris")),
    )


def paul_martin() -> Patient:
    return Patient(
        last_name="MARTIN", first_name="Paul", nir="178047511501217", birth_date="19780412",
        amo=AmoOrganism("017519881", "CPAM de Paris"),
        amc=AmcOrganism("780004099", "Mutuelle des Œuvres Sociales"),
        address=Address(("8, allée des Tilleuls",), "75020", "Paris"),
    )


def _consultation() -> tuple[InvoiceDraft, PricedInvoice]:
    """G + ECG (CCAM DEQP003) on 10/03/2026, médecin traitant, tiers payant AMO."""
    draft = InvoiceDraft(
        date_soins=CARE_DAY, profession=Profession.MEDECIN,
        acts=(ActDraft("G"), ActDraft("DEQP003", Nomenclature.CCAM)),
        ps=PsContext(specialite="medecine_generale", secteur=1),
        patient=PatientContext(age=40, parcours=Parcours.MEDECIN_TRAITANT),
        amc=AmcContract(formula="021", parameter=Decimal(100)),
        tiers_payant=TiersPayant(amo=True),
    )
    return draft, price(draft, _tariffs())


def sample_care_sheet(mode: PaperMode = PaperMode.DEGRADE, *, with_qr: bool = True
                      ) -> CareSheet:
    """Dr LEGRAND's feuille de soins for Sophie MARTIN: consultation + ECG, paid at the desk
    for the part not in tiers payant."""
    draft, priced = _consultation()
    return care_sheet_from_pricing(
        draft, priced, mode=mode, invoice_number="1434", issued_on=CARE_DAY,
        professional=legrand(), patient=sophie_martin(),
        amount_received=priced.a_regler_par_patient_au_ps, with_qr=with_qr,
        labels={"DEQP003": "Électrocardiographie sur au moins 12 dérivations"},
    )


def nurse_series(acts: int) -> tuple[InvoiceDraft, PricedInvoice]:
    """A home-care series (AMI 1 + IFD + IK each day, from 02/02/2026), ``acts`` lines in
    all, soins en rapport avec une ALD, tiers payant AMO and AMC."""
    first = date(2026, 2, 2)
    drafts: list[ActDraft] = []
    day = 0
    while len(drafts) < acts:
        on = first + timedelta(days=day)
        drafts += [ActDraft("AMI", date=on), ActDraft("IFD", date=on),
                   ActDraft("IK", distance_km=Decimal(6), date=on)]
        day += 1
    draft = InvoiceDraft(
        date_soins=first, profession=Profession.INFIRMIER, acts=tuple(drafts[:acts]),
        patient=PatientContext(age=80, ald=True), exo=Exo.ALD, soins_en_rapport_ald=True,
        amc=AmcContract(formula="021", parameter=Decimal(100)),
        tiers_payant=TiersPayant(amo=True, amc=True),
    )
    return draft, price(draft, _tariffs())


def sample_nurse_care_sheet(acts: int = 40, mode: PaperMode = PaperMode.DEGRADE) -> CareSheet:
    """A nurse's long sheet (multi-page from about 25 lines), on Dr LEGRAND's prescription."""
    draft, priced = nurse_series(acts)
    last_day = max(act.date for act in priced.acts)
    return care_sheet_from_pricing(
        draft, priced, mode=mode, invoice_number="2087", issued_on=last_day,
        professional=nurse(), patient=paul_martin(),
        prescription=Prescription("Dr Pierre LEGRAND", date(2026, 1, 27),
                                  prescriber_id="99900012347",
                                  specialite=specialite_label("01")),
    )


def cabinet() -> Cabinet:
    return Cabinet(name="Cabinet médical de la Fontaine", address=CABINET_ADDRESS,
                   phone="01 43 55 00 00", email="accueil@cabinet-fontaine.example",
                   siret="81234567800019")


def sample_receipt() -> Receipt:
    """The note d'honoraires of the consultation: tiers payant AMO, the rest paid by card and
    in cash, so the note is « acquittée »."""
    draft, priced = _consultation()
    due = priced.total_honoraires - priced.amo_brut
    cash = Decimal("5.00")
    receipt = receipt_from_pricing(
        priced, draft=draft, invoice_number="1434", issued_on=CARE_DAY, cabinet=cabinet(),
        professional=legrand(), patient_last_name="MARTIN", patient_first_name="Sophie",
        patient_address=Address(("8, allée des Tilleuls",), "75020", "Paris"),
        labels={"DEQP003": "Électrocardiographie sur au moins 12 dérivations"},
    )
    payments = (ReceiptPayment(CARE_DAY, "cb", due - cash, reference="Ticket 004512"),
                ReceiptPayment(CARE_DAY, "especes", cash))
    return _with_payments(receipt, payments)


def sample_company_receipt() -> Receipt:
    """A note d'honoraires billed to a company (« Facturer à »): 15 visites d'aptitude not
    reimbursed by the Assurance Maladie (hors nomenclature, qualificatif N), 15 × 82,30 € =
    1 234,50 €, one transfer of 1 000,00 € received, 234,50 € left to pay."""
    first = date(2026, 3, 2)
    lines = tuple(
        ActLine(first + timedelta(days=2 * index), "HN", Decimal("82.30"), qualificatif="N",
                label="Visite médicale d'aptitude à la conduite (hors nomenclature)")
        for index in range(15)
    )
    return Receipt(
        invoice_number="1502", issued_on=date(2026, 3, 31), cabinet=cabinet(),
        professional=legrand(), patient_last_name="MARTIN", patient_first_name="Paul",
        lines=lines, total=Decimal("1234.50"),
        bill_to=Company("Transports Girard & Fils — Service des Œuvres sociales",
                        Address(("3, rue des Cœurs-Vaillants",), "92100",
                                "Boulogne-Billancourt"), siret="52345678900027"),
        payments=(ReceiptPayment(date(2026, 3, 28), "virement", Decimal("1000.00"),
                                 reference="VIR 2026-03-0192"),),
    )


def _with_payments(receipt: Receipt, payments: tuple[ReceiptPayment, ...]) -> Receipt:
    return replace(receipt, payments=payments)
