"""CCAM modifiers: which ones apply to each act line, and their sum.

Rules (docs/rules.md §B.3, B.4; manuel eS-KAP+ « Modificateur n°1…n »):

- at most 4 modifiers per act, each at most once (error);
- the urgence modifiers U, F, P and S exclude each other on an act (error) and are billable
  **once per intervenant** whatever the number of acts (lecardiologue, confidence H): the first
  act carrying one keeps it, later ones are dropped with a warning;
- a modifier the catalogue does not list for the act is kept with a warning (the official list
  is per activity, the bundled export only per act);
- a percentage modifier applies to the act's PU, a euro modifier is added, and the association
  rate then applies to the sum (ER_CAM_F minoration fields, confidence M): this module computes
  ``PU × (1 + Σ%) + Σ€`` (``before_association``), ``association.py`` ranks on it and
  ``valuation_ccam.py`` applies the rate.
"""

from __future__ import annotations

from decimal import Decimal

from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.pricing.errors import DraftError, act_field
from openfse.domain.pricing.work import Context, Line
from openfse.money import ZERO

MAX_MODIFIERS = 4
URGENCE = frozenset({"U", "F", "P", "S"})
_HUNDRED = Decimal(100)


def resolve(ctx: Context, lines: list[Line]) -> None:
    """Check and sum the modifiers of every CCAM line (see the module docstring)."""
    urgence_billed_on: int | None = None
    for line in lines:
        draft = line.draft
        if not draft.modifiers:
            line.before_association = line.unit_price
            continue
        if draft.nomenclature is not Nomenclature.CCAM:
            continue  # refused by valuation_ngap
        _check_shape(line)
        allowed = ctx.tariffs.ccam_allowed_modifiers(draft.code)
        percent = ZERO
        amount = ZERO
        applied: list[str] = []
        for position, modifier in enumerate(draft.modifiers):
            code = modifier.code
            if code in URGENCE and urgence_billed_on is not None:
                ctx.warn(
                    "modificateur_urgence_unique",
                    f"Modificateur {code} ignoré : un modificateur d'urgence (U, F, P, S) ne se "
                    f"facture qu'une fois par intervenant, déjà porté par l'acte "
                    f"n°{urgence_billed_on + 1}.",
                    line.index,
                )
                continue
            if allowed is not None and code not in allowed:
                ctx.warn(
                    "modificateur_non_autorise",
                    f"Le modificateur {code} n'est pas listé pour l'acte {draft.code} : "
                    "à vérifier.",
                    line.index,
                )
            kind, value = _value(ctx, line, position)
            if kind == "percent":
                percent += value
            else:
                amount += value
            applied.append(code)
        if urgence_billed_on is None and not URGENCE.isdisjoint(applied):
            urgence_billed_on = line.index
        line.modifiers = tuple(applied)
        line.modifier_percent = percent
        line.modifier_amount = amount
        # docs/rules.md §B.4: PU × (1 + Σ%mod) + Σ€mod, before the association rate.
        line.before_association = line.unit_price * (1 + percent / _HUNDRED) + amount


def _check_shape(line: Line) -> None:
    codes = [modifier.code for modifier in line.draft.modifiers]
    field = act_field(line.index, "modifiers")
    if len(codes) > MAX_MODIFIERS:
        raise DraftError(
            field,
            f"at most {MAX_MODIFIERS} modifiers per CCAM act, got {len(codes)}",
            f"Au plus {MAX_MODIFIERS} modificateurs par acte CCAM ({len(codes)} saisis).",
        )
    if len(set(codes)) != len(codes):
        raise DraftError(
            field,
            "a modifier appears twice on the same act",
            "Un modificateur est saisi deux fois sur le même acte.",
        )
    urgences = [code for code in codes if code in URGENCE]
    if len(urgences) > 1:
        listed = " and ".join(urgences)
        raise DraftError(
            field,
            f"urgence modifiers {listed} are mutually exclusive on one act",
            f"Les modificateurs d'urgence {' et '.join(urgences)} sont exclusifs l'un de l'autre.",
        )


def _value(ctx: Context, line: Line, position: int) -> tuple[str, Decimal]:
    modifier = line.draft.modifiers[position]
    if modifier.percent is not None:
        return "percent", modifier.percent
    if modifier.amount is not None:
        return "amount", modifier.amount
    assert line.grid is not None  # set by valuation_ccam.unit_prices, which runs first
    found = ctx.tariffs.ccam_modifier(modifier.code, line.grid, line.on)
    if found is None:
        raise DraftError(
            f"{act_field(line.index, 'modifiers')}[{position}]",
            f"unknown CCAM modifier {modifier.code!r} on {line.on.isoformat()}: give its "
            "percent or amount",
            f"Modificateur CCAM {modifier.code} inconnu à cette date : indiquez son pourcentage "
            "ou son montant.",
            code="unknown_tariff",
        )
    return found
