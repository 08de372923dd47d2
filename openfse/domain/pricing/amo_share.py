"""AMO amount of each act: BR × taux, rounded per line; the SMG ceiling.

docs/rules.md §F (M): AMO per line = round₂(BR × taux), half-up — the vendor FSE rounds
50.56 × 70 % = 35.392 to 35.39 and sums the lines (manuel eS-KAP+: 16.10 + 35.39 = 51.49).

Soins médicaux gratuits (nature ``smg``, art. L212-1 CPMIVG): 100 % of the BR; manuel eS-KAP+ shows
a « Montant de la prise en charge SMG » typed with the invoice. Read here as the ceiling of the
SMG share for the invoice (confidence L): beyond it the AMO amounts are lowered, last acts
first, and the user is warned.
"""

from __future__ import annotations

from decimal import Decimal

from openfse.domain.pricing.codes import NatureAssurance
from openfse.domain.pricing.work import Context, Line
from openfse.money import round_cents

_HUNDRED = Decimal(100)


def compute(ctx: Context, lines: list[Line]) -> None:
    for line in lines:
        if line.taux == _HUNDRED:
            line.amo = line.br
        else:
            line.amo = round_cents(line.br * line.taux / _HUNDRED)
        line.amo_in_parcours = line.amo
    if ctx.draft.nature_assurance is NatureAssurance.SMG and ctx.draft.smg_amount is not None:
        _smg_ceiling(ctx, lines, ctx.draft.smg_amount)


def _smg_ceiling(ctx: Context, lines: list[Line], ceiling: Decimal) -> None:
    excess = sum((line.amo for line in lines), start=Decimal(0)) - ceiling
    if excess <= 0:
        return
    ctx.warn(
        "plafond_smg",
        f"La part AMO dépasse de {excess} € le montant de prise en charge SMG ({ceiling} €) : "
        "elle est ramenée à ce montant (lecture à confiance faible, à vérifier).",
    )
    for line in reversed(lines):
        cut = min(excess, line.amo)
        line.amo -= cut
        line.amo_in_parcours = line.amo
        excess -= cut
        if excess == 0:
            return
