"""CCAM valuation: unit price by grid, activity and phase; final tariff of the line.

docs/rules.md §B.4 (confidence M):

    BR_line = round₂((PU_grid(code, activité, phase, date) × (1 + Σ%mod) + Σ€mod) × association)
              + supplément de charge en cabinet

The grid comes from the professional (secteur 1 or OPTAM → ``secteur1_optam``, otherwise
``hors_secteur1_hors_optam``; B.5) unless the act names one (``grille``). A code the catalogue
does not price needs an explicit ``unit_price`` (the PU of the grid); an explicit price that
differs from the catalogue wins, with a warning. The quantity multiplies the rounded line.

The « code remboursement exceptionnel » (manuel eS-KAP+) marks an act that is normally not
reimbursed but is in this case: it contradicts qualificatif N.
"""

from __future__ import annotations

from openfse.domain.pricing.codes import Nomenclature, Qualificatif
from openfse.domain.pricing.errors import DraftError, act_field
from openfse.domain.pricing.work import Context, Line
from openfse.money import round_cents


def unit_prices(ctx: Context, lines: list[Line]) -> None:
    """Set grid, PU and quantity of every CCAM line."""
    ps_grid = ctx.draft.ps.grid
    for line in lines:
        draft = line.draft
        if draft.nomenclature is not Nomenclature.CCAM:
            continue
        grid = draft.grille or ps_grid
        line.grid = grid
        known = ctx.tariffs.ccam_price(draft.code, draft.activity, draft.phase, grid, line.on)
        price = draft.unit_price
        if price is None:
            if known is None:
                raise DraftError(
                    act_field(line.index, "code"),
                    f"no CCAM tariff for {draft.code!r} activity {draft.activity} phase "
                    f"{draft.phase} on grid {grid.value} on {line.on.isoformat()}: give unit_price",
                    f"Pas de tarif CCAM pour {draft.code} (activité {draft.activity}, phase "
                    f"{draft.phase}, grille {grid.value}) à cette date : indiquez le prix "
                    "unitaire.",
                    code="unknown_tariff",
                )
            price = known
        elif known is not None and known != price:
            ctx.warn(
                "prix_unitaire_modifie",
                f"Prix unitaire {price} € saisi pour {draft.code} : le tarif de la grille est "
                f"{known} €.",
                line.index,
            )
        if draft.remboursement_exceptionnel and draft.qualificatif is Qualificatif.N:
            raise DraftError(
                act_field(line.index, "remboursement_exceptionnel"),
                "remboursement exceptionnel contradicts qualificatif N (non remboursable)",
                "Le remboursement exceptionnel contredit le qualificatif N (non remboursable).",
            )
        line.unit_price = price
        if draft.quantity is not None:
            line.quantity = draft.quantity


def base_amounts(ctx: Context, lines: list[Line]) -> None:
    """Apply the association rate and the supplément de charge (docs/rules.md §B.4)."""
    for line in lines:
        if line.draft.nomenclature is not Nomenclature.CCAM:
            continue
        tariff = round_cents(line.before_association * line.association_rate)
        line.base = tariff * line.quantity + line.draft.supplement_charge
