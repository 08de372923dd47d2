"""The pricing engine: an ordered pipeline of small rule steps over the acts of one invoice.

``price(draft, tariffs)`` values every act, splits it between the AMO, the complementary
(AMC) and the patient, and totals the invoice. Each step is one rule family, in its own
module, with the rule and its source in its docstring:

    valuation   valuation_ngap · ik · valuation_ccam · modifiers · association · majorations
    expense     qualificatifs           (dépassement, N/G, manual total → BR and honoraires)
    AMO         amo_rate · amo_share · forfait_24 · hors_parcours
    AMC         amc                     (formula, contrat responsable, C2S)
    manual      override                (AMO/AMC typed on « Détails de l'acte »)
    patient     participation · override.settle_patient_share · tiers_payant

The four CCAM steps are skipped for invoices without CCAM lines (they would look at none).
Pure: no I/O, no clock — every date comes from the draft, every tariff from ``tariffs``.
Invariant: for each act and for the invoice, AMO + AMC + patient = honoraires, exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from openfse.domain.pricing import (
    amc,
    amo_rate,
    amo_share,
    association,
    forfait_24,
    hors_parcours,
    ik,
    majorations,
    modifiers,
    override,
    participation,
    qualificatifs,
    tiers_payant,
    valuation_ccam,
    valuation_ngap,
)
from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.pricing.draft import InvoiceDraft
from openfse.domain.pricing.errors import DraftError, act_field
from openfse.domain.pricing.result import PricedAct, PricedInvoice
from openfse.domain.pricing.tariffs import TariffSource
from openfse.domain.pricing.work import Context, Line
from openfse.errors import UnknownTariff
from openfse.referentials.regulatory import RegulatorySnapshot, snapshot

Step = Callable[[Context, list[Line]], None]


def _value_ngap_lines(ctx: Context, lines: list[Line]) -> None:
    for line in lines:
        if line.draft.nomenclature is not Nomenclature.CCAM:
            valuation_ngap.value(ctx, line)


# The order matters: each step reads what the previous ones set (see work.Line).
PIPELINE: tuple[Step, ...] = (
    majorations.classify,
    _value_ngap_lines,
    valuation_ccam.unit_prices,
    modifiers.resolve,
    association.assign,
    valuation_ccam.base_amounts,
    majorations.check,
    ik.check_infirmier_daily_ceiling,
    qualificatifs.apply,
    amo_rate.assign,
    amo_share.compute,
    forfait_24.apply,
    hors_parcours.apply,
    amc.apply,
    override.apply,
    participation.apply,
    override.settle_patient_share,
)

# The CCAM steps only look at CCAM lines: skipped for the (many) invoices without any.
_CCAM_ONLY: frozenset[Step] = frozenset(
    {
        valuation_ccam.unit_prices,
        modifiers.resolve,
        association.assign,
        valuation_ccam.base_amounts,
    }
)
_PIPELINE_WITHOUT_CCAM = tuple(step for step in PIPELINE if step not in _CCAM_ONLY)
_ZERO = Decimal("0.00")


def price(draft: InvoiceDraft, tariffs: TariffSource) -> PricedInvoice:
    """Price an invoice draft.

    Raises:
        DraftError: something in the draft cannot be priced (unknown code without a price,
            bad modifiers, a date before the regulatory tables…); ``field`` names it.
    """
    params = _params(draft.date_soins, "date_soins")
    ctx = Context(draft, tariffs, params)
    lines = []
    has_ccam = False
    for index, act in enumerate(draft.acts):
        if act.date is None:
            lines.append(Line(index, act, draft.date_soins, params))
        else:
            lines.append(Line(index, act, act.date, _params(act.date, act_field(index, "date"))))
        has_ccam = has_ccam or act.nomenclature is Nomenclature.CCAM
    for step in PIPELINE if has_ccam else _PIPELINE_WITHOUT_CCAM:
        step(ctx, lines)
    return _result(ctx, lines)


def _params(on: date, field: str) -> RegulatorySnapshot:
    try:
        return snapshot(on)
    except UnknownTariff:
        raise DraftError(
            field,
            f"date {on} is before the oldest regulatory parameters openfse knows",
            f"Date {on} antérieure aux paramètres réglementaires connus d'openfse.",
            code="unknown_tariff",
        ) from None


def _result(ctx: Context, lines: list[Line]) -> PricedInvoice:
    draft = ctx.draft
    # One pass over the lines (the hot path of the benchmark): totals are sums of lines (§F).
    total = br = forfait = amo_brut = amc_total = pf = franchise = _ZERO
    pf_count = 0
    for line in lines:
        total += line.honoraires
        br += line.br
        forfait += line.forfait_24
        amo_brut += line.amo
        amc_total += line.amc
        franchise += line.franchise
        if line.pf:
            pf += line.pf
            pf_count += 1
    amo_net = amo_brut - pf - franchise
    applied, paid = tiers_payant.settle(ctx, lines, total, amo_brut, amc_total)
    # Positional, in the order of PricedInvoice's fields (see _priced_act).
    return PricedInvoice(
        draft.date_soins,
        draft.profession,
        tuple([_priced_act(line) for line in lines]),
        total,
        br,
        forfait,
        amo_brut,
        pf,
        pf_count,
        franchise,
        amo_net,
        amc_total,
        total - amo_brut - amc_total,
        total - amo_net - amc_total,
        paid.patient,
        applied,
        paid,
        tuple(ctx.warnings),
    )


def _priced_act(line: Line) -> PricedAct:
    # Positional, in the order of PricedAct's fields: calling a frozen dataclass of 21 fields
    # with keywords costs about 3× more (8 µs instead of 3 µs per act on the bench machine).
    # tests/unit/pricing/test_engine.py checks this order field by field.
    draft = line.draft
    return PricedAct(
        line.index,
        draft.code,
        draft.nomenclature,
        line.on,
        line.quantity,
        line.coefficient,
        line.unit_price,
        line.modifiers,
        line.association_code,
        line.qualificatif,
        line.exo,
        line.br,
        line.depassement,
        line.honoraires,
        line.taux,
        line.amo,
        line.amc,
        line.patient,
        line.forfait_24,
        line.pf,
        line.franchise,
    )
