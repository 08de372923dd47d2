"""``openfse demo``: a realistic demo cabinet so that the whole app can be tried with no hardware.

- Two professionals: the titulaire and the remplaçant of the shipped test CPS cards
  (``cps_titulaire``, ``cps_remplacant``: codes porteur 1234), with replacement days.
- 30 patients: the beneficiaries of most shipped test Vitale cards (so inserting those cards shows
  them "connus", in green), plus generated patients covering the situations a desk meets:
  mutuelles with several formulas, ALD, C2S, AME (provisional NIR), Alsace-Moselle, MSA, expired
  rights, twins, a lunar birth date, and a company billed directly ("client professionnel").
  Two test cards (``vitale_at``, ``vitale_sans_amc``) are left out on purpose: they show as
  unknown patients (grey).
- Prescribers with valid RPPS keys.
- Favourites (« Mes favoris »): a consultation for the whole cabinet, the titulaire's home visit
  and a small suture, so that an invoice can be made in one action from the first start.

All names and numbers are fictitious; NIR and RPPS keys are computed so that they validate.
Everything is written in one unit of work and journaled, or nothing is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from openfse.config import Settings
from openfse.domain.cards import CpsCard, VitaleBeneficiary, VitaleCard
from openfse.errors import Conflict
from openfse.ids import nir as nir_id
from openfse.ids import rpps as rpps_id
from openfse.referentials import organisms
from openfse.services.setup import (
    DEMO_CABINET_NAME,
    create_cabinet,
    initialise,
    session_factory_for,
)
from openfse.simulators.cards.model import CardCatalog
from openfse.store.journal import JournalAction
from openfse.store.models import (
    Ald,
    AmcCoverage,
    AmcGestion,
    AmoCoverage,
    Cabinet,
    DataSource,
    Patient,
    Prescriber,
    Professional,
    ProfessionalKind,
    Sex,
)
from openfse.store.uow import UnitOfWork

PATIENTS_FROM_CARDS = ("vitale_famille", "vitale_ald", "vitale_c2s", "vitale_droits_expires")
GENERATED_PATIENTS = 22  # + 7 from the cards + 1 company = 30
RIGHTS = (date(2025, 1, 1), date(2027, 12, 31))

# (régime, caisse, centre, Alsace-Moselle) — CPAM Paris, Hauts-de-Seine, Seine-Saint-Denis,
# Bas-Rhin and Moselle (régime local), MSA Île-de-France.
AMO_POOL = (
    ("01", "751", "9881", False),
    ("01", "921", "9881", False),
    ("01", "931", "9881", False),
    ("01", "671", "9881", True),
    ("01", "571", "9881", True),
    ("02", "751", "9881", False),
)
# (AMC name fragment, formula, parameter %) — a few common contract shapes.
AMC_POOL = (
    ("MGEN", "052", Decimal(100)),
    ("Harmonie", "02A", Decimal(150)),
    ("Malakoff", "021", Decimal(200)),
    ("AXA", "012", Decimal(100)),
    ("Groupama", "050", Decimal(100)),
    ("MNH", "029", Decimal(100)),
)
# ALD list number, label, CIM-10 (liste des ALD 30).
ALD_POOL = (
    ("8", "Diabète de type 1 et diabète de type 2", "E11"),
    ("5", "Insuffisance cardiaque grave", "I50"),
    ("30", "Tumeur maligne du sein", "C50"),
    ("23", "Affections psychiatriques de longue durée", "F33"),
)
LAST_NAMES = (
    "BERNARD",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "LEFEBVRE",
    "MICHEL",
    "SIMON",
    "LAURENT",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "FAURE",
    "ANDRE",
    "MERCIER",
    "GUERIN",
)
FIRST_NAMES = {
    Sex.MASCULIN: (
        "JEAN",
        "LOUIS",
        "GABRIEL",
        "ARTHUR",
        "NATHAN",
        "MICHEL",
        "ALAIN",
        "THEO",
        "RAPHAEL",
        "ETIENNE",
        "ELIOTT",
    ),
    Sex.FEMININ: (
        "MARIE",
        "CAMILLE",
        "CHLOE",
        "ELODIE",
        "JULIE",
        "NATHALIE",
        "INES",
        "ZOE",
        "CELINE",
        "MANON",
        "ELISE",
    ),
}
PRESCRIBERS = (
    ("DURAND", "ALICE", "34", "Cardiologie"),
    ("LEMAIRE", "BRUNO", "01", None),
    ("NGUYEN", "CLAIRE", "15", "Ophtalmologie"),
    ("PETITJEAN", "DENIS", "07", None),
    ("ROCHE", "EVA", "41", "Chirurgie orthopédique"),
    ("SCHMITT", "FRANCK", "01", None),
)


@dataclass(frozen=True, slots=True)
class DemoReport:
    cabinet: str
    professionals: int
    patients: int
    prescribers: int
    favourites: int = 0

    def describe(self) -> str:
        return (
            f"Démonstration chargée dans « {self.cabinet} » : {self.professionals} "
            f"professionnels, {self.patients} patients, {self.prescribers} prescripteurs, "
            f"{self.favourites} favoris."
        )


def load_demo(settings: Settings, *, today: date) -> DemoReport:
    """Load the demo cabinet into the database of ``settings`` (refused if already there);
    ``today`` is the cabinet's day (the remplaçant's calendar and favourites start from it)."""
    day = today
    initialise(settings)
    sessions = session_factory_for(settings)
    with sessions() as session:
        cabinets = session.query(Cabinet).order_by(Cabinet.id).all()
        if any(c.name == DEMO_CABINET_NAME for c in cabinets):
            raise Conflict("La démonstration est déjà chargée dans cette base.")
        if cabinets:
            cabinet = cabinets[0]
            with UnitOfWork(sessions, cabinet_id=cabinet.id, actor="demo",
                            actor_user_id=None) as probe:
                if probe.patients.count() or probe.professionals.count():
                    raise Conflict(
                        "La base contient déjà des données : la démonstration n'est "
                        "chargée que dans une base vide."
                    )
            cabinet.name = DEMO_CABINET_NAME
        else:
            cabinet = create_cabinet(session, DEMO_CABINET_NAME)
        session.commit()
        cabinet_id = cabinet.id
    with UnitOfWork(sessions, cabinet_id=cabinet_id, actor="demo", actor_user_id=None) as uow:
        professionals = _professionals(uow, day)
        patients = _card_patients(uow) + _generated_patients(uow, random.Random(2026))
        prescribers = _prescribers(uow)
        _favourites(uow, day)
        uow.commit()
    return DemoReport(DEMO_CABINET_NAME, professionals, patients, prescribers,
                      len(DEMO_FAVOURITES))


# (label, owner: None = the whole cabinet / "titulaire", acts as typed in the « Mes favoris » fiche)
DEMO_FAVOURITES: tuple[tuple[str, str | None, tuple[dict[str, str], ...]], ...] = (
    ("Consultation G", None, ({"code": "G"},)),
    ("Visite à domicile VG + MD", "titulaire", ({"code": "VG", "travel_allowance_code": "MD"},)),
    ("Suture plaie < 3 cm", "titulaire", ({"code": "QZJA002", "activity": "1"},)),
)


def _favourites(uow: UnitOfWork, day: date) -> None:
    """The demo favourites, validated like the fiche validates them (same unit of work)."""
    # Imported here: the favourites service reads the CCAM catalogue, which demo does not need.
    from openfse.referentials.ccam import bundled_catalog
    from openfse.services import favourites

    titulaire = uow.professionals.active(ProfessionalKind.TITULAIRE)[0]
    for label, owner, acts in DEMO_FAVOURITES:
        favourites.add(uow, {"label": label,
                             "professional_id": titulaire.id if owner else None,
                             "acts": list(acts)}, on=day, ccam=bundled_catalog())


def _professionals(uow: UnitOfWork, day: date) -> int:
    cards = CardCatalog()
    created: list[Professional] = []
    for name, kind in (
        ("cps_titulaire", ProfessionalKind.TITULAIRE),
        ("cps_remplacant", ProfessionalKind.REMPLACANT),
    ):
        cps = cards.get(name).content
        if not isinstance(cps, CpsCard):
            raise TypeError(f"test card {name} is not a CPS")
        situation = cps.situations[0]
        professional = Professional(
            kind=kind,
            rpps=cps.rpps,
            last_name=cps.nom,
            first_name=cps.prenom,
            billing_number=situation.numero_facturation,
            billing_key=situation.cle_facturation,
            profession_code=situation.profession,
            specialty_code=situation.specialite,
            sector=1,
            optam=False,
            convention_code=situation.conventionnement,
            practice_mode=situation.mode_exercice,
            regime="01",
            caisse=situation.caisse_rattachement,
            centre="9881",
        )
        uow.journal_change(professional, JournalAction.CREATE, summary="démonstration")
        created.append(professional)
    titulaire, remplacant = created
    # The remplaçant works the next ten weekdays for the titulaire.
    days = [day + timedelta(n) for n in range(21) if (day + timedelta(n)).weekday() < 5][:10]
    for worked in days:
        uow.professionals.add_replacement_day(remplacant.id, titulaire.id, worked)
    return len(created)


def _card_patients(uow: UnitOfWork) -> int:
    cards = CardCatalog()
    count = 0
    for name in PATIENTS_FROM_CARDS:
        card = cards.get(name).content
        assert isinstance(card, VitaleCard)
        for beneficiary in card.beneficiaries:
            _add_card_beneficiary(uow, beneficiary)
            count += 1
    return count


def _add_card_beneficiary(uow: UnitOfWork, b: VitaleBeneficiary) -> None:
    patient = Patient(
        nir=b.nir,
        beneficiary_nir=b.nir_individuel,
        last_name=b.nom,
        usage_name=b.nom_usage or None,
        first_name=b.prenom,
        birth_date_text=b.date_naissance,
        birth_rank=b.rang,
        quality=b.qualite,
        source=DataSource.VITALE,
    )
    uow.journal_change(patient, JournalAction.CREATE, summary="démonstration (carte Vitale)")
    org = b.amo.organisme
    for period in b.amo.periods:
        uow.journal_change(
            AmoCoverage(
                patient_id=patient.id,
                regime=org.regime,
                caisse=org.caisse,
                centre=org.centre,
                code_gestion=b.amo.code_gestion,
                rights_start=period.start,
                rights_end=period.end,
                exoneration=b.exonerations[0].code if b.exonerations else None,
                source=DataSource.VITALE,
            ),
            JournalAction.CREATE,
        )
    for exo in b.exonerations:
        if exo.code == "4":
            uow.journal_change(
                Ald(
                    patient_id=patient.id,
                    code="8",
                    label=exo.label,
                    cim10="E11",
                    rights_start=exo.period.start,
                    rights_end=exo.period.end,
                ),
                JournalAction.CREATE,
            )
    if b.amc is not None:
        uow.journal_change(
            AmcCoverage(
                patient_id=patient.id,
                amc_number=b.amc.number,
                amc_name=b.amc.label,
                gestion=AmcGestion.UNIQUE,
                contract_type=b.amc.contract_type,
                rights_start=b.amc.period.start,
                rights_end=b.amc.period.end,
                tiers_payant=True,
                source=DataSource.VITALE,
            ),
            JournalAction.CREATE,
        )


def _nir(rng: random.Random, sex: Sex, birth: date, departement: str, provisional: bool) -> str:
    sex_digit = (
        ("8" if sex == Sex.FEMININ else "7")
        if provisional
        else ("2" if sex == Sex.FEMININ else "1")
    )
    body = (
        f"{sex_digit}{birth.year % 100:02d}{birth.month:02d}{departement}"
        f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    return body + nir_id.calc_check_digits(body)


def _generated_patients(uow: UnitOfWork, rng: random.Random) -> int:
    amc_by_name = {o.name: o for o in organisms.amc_organisms()}
    for index in range(GENERATED_PATIENTS):
        sex = Sex.FEMININ if index % 2 else Sex.MASCULIN
        birth = date(1935 + rng.randint(0, 85), rng.randint(1, 12), rng.randint(1, 28))
        regime, caisse, centre, alsace = AMO_POOL[index % len(AMO_POOL)]
        ame = index == 5  # AME: provisional NIR, 100 % on the AMO side, no Vitale card
        patient = Patient(
            nir=_nir(rng, sex, birth, caisse[:2], provisional=ame),
            last_name=LAST_NAMES[index],
            first_name=FIRST_NAMES[sex][index // 2],
            birth_date_text=birth.strftime("%Y%m%d"),
            birth_rank=1,
            quality="00",
            sex=sex,
            mobile_phone=f"06{rng.randint(10000000, 99999999)}",
            alsace_moselle=alsace,
            address_line1=f"{rng.randint(1, 120)} rue de la République",
            postal_code=f"{caisse[:2]}0{rng.randint(0, 9)}0",
            city="Ville de démonstration",
            ik_plain_km=Decimal(rng.randint(0, 12)) if index % 4 == 0 else None,
            source=DataSource.MANUEL,
            notes="Aide médicale de l'État (AME) — droits ouverts pour un an." if ame else None,
            alert="Allergie à la pénicilline" if index == 3 else None,
        )
        uow.journal_change(patient, JournalAction.CREATE, summary="démonstration")
        expired = index == 7
        start, end = (date(2024, 1, 1), date(2025, 6, 30)) if expired else RIGHTS
        exo = "4" if index % 6 == 1 else None
        uow.journal_change(
            AmoCoverage(
                patient_id=patient.id,
                regime=regime,
                caisse=caisse,
                centre=centre,
                code_gestion="10",
                rights_start=start,
                rights_end=end,
                exoneration=exo,
                alsace_moselle=alsace,
                source=DataSource.ATTESTATION,
            ),
            JournalAction.CREATE,
        )
        if exo:
            code, label, cim10 = ALD_POOL[index % len(ALD_POOL)]
            uow.journal_change(
                Ald(
                    patient_id=patient.id,
                    code=code,
                    label=label,
                    cim10=cim10,
                    rights_start=date(2023, 1, 1),
                    rights_end=date(2028, 12, 31),
                ),
                JournalAction.CREATE,
            )
        if index % 3 != 2 and not ame:  # two patients in three have a mutuelle
            fragment, formula, parameter = AMC_POOL[index % len(AMC_POOL)]
            amc = next((o for name, o in amc_by_name.items() if fragment in name), None)
            if amc is not None:
                uow.journal_change(
                    AmcCoverage(
                        patient_id=patient.id,
                        amc_number=amc.number,
                        amc_name=amc.name,
                        gestion=AmcGestion(amc.gestion),
                        formula_code=formula,
                        formula_parameter=parameter,
                        rights_start=date(2026, 1, 1),
                        rights_end=date(2026, 12, 31),
                        tiers_payant=index % 2 == 0,
                        contrat_responsable=True,
                        source=DataSource.ATTESTATION,
                    ),
                    JournalAction.CREATE,
                )
        if ame:  # the AME as the fiche mutuelle's « AME » shortcut records it (carte AME)
            uow.journal_change(
                AmcCoverage(
                    patient_id=patient.id,
                    amc_number="75500017",
                    amc_name="Aide médicale de l'État (AME)",
                    gestion=AmcGestion.UNIQUE,
                    contract_type="04",
                    rights_start=start,
                    rights_end=end,
                    tiers_payant=True,
                    contrat_responsable=True,
                    source=DataSource.ATTESTATION,
                ),
                JournalAction.CREATE,
            )
    company = Patient(
        last_name="SARL BATIPRO",
        first_name="",
        is_company=True,
        company_name="SARL BATIPRO (médecine du travail)",
        company_siret="73282932000074",
        source=DataSource.MANUEL,
        address_line1="4 avenue de l'Industrie",
        postal_code="93200",
        city="Saint-Denis",
    )
    uow.journal_change(company, JournalAction.CREATE, summary="démonstration (client pro)")
    return GENERATED_PATIENTS + 1


def _prescribers(uow: UnitOfWork) -> int:
    for index, (last, first, specialty, structure) in enumerate(PRESCRIBERS):
        body = f"1000{index + 1:06d}"
        uow.journal_change(
            Prescriber(
                last_name=last,
                first_name=first,
                rpps=body + rpps_id.calc_check_digits(body),
                specialty_code=specialty,
                structure=structure,
            ),
            JournalAction.CREATE,
        )
    return len(PRESCRIBERS)
