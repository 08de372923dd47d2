"""Tiers payant: who pays the professional, hence what the patient pays at the desk.

The draft's flags (manuel eS-KAP+ « TP AMO » / « TP AMC ») decide, except where the tiers payant is
compulsory (dossier LOGOSw « Tiers payant obligatoire », docs/rules.md §D.7, H), in which case the
engine switches it on and says so:

- AMO part: AT/MP, soins médicaux gratuits (pension militaire), AME, C2S and its contrat de
  sortie, sortants de C2S 55555551 (one year of AMO tiers payant), assurance maternité, care
  entirely related to an ALD, examens bucco-dentaires, victims of terrorism;
- AMC part too: C2S (tiers payant intégral), examens bucco-dentaires co-financed with an AMC.

Under tiers payant the professional receives the **gross** AMO share; the participation
forfaitaire and franchises are recovered later by the caisse (docs/rules.md §D.4). In gestion
unique the caisse also pays the AMC share; in gestion séparée the AMC organism pays it.
"""

from __future__ import annotations

from decimal import Decimal

from openfse.domain.pricing.amc import effective_contract
from openfse.domain.pricing.codes import Gestion, SortantC2S
from openfse.domain.pricing.draft import AmcContract, TiersPayant
from openfse.domain.pricing.result import Payments
from openfse.domain.pricing.work import Context, Line, RateReason

_AMO_COMPULSORY = frozenset(
    {
        RateReason.AT,
        RateReason.SMG,
        RateReason.AME,
        RateReason.MATERNITE,
        RateReason.EBD_EXO,
        RateReason.EBD_COFINANCEMENT,
    }
)

_ZERO = Decimal("0.00")
# Frozen values: the four possible answers are shared rather than rebuilt per invoice.
_TIERS_PAYANT = {
    (amo, amc): TiersPayant(amo, amc) for amo in (False, True) for amc in (False, True)
}


def settle(
    ctx: Context, lines: list[Line], total: Decimal, amo: Decimal, amc: Decimal
) -> tuple[TiersPayant, Payments]:
    """The tiers payant applied and who pays the professional what."""
    contract, is_c2s = effective_contract(ctx.draft)
    applied = _applied(ctx, lines, contract, is_c2s)
    return applied, _payments(applied, contract, total, amo, amc)


def _applied(
    ctx: Context, lines: list[Line], contract: AmcContract | None, is_c2s: bool
) -> TiersPayant:
    """The draft's flags plus the compulsory cases."""
    draft = ctx.draft
    patient = draft.patient
    reimbursed = [line for line in lines if line.reason is not RateReason.NOT_REIMBURSABLE]
    reasons = {line.reason for line in reimbursed}
    amo_why: str | None = None
    amc_why: str | None = None
    if is_c2s:
        amo_why = amc_why = "bénéficiaire de la C2S"
    elif patient.sortant_c2s is SortantC2S.TIERS_PAYANT_AMO:
        amo_why = "sortant de la C2S"
    elif patient.victime_attentat:
        amo_why = "victime d'attentat"
    elif not reasons.isdisjoint(_AMO_COMPULSORY):
        amo_why = "situation de tiers payant obligatoire"
        if RateReason.EBD_COFINANCEMENT in reasons and contract is not None:
            amc_why = "examen bucco-dentaire co-financé"
    elif reimbursed and reasons == {RateReason.ALD}:
        amo_why = "soins en rapport avec l'ALD"
    amo = draft.tiers_payant.amo
    amc = draft.tiers_payant.amc and contract is not None
    if amo_why is not None and not amo:
        amo = True
        ctx.warn("tiers_payant_obligatoire", f"Tiers payant AMO obligatoire ({amo_why}).")
    if amc_why is not None and not amc:
        amc = True
        ctx.warn("tiers_payant_obligatoire", f"Tiers payant AMC obligatoire ({amc_why}).")
    if draft.tiers_payant.amc and contract is None:
        ctx.warn(
            "tiers_payant_amc_sans_amc",
            "Tiers payant AMC demandé sans complémentaire : ignoré.",
        )
    if amc and not amo and contract is not None and contract.gestion is Gestion.UNIQUE:
        ctx.warn(
            "gestion_unique_sans_tp_amo",
            "Gestion unique : le tiers payant sur la part complémentaire suppose le tiers payant "
            "sur la part obligatoire.",
        )
    return _TIERS_PAYANT[amo, amc]


def _payments(
    tiers_payant: TiersPayant,
    contract: AmcContract | None,
    total: Decimal,
    amo: Decimal,
    amc: Decimal,
) -> Payments:
    """Split the amount billed between the caisse, the AMC organism and the patient."""
    caisse = amo if tiers_payant.amo else _ZERO
    organisme = _ZERO
    if tiers_payant.amc and contract is not None:
        if contract.gestion is Gestion.UNIQUE:
            caisse += amc
        else:
            organisme = amc
    return Payments(caisse, organisme, total - caisse - organisme)
