"""Forfait « actes lourds » (24 € since 01/01/2019, 18 € before): the TM replaced by a flat fee.

ameli « forfait 24 euros » (https://www.ameli.fr/assure/remboursements/reste-charge/forfait-24-euros;
docs/rules.md §D.6): for an act whose tariff is at least 120 € or
whose coefficient is at least 60, the ticket modérateur is replaced by a participation of 24 €;
acts of the same professional in the same session are cumulated for the threshold and only one
forfait is due. The engine treats the acts of one day as the session, and counts technical
acts only (not consultations, visits, majorations or travel lines: reading M); the acts
concerned are paid 100 % by the AMO minus the forfait, taken on the highest acts first.

Exempt (D.6): ALD-related care, maternité, AT/MP, invalidité/rentes (exo 5), C2S, AME, soins
médicaux gratuits — all of which already have no TM except C2S, exempted here — and the régime
local d'Alsace-Moselle, which pays it (M). Only acts at the standard rate are concerned.
Not implemented: the exclusion of imaging acts (radiodiagnostic, IRM), which needs the CCAM
regroupement code (ADI/ADE) the tariff port does not expose.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.pricing.work import ActKind, Context, Line, RateReason

_HUNDRED = Decimal(100)


# The forfait concerns acts — technical acts of 120 € or more —; consultations and visits are
# neither « actes lourds » nor added to reach the threshold (reading M of the ameli page), nor
# are majorations and travel lines.
CONSULTATIONS = frozenset(
    {"G", "GS", "VG", "VGS", "C", "CS", "V", "VS", "VL", "APC", "CNPSY", "TCG", "CCP",
     "GL1", "GL2", "GL3"}
)  # fmt: skip


def apply(ctx: Context, lines: list[Line]) -> None:
    patient = ctx.draft.patient
    if patient.c2s or patient.regime_local_alsace_moselle:
        return
    eligible = [line for line in lines if _eligible(line)]
    if not eligible:
        return
    params = eligible[0].params
    # Fast exit (most invoices): no day can reach the threshold if the whole invoice does not.
    total = sum((line.br for line in eligible), start=Decimal(0))
    if total < params.forfait_threshold_amount and not any(map(_heavy_coefficient, eligible)):
        return
    sessions: dict[date, list[Line]] = {}
    for line in eligible:
        sessions.setdefault(line.on, []).append(line)
    for session in sessions.values():
        _apply_session(ctx, session)


def _eligible(line: Line) -> bool:
    if line.reason is not RateReason.BASE or line.br <= 0 or line.kind is not ActKind.ACTE:
        return False
    return not (line.draft.nomenclature is Nomenclature.NGAP and line.draft.code in CONSULTATIONS)


def _heavy_coefficient(line: Line) -> bool:
    return (
        line.draft.nomenclature is not Nomenclature.CCAM
        and line.coefficient >= line.params.forfait_threshold_coefficient
    )


def _apply_session(ctx: Context, session: list[Line]) -> None:
    params = session[0].params
    total = sum((line.br for line in session), start=Decimal(0))
    if total < params.forfait_threshold_amount and not any(map(_heavy_coefficient, session)):
        return
    remaining = params.forfait_amount
    for line in session:
        line.amo = line.br
        line.taux = _HUNDRED
    for line in sorted(session, key=lambda line: line.br, reverse=True):
        share = min(remaining, line.br)
        line.amo -= share
        line.forfait_24 = share
        remaining -= share
        if remaining == 0:
            break
    for line in session:
        line.amo_in_parcours = line.amo
    ctx.warn(
        "forfait_24",
        f"Actes lourds ({total} € ce jour) : le ticket modérateur est remplacé par la "
        f"participation forfaitaire de {params.forfait_amount} €.",
    )
