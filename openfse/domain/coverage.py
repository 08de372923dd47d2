"""A patient's coverage and what it means for the price: periods, rights states, the kind of
complementary cover, and the ONE mapping from the patient file to the pricing situation.

Pure: no database, no clock — every "on which day?" is an argument, the rows of the file
come in as the small value types below (:class:`CoverageFile`), built by the services.

- Rights are dated by the one date range of the product, :class:`openfse.periods.Period`:
  printed « du 01/01/2026 au 31/12/2026 », they cover the 31/12 (``EndBound.INCLUSIVE``, the
  default). An unknown start or end is open on that side.
- :class:`RightsState` and :func:`period_state` — ouverts / fermés / à venir / non datés on a
  day (the AMO rights, the ALD, the mutuelles: one state, one vocabulary).
- :class:`AmcSituation` and :func:`situation_of` — what a complementary contract of the file
  is: a mutuelle, the C2S, the AME, a sortant de C2S, the régime mahorais.
- :func:`pricing_situation` — what the engine must be told about the patient on the date of
  care (``openfse.domain.pricing``, the contract of docs/formats/price.md): régime,
  Alsace-Moselle, exonération, ALD, C2S, AME, sortant de C2S, the mutuelle's contract and
  the tiers payant the situation imposes. The invoice screen, the API and the CLI all price a
  file through it, so that billing from the file gives the same shares as the explicit
  ``openfse price`` draft (property-tested in tests/domain/test_coverage_pricing.py).

Public rules applied (each also in the function that applies it):

- AME: « prise en charge à 100 % des soins médicaux … dans la limite des tarifs de la
  Sécurité sociale », with « dispense d'avance des frais » (tiers payant) and no participation
  forfaitaire nor franchise — ameli.fr, « L'aide médicale de l'État (AME) »
  (https://www.ameli.fr/assure/droits-demarches/situations-particulieres/situation-irreguliere-ame);
  Code de l'action sociale et des familles, art. L251-2.
- C2S: ticket modérateur paid up to the tarif, tiers payant intégral, no participation
  forfaitaire nor franchise — ameli.fr, « Complémentaire santé solidaire » (assuré > droits
  et démarches > difficultés d'accès aux droits et aux soins); Code de la sécurité sociale,
  art. L861-1 s.
- Sortie de C2S: when the C2S ends the person keeps, for one year, the tiers payant on the
  part of the Assurance Maladie (SESAM-Vitale AMC number 55555551: no complementary share)
  — same ameli.fr page, « à la fin de vos droits »; the engine's rule in
  ``openfse/domain/pricing/tiers_payant.py``.
- Régime mahorais: the Caisse de sécurité sociale de Mayotte (CSSM) reimburses at the rates
  of the other departments; its « exonération du ticket modérateur » of low-income assurés
  (since May 2019, replaced by the C2S on 01/01/2024) pays the TM, in gestion unique —
  complementaire-sante-solidaire.gouv.fr, « La C2S déployée à Mayotte »
  (http://complementaire-sante-solidaire.gouv.fr/node/185); ordonnance n° 96-1122 du
  20 décembre 1996 (Légifrance). A file still holding it after 2024 is priced as it says.
- Victims of terrorism: care at 100 % (exonération du ticket modérateur), tiers payant, no
  participation forfaitaire nor franchise — Code de la sécurité sociale, art. L169-1 to
  L169-11 (Légifrance; created by loi n° 2015-1702 du 21 décembre 2015, art. 49).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from openfse.domain.pricing.codes import Exo, Gestion, NatureAssurance, SortantC2S
from openfse.domain.pricing.draft import AmcContract, InvoiceDraft, PatientContext, TiersPayant
from openfse.errors import InvalidInput
from openfse.ids import amc as amc_id
from openfse.periods import Period
from openfse.referentials import amc_formulas, organisms

__all__ = [
    "AME_NUMBER",
    "AldRight",
    "AmcRight",
    "AmcSituation",
    "AmoRight",
    "CoverageFile",
    "InvalidRightsData",
    "PricingSituation",
    "RightsState",
    "age_on",
    "amc_contract",
    "amc_label",
    "contract_document",
    "apply_situation",
    "current_year",
    "formula_refusal",
    "period_state",
    "pricing_situation",
    "renewal_period",
    "rights_state",
    "situation_of",
]


class InvalidRightsData(InvalidInput):
    """A rights value that cannot exist (malformed code…; a period ending before it starts
    is :class:`openfse.periods.InvalidPeriod`)."""

    code = "invalid_rights_data"


# --------------------------------------------------------------------------- rights states


class RightsState(StrEnum):
    """Where rights stand on a day. Values are the API's codes; ``label`` and ``word`` the
    screens' French."""

    OUVERTS = "ouverts"
    FERMES = "fermes"  # shown « Droits fermés », with « Renouveler » for a mutuelle
    A_VENIR = "a_venir"
    NON_DATES = "non_dates"  # no date known: not known to be closed

    @property
    def label(self) -> str:
        return f"Droits {self.word}"

    @property
    def word(self) -> str:
        return _STATE_WORDS[self]

    @property
    def usable(self) -> bool:
        """May the rights be billed on that day (open, or not known to be closed)?"""
        return self is RightsState.OUVERTS or self is RightsState.NON_DATES


_STATE_WORDS = {
    RightsState.OUVERTS: "ouverts",
    RightsState.FERMES: "fermés",
    RightsState.A_VENIR: "à venir",
    RightsState.NON_DATES: "non datés",
}


def period_state(period: Period, on: date) -> RightsState:
    """Ouverts, fermés, à venir or non datés on ``on``."""
    if not period.dated:
        return RightsState.NON_DATES
    if period.ended_before(on):
        return RightsState.FERMES
    if period.starts_after(on):
        return RightsState.A_VENIR
    return RightsState.OUVERTS


def rights_state(start: date | None, end: date | None, on: date) -> RightsState:
    """The state on ``on`` of rights printed « du ``start`` au ``end`` » (both inclusive)."""
    return period_state(Period(start, end), on)


def current_year(on: date) -> tuple[date, date]:
    """« Définir l'année en cours comme période de droits »: 01/01–31/12 of ``on``'s year."""
    return date(on.year, 1, 1), date(on.year, 12, 31)


def renewal_period(end: date | None, on: date) -> tuple[date, date]:
    """The default period of a renewal: the current year, starting the day after the old
    period when that ended during the current year (periods never overlap).

    >>> renewal_period(date(2025, 12, 31), date(2026, 11, 23))
    (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    >>> renewal_period(date(2026, 6, 30), date(2026, 11, 23))
    (datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))
    """
    start, year_end = current_year(on)
    if end is not None and end >= start:
        start = end + timedelta(days=1)
    return start, year_end


def age_on(born: date, on: date) -> int:
    """Age in whole years on ``on`` (the day before the birthday, one year less)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --------------------------------------------------------------------------- AMC situations


class AmcSituation(StrEnum):
    """What kind of complementary cover a contract of the file is."""

    MUTUELLE = "mutuelle"
    C2S = "c2s"  # complémentaire santé solidaire: type de contrat 89
    AME = "ame"  # aide médicale de l'État, n° 75500017: not a mutuelle, 100 % by the AMO
    SORTANT_C2S = "sortant_c2s"  # 55555551: tiers payant on the AMO part only, for a year
    REGIME_MAHORAIS = "regime_mahorais"  # 97900062: the CSSM pays the TM (gestion unique)

    @property
    def label(self) -> str:
        return _SITUATION_LABELS[self]


_SITUATION_LABELS = {
    AmcSituation.MUTUELLE: "Mutuelle",
    AmcSituation.C2S: "C2S",
    AmcSituation.AME: "AME",
    AmcSituation.SORTANT_C2S: "Sortant de C2S",
    AmcSituation.REGIME_MAHORAIS: "Régime mahorais",
}
_C2S_NUMBERS = frozenset({"99999997", "88888888"})  # caisse / organism (openfse.ids.amc)
AME_NUMBER = "75500017"  # the carte AME's AMC number (shipped AMC list, kind « ame »)
_SORTANT_C2S_NUMBER = "55555551"
C2S_FORMULA = "029"  # 100 % TR − MRO: the C2S pays the TM up to the tarif (pricing.amc)
# The régime mahorais' exonération du ticket modérateur: 100 % of the TM when the fiche
# names no formula (complementaire-sante-solidaire.gouv.fr/node/185).
MAHORAIS_DEFAULT_FORMULA = "052"


def situation_of(amc_number: str, contract_type: str | None) -> AmcSituation:
    """The situation of a contract from its numéro AMC and type de contrat.

    C2S: type de contrat 89, or the C2S numbers 99999997 (managed by the caisse) / 88888888
    (by an organism). Sortant de C2S: 55555551. AME and régime mahorais: the kind of the
    shipped AMC list (``referentials.organisms``).
    """
    number = amc_number.strip().lstrip("0").rjust(8, "0")
    if contract_type == amc_id.C2S_TYPE_CONTRAT or number in _C2S_NUMBERS:
        return AmcSituation.C2S
    if number == _SORTANT_C2S_NUMBER:
        return AmcSituation.SORTANT_C2S
    known = organisms.find_amc(amc_number)
    if known is not None and known.kind == "ame":
        return AmcSituation.AME
    if known is not None and known.kind == "regime_mahorais":
        return AmcSituation.REGIME_MAHORAIS
    return AmcSituation.MUTUELLE


_NO_FORMULA_REASON = {
    AmcSituation.AME: "l'Assurance Maladie prend en charge 100 % du tarif de responsabilité.",
    AmcSituation.SORTANT_C2S: "le patient n'a pas de couverture complémentaire (tiers payant "
                              "sur la part obligatoire seulement).",
}


def formula_refusal(situation: AmcSituation, code: str) -> str | None:
    """Why a contract of this situation cannot carry the formula ``code`` (French), or None.

    AME and sortant de C2S have no complementary formula: the AME is 100 % paid by the AMO,
    the sortant has no complementary cover. The C2S pays the TM up to the tarif: formula 029
    only (ameli.fr pages cited in the module docstring)."""
    if situation in _NO_FORMULA_REASON:
        return (f"{situation.label} : pas de formule complémentaire — "
                f"{_NO_FORMULA_REASON[situation]}")
    if situation is AmcSituation.C2S and code.upper() != C2S_FORMULA:
        return ("C2S : la part complémentaire est le ticket modérateur jusqu'au tarif, "
                f"formule {C2S_FORMULA} (100 % TR - MRO).")
    return None


# --------------------------------------------------------------------------- the file


@dataclass(frozen=True, slots=True)
class AmoRight:
    """One AMO period of the file: régime, exonération (« prise en charge »), Alsace-Moselle."""

    period: Period
    regime: str = "01"
    exoneration: str | None = None  # justificatif d'exonération: 0, 3, 4, 5, 7, 9
    alsace_moselle: bool = False


@dataclass(frozen=True, slots=True)
class AldRight:
    code: str
    period: Period


@dataclass(frozen=True, slots=True)
class AmcRight:
    """One complementary contract of the file (a mutuelle, or a special situation)."""

    id: int
    amc_number: str
    period: Period
    name: str | None = None
    contract_type: str | None = None
    formula_code: str | None = None
    formula_parameter: Decimal | None = None
    gestion: Gestion = Gestion.SEPAREE
    tiers_payant: bool = False
    contrat_responsable: bool = True

    @property
    def situation(self) -> AmcSituation:
        return situation_of(self.amc_number, self.contract_type)


@dataclass(frozen=True, slots=True)
class CoverageFile:
    """What the patient file says about the coverage (rows most recent period first)."""

    birth_date: date | None = None  # None: unknown or lunar
    alsace_moselle: bool = False
    amo: tuple[AmoRight, ...] = ()
    alds: tuple[AldRight, ...] = ()
    amcs: tuple[AmcRight, ...] = ()


def amc_contract(right: AmcRight) -> AmcContract | None:
    """The pricing contract of a contract of the file; None when it prices nothing (AME,
    sortant de C2S, a mutuelle without a usable formula)."""
    situation = right.situation
    if situation is AmcSituation.C2S:
        return AmcContract(C2S_FORMULA, None, right.gestion, contrat_responsable=False)
    if situation in (AmcSituation.AME, AmcSituation.SORTANT_C2S):
        return None
    code = right.formula_code
    if not code and situation is AmcSituation.REGIME_MAHORAIS:
        code = MAHORAIS_DEFAULT_FORMULA
    if not code:
        return None
    try:
        formula = amc_formulas.formula(code)
    except InvalidInput:
        return None
    parameter = right.formula_parameter
    if formula.takes_parameter and parameter is None:
        return None
    return AmcContract(formula=formula.code,
                       parameter=parameter if formula.takes_parameter else None,
                       gestion=right.gestion, contrat_responsable=right.contrat_responsable)


def amc_label(right: AmcRight) -> str:
    """The contract as the invoice's choice reads it: « ALMERYS — 052 100 % »."""
    known = organisms.find_amc(right.amc_number)
    name = right.name or (known.name if known is not None else f"n° {right.amc_number}")
    situation = right.situation
    if situation is not AmcSituation.MUTUELLE and situation.label not in name:
        name = f"{name} ({situation.label})"
    contract = amc_contract(right)
    if contract is None:
        return f"{name} — formule à compléter"
    formula = amc_formulas.formula(contract.formula)
    percent = contract.parameter if contract.parameter is not None else formula.fixed_percent
    shown = "" if percent is None else f" {format(percent.normalize(), 'f')} %"
    return f"{name} — {contract.formula}{shown}"


# --------------------------------------------------------------------------- the mapping


@dataclass(frozen=True, slots=True)
class PricingSituation:
    """What the file says the engine must know on the date of care, and what the desk
    shows: the patient's situation, the default exonération, the mutuelle chosen by default,
    the tiers payant ticked by default and the part the situation imposes."""

    on: date
    patient: PatientContext
    exo: Exo | None = None  # the file's exonération (prise en charge) in force
    amc: AmcContract | None = None  # the contract chosen by default
    amc_coverage_id: int | None = None
    contracts: Mapping[int, AmcContract | None] = field(default_factory=dict)
    labels: Mapping[int, str] = field(default_factory=dict)  # the choice list, in force
    tiers_payant: TiersPayant = field(default_factory=TiersPayant)  # ticked by default
    imposed: TiersPayant = field(default_factory=TiersPayant)  # whatever the acts
    reasons: tuple[str, ...] = ()  # why, in French, for the screen
    birth_date: date | None = None

    def with_coverage(self, coverage_id: int | None) -> PricingSituation:
        """The situation with another mutuelle of the file chosen (None: no mutuelle)."""
        if coverage_id == self.amc_coverage_id:
            return self
        return replace(self, amc_coverage_id=coverage_id,
                       amc=self.contracts.get(coverage_id) if coverage_id else None)


_NO_CONTRACT = frozenset({AmcSituation.AME, AmcSituation.SORTANT_C2S})  # situations, not
# contracts: shown as what they impose, never offered as « the mutuelle »


def pricing_situation(file: CoverageFile, on: date) -> PricingSituation:
    """The pricing situation of the file on the date of care ``on`` (see the module doc)."""
    amo = next((row for row in file.amo if row.period.covers(on)), None)
    in_force = [right for right in file.amcs if right.period.covers(on)]
    kinds = {right.situation for right in in_force}
    exo_code = amo.exoneration if amo is not None else None
    # In ALD when an ALD of the file is in force on the date (the controls read the same
    # list: an exonération 4 without an ALD in force is refused, « Forçage du code ALD »).
    ald = any(a.period.covers(on) for a in file.alds)
    c2s = AmcSituation.C2S in kinds
    # A person cannot have both: the C2S wins over an AME row left in the file.
    ame = AmcSituation.AME in kinds and not c2s
    sortant = AmcSituation.SORTANT_C2S in kinds and not c2s
    born = file.birth_date
    patient = PatientContext(
        age=None if born is None else age_on(born, on),
        age_1er_janvier=None if born is None else age_on(born, date(on.year, 1, 1)),
        regime=amo.regime if amo is not None else "01",
        regime_local_alsace_moselle=file.alsace_moselle or bool(amo and amo.alsace_moselle),
        ald=ald,
        c2s=c2s,
        ame=ame,
        sortant_c2s=SortantC2S.TIERS_PAYANT_AMO if sortant else SortantC2S.NON,
    )
    contracts = {right.id: amc_contract(right) for right in in_force}
    chosen = _default_choice(in_force, contracts, c2s=c2s)
    imposed_amo, imposed_amc, reasons = _imposed(c2s=c2s, ame=ame, sortant=sortant)
    # A mutuelle in force whose fiche has no usable formula prices nothing: said, not hidden.
    reasons += tuple(
        f"Mutuelle {right.name or right.amc_number} : formule complémentaire non renseignée "
        "sur sa fiche, sa part ne peut pas être calculée (complétez la fiche mutuelle)."
        for right in in_force
        if right.situation not in _NO_CONTRACT and contracts[right.id] is None and not c2s)
    chosen_tp = chosen is not None and (chosen.tiers_payant or c2s)
    # A mutuelle in tiers payant: its attestation covers both parts (the AMO one too, and
    # gestion unique requires it).
    tiers_payant = TiersPayant(amo=imposed_amo or chosen_tp or ald,
                               amc=imposed_amc or chosen_tp)
    return PricingSituation(
        on=on,
        patient=patient,
        exo=_invoice_exo(exo_code),
        amc=contracts.get(chosen.id) if chosen is not None else None,
        amc_coverage_id=chosen.id if chosen is not None else None,
        contracts=contracts,
        labels={right.id: amc_label(right) for right in in_force
                if right.situation not in _NO_CONTRACT},
        tiers_payant=tiers_payant,
        imposed=TiersPayant(imposed_amo, imposed_amc),
        reasons=reasons,
        birth_date=born,
    )


def _default_choice(in_force: list[AmcRight], contracts: Mapping[int, AmcContract | None],
                    *, c2s: bool) -> AmcRight | None:
    """The contract chosen by default: the C2S when in force (it replaces any mutuelle),
    else the most recent contract in force that prices something."""
    if c2s:
        return next(r for r in in_force if r.situation is AmcSituation.C2S)
    return next((r for r in in_force if contracts.get(r.id) is not None), None)


def _imposed(*, c2s: bool, ame: bool, sortant: bool) -> tuple[bool, bool, tuple[str, ...]]:
    """The tiers payant the situation imposes whatever the acts (the engine imposes the
    act-dependent ones: ALD care, maternité, AT, examens bucco-dentaires)."""
    if c2s:  # tiers payant intégral (ameli.fr, Complémentaire santé solidaire)
        return True, True, ("Complémentaire santé solidaire : tiers payant intégral.",)
    if ame:  # dispense d'avance des frais (ameli.fr, AME; CASF L251-2)
        return True, False, ("Aide médicale de l'État : prise en charge à 100 % par "
                             "l'Assurance Maladie, en tiers payant.",)
    if sortant:  # one year of tiers payant on the AMO part (ameli.fr, fin de droits C2S)
        return True, False, ("Sortant de la C2S : tiers payant sur la part de l'Assurance "
                             "Maladie ; la part complémentaire est à régler.",)
    return False, False, ()


def _invoice_exo(code: str | None) -> Exo | None:
    """The file's exonération as the invoice's default. « 4 » (ALD) is per act (« soins en
    rapport avec l'ALD ? »), « 0 » says none: neither is a default for every act."""
    if code in (None, "", Exo.NONE.value, Exo.ALD.value):
        return None
    try:
        return Exo(code)
    except ValueError:
        return None


def apply_situation(draft: InvoiceDraft, situation: PricingSituation, *,
                    keep_patient: bool = False, keep_amc: bool = False,
                    keep_tiers_payant: bool = False, keep_exo: bool = False
                    ) -> InvoiceDraft:
    """The engine's draft with what the file says, except the parts the caller gave
    (``keep_*``). The invoice's own answers stay: parcours, victime d'attentat, maternité,
    AT. With the file's patient, the tiers payant its situation imposes is always on (the
    engine would switch it on anyway, with a warning the desk would have to confirm)."""
    amc = draft.amc if keep_amc else situation.amc
    if keep_patient:
        return replace(draft, amc=amc)
    patient = replace(situation.patient, parcours=draft.patient.parcours,
                      victime_attentat=draft.patient.victime_attentat,
                      maternite=draft.patient.maternite, at_mp=draft.patient.at_mp)
    tiers_payant = draft.tiers_payant if keep_tiers_payant else situation.tiers_payant
    imposed = situation.imposed
    # Victims of terrorism: tiers payant (CSS L169-3), like the situations of the file.
    tiers_payant = TiersPayant(
        amo=tiers_payant.amo or imposed.amo or patient.victime_attentat,
        amc=(tiers_payant.amc or imposed.amc) and (amc is not None or patient.c2s))
    exo = draft.exo
    if not keep_exo and exo is None and draft.nature_assurance is NatureAssurance.MALADIE:
        exo = situation.exo
    return replace(draft, patient=patient, amc=amc, tiers_payant=tiers_payant, exo=exo)


def contract_document(situation: PricingSituation) -> dict[str, object]:
    """The situation in the words of the ``openfse price`` contract (docs/formats/price.md):
    the ``patient`` keys the file gives, ``amc``, ``tiers_payant`` and ``exo`` — what an
    integrator would write by hand for this file. The invoice's own answers (parcours,
    victime d'attentat, nature d'assurance) are not the file's: the caller adds them."""
    patient = situation.patient
    keys: dict[str, object] = {
        "regime": patient.regime,
        "regime_local_alsace_moselle": patient.regime_local_alsace_moselle,
        "ald": patient.ald,
        "c2s": patient.c2s,
        "ame": patient.ame,
    }
    if situation.birth_date is not None:
        keys["birth_date"] = situation.birth_date.isoformat()
    if patient.sortant_c2s is not SortantC2S.NON:
        keys["sortant_c2s"] = patient.sortant_c2s.value
    document: dict[str, object] = {
        "patient": keys,
        "amc": None if situation.amc is None else {
            "formula": situation.amc.formula,
            "parameter": situation.amc.parameter,
            "gestion": situation.amc.gestion.value,
            "contrat_responsable": situation.amc.contrat_responsable,
        },
        "tiers_payant": {"amo": situation.tiers_payant.amo or situation.imposed.amo,
                         "amc": situation.tiers_payant.amc or situation.imposed.amc},
    }
    if situation.exo is not None:
        document["exo"] = situation.exo.value
    return document
