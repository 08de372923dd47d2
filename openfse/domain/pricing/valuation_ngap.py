"""NGAP and COx valuation: value of the key letter × coefficient × quantity.

NGAP (Nomenclature générale des actes professionnels) prices an act as a key letter with a
value in euros (AMI = 3.15 €, G = 30 €…) times a coefficient (AMI 4.5). The unit price
(« prix unitaire ») is rounded to the cent per line, half-up, then multiplied by the quantity
(docs/rules.md §F): AMS 9.5 × 2.21 = 20.995 → 21.00 (a binary float would give 20.99).

COx (consultations obligatoires de l'enfant: COE, COB…) are valued the same way from their own
codes. Tariffs are those in force on the act's date; an explicit ``unit_price`` (the value of
the key letter) wins over the table, with a warning when they differ.
"""

from __future__ import annotations

from openfse.domain.pricing import ik
from openfse.domain.pricing.errors import DraftError, act_field
from openfse.domain.pricing.work import Context, Line
from openfse.money import round_cents


def value(ctx: Context, line: Line) -> None:
    """Set the unit price, quantity and tariff amount of an NGAP/COx line."""
    draft = line.draft
    if draft.modifiers:
        raise DraftError(
            act_field(line.index, "modifiers"),
            "modifiers only apply to CCAM acts",
            "Les modificateurs ne s'appliquent qu'aux actes CCAM.",
        )
    if draft.association_code is not None:
        ctx.warn(
            "code_association_ignore",
            "Le code association ne concerne que les actes CCAM : ignoré.",
            line.index,
        )
    profession = ctx.draft.profession
    # StrEnum members are the contract's strings: no `.value` lookup in the hot path.
    known = ctx.tariffs.ngap(profession, draft.code, line.on)
    key_value = draft.unit_price
    if key_value is None:
        if known is None:
            raise DraftError(
                act_field(line.index, "code"),
                f"unknown {draft.nomenclature.value} code {draft.code!r} for profession "
                f"{profession.value} on {line.on.isoformat()}: give unit_price",
                f"Code {draft.code} inconnu pour la profession {profession.value} au "
                f"{line.on.strftime('%d/%m/%Y')} : indiquez le prix unitaire.",
                code="unknown_tariff",
            )
        key_value = known
    elif known is not None and known != key_value:
        ctx.warn(
            "prix_unitaire_modifie",
            f"Prix unitaire {key_value} € saisi pour {draft.code} : le tarif en vigueur est "
            f"{known} €.",
            line.index,
        )
    # docs/rules.md §F: PU = key value × coefficient, rounded per line (half-up).
    line.unit_price = round_cents(key_value * draft.coefficient)
    if draft.distance_km is not None:
        line.quantity = ik.quantity_from_distance(ctx, line)
    elif draft.quantity is not None:
        line.quantity = draft.quantity
    line.base = line.unit_price * line.quantity
