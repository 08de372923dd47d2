"""AMC share of each act: the complementary formula, limited by the contract.

The formula printed on the tiers-payant card (012, 020, 021, 029, 02A, 050, 052…) is evaluated
by ``openfse.referentials.amc_formulas.evaluate`` with DR (dépense réelle = amount billed), MRO
(AMO share, gross of PF and franchise — manuel eS-KAP+: C 23, AMO 16.10, AMC 052 6.90), TR (tarif
de responsabilité = BR) and the card's parameter (docs/rules.md §E, H).

Contract rules applied around the formula (docs/rules.md §D.3, E; CSS R871-2, confidence M/L):

- **contrat responsable** (the default): it must not cover the hors-parcours majoration (the
  formula sees the AMO share as in the parcours), nor a dépassement autorisé hors parcours
  (qualificatif A), and covers the dépassements of a non-OPTAM physician up to 100 % of the BR.
  PF and franchises are never paid by the AMC (the formulas work on the gross AMO share);
- **C2S** (Complémentaire santé solidaire, AMC « type contrat 89 »): covers the TM up to the
  tarif — formula 029, 100 % TR − MRO — including the hors-parcours majoration; a C2S
  « contrat de sortie » (sortants de C2S au sens législatif) works the same (dossier LOGOSw);
- **sortant de C2S 55555551**: no complementary cover (tiers payant on the AMO part only); an
  AMC from a paper attestation, if given, is evaluated normally;
- the AMC never pays more than what remains after the AMO (DR − MRO) nor less than 0.

Gestion unique / séparée changes who pays the AMC share, not its amount (``tiers_payant.py``).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from openfse.domain.pricing.codes import (
    Gestion,
    Grid,
    Parcours,
    Profession,
    Qualificatif,
    SortantC2S,
)
from openfse.domain.pricing.draft import AmcContract, InvoiceDraft
from openfse.domain.pricing.errors import DraftError
from openfse.domain.pricing.work import Context, Line
from openfse.errors import InvalidInput
from openfse.money import ZERO
from openfse.referentials import amc_formulas

C2S_FORMULA = "029"  # 100 % TR − MRO: the C2S pays the TM up to the tarif


def effective_contract(draft: InvoiceDraft) -> tuple[AmcContract | None, bool]:
    """The contract to evaluate and whether it is the C2S (or its contrat de sortie)."""
    patient = draft.patient
    if patient.c2s or patient.sortant_c2s is SortantC2S.CONTRAT_SORTIE:
        # The C2S is mostly managed by the caisse itself (AMC 99999997): gestion unique unless
        # the draft names an organism's contract and its gestion (dossier LOGOSw, 88888888).
        gestion = draft.amc.gestion if draft.amc is not None else Gestion.UNIQUE
        return AmcContract(C2S_FORMULA, None, gestion, contrat_responsable=False), True
    return draft.amc, False


def apply(ctx: Context, lines: list[Line]) -> None:
    draft = ctx.draft
    contract, is_c2s = effective_contract(draft)
    if contract is None:
        return
    if is_c2s and draft.amc is not None and draft.amc.formula != C2S_FORMULA:
        ctx.warn(
            "c2s_remplace_amc",
            "Bénéficiaire de la C2S : la part complémentaire est celle de la C2S (ticket "
            "modérateur jusqu'au tarif), la formule de la complémentaire saisie est ignorée.",
        )
    responsable = contract.contrat_responsable and not is_c2s
    hors_parcours = draft.patient.parcours is Parcours.HORS_PARCOURS
    non_optam_medecin = (
        draft.profession is Profession.MEDECIN and draft.ps.grid is Grid.HORS_SECTEUR1_HORS_OPTAM
    )
    for line in lines:
        dr = line.honoraires
        if dr <= 0:
            continue
        mro = line.amo
        remaining = dr - mro
        if remaining <= 0:
            continue
        formula_dr = dr
        formula_mro = mro
        if responsable:
            formula_mro = line.amo_in_parcours
            uncovered = line.depassement - _covered_depassement(
                line, hors_parcours, non_optam_medecin
            )
            formula_dr = dr - uncovered
        amount = _evaluate(contract, formula_dr, formula_mro, line.br)
        line.amc = min(max(amount, ZERO), remaining)


def _covered_depassement(line: Line, hors_parcours: bool, non_optam_medecin: bool) -> Decimal:
    depassement = line.depassement
    if depassement <= 0:
        return ZERO
    if line.qualificatif is Qualificatif.A and hors_parcours:
        return ZERO  # R871-2: no DA hors parcours in a contrat responsable
    if non_optam_medecin:
        return min(depassement, line.br)  # R871-2: non-OPTAM dépassements ≤ 100 % BR
    return depassement


def _evaluate(contract: AmcContract, dr: Decimal, mro: Decimal, tr: Decimal) -> Decimal:
    try:
        return _formula_amount(contract.formula, contract.parameter, dr, mro, tr)
    except InvalidInput as exc:  # the contract parser checks formula and parameter first
        raise DraftError(
            exc.field or "amc.formula",
            f"cannot evaluate AMC formula {contract.formula!r} with parameter {contract.parameter}",
            exc.message,
            code=exc.code,
        ) from None


@lru_cache(maxsize=65_536)
def _formula_amount(
    formula: str, parameter: Decimal | None, dr: Decimal, mro: Decimal, tr: Decimal
) -> Decimal:
    # The formulas are pure functions of five values that repeat across invoices (same acts,
    # same contracts): memoised for the benchmark's 20,000 invoices per second.
    return amc_formulas.evaluate(formula, dr=dr, mro=mro, tr=tr, parameter=parameter)
