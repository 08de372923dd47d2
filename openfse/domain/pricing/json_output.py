"""The output document of ``openfse price``, and JSON text without binary floats.

``priced_to_json`` turns a ``PricedInvoice`` into plain data whose amounts are ``Decimal`` with
exactly two decimals; ``dumps`` writes such data as JSON text with every ``Decimal`` as a
plain number (``21.00``, never ``21.0`` or ``"21.00"``), so no float ever touches an amount.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal

from openfse.domain.pricing.result import PricedAct, PricedInvoice
from openfse.money import CENT

# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

JsonValue = object


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _rate(value: Decimal) -> Decimal:
    integral = value.to_integral_value()
    return integral if value == integral else value.normalize()


def _act_to_json(act: PricedAct) -> dict[str, JsonValue]:
    return {
        "index": act.index,
        "code": act.code,
        "nomenclature": act.nomenclature.value,
        "date": act.date.isoformat(),
        "quantity": act.quantity,
        "coefficient": _rate(act.coefficient),
        "unit_price": _money(act.unit_price),
        "modifiers": list(act.modifiers),
        "association_code": act.association_code,
        "qualificatif": None if act.qualificatif is None else act.qualificatif.value,
        "exo": None if act.exo is None else act.exo.value,
        "br": _money(act.br),
        "depassement": _money(act.depassement),
        "honoraires": _money(act.honoraires),
        "taux_amo": _rate(act.taux_amo),
        "amo": _money(act.amo),
        "amc": _money(act.amc),
        "patient": _money(act.patient),
        "forfait_24": _money(act.forfait_24),
        "participation_forfaitaire": _money(act.participation_forfaitaire),
        "franchise": _money(act.franchise),
    }


def priced_to_json(priced: PricedInvoice) -> dict[str, JsonValue]:
    """The output document: amounts are ``Decimal`` with exactly two decimals."""
    return {
        "date_soins": priced.date_soins.isoformat(),
        "profession": priced.profession.value,
        "per_act": [_act_to_json(act) for act in priced.acts],
        "total_honoraires": _money(priced.total_honoraires),
        "total_br": _money(priced.total_br),
        "forfait_acte_lourd_24": _money(priced.forfait_acte_lourd_24),
        "amo_brut": _money(priced.amo_brut),
        "participation_forfaitaire": _money(priced.participation_forfaitaire),
        "participation_forfaitaire_count": priced.participation_forfaitaire_count,
        "franchise": _money(priced.franchise),
        "amo_net": _money(priced.amo_net),
        "amc": _money(priced.amc),
        "patient": _money(priced.patient),
        "reste_a_charge_final": _money(priced.reste_a_charge_final),
        "a_regler_par_patient_au_ps": _money(priced.a_regler_par_patient_au_ps),
        "tiers_payant": {"amo": priced.tiers_payant.amo, "amc": priced.tiers_payant.amc},
        "paiements": {
            "caisse": _money(priced.payments.caisse),
            "organisme_amc": _money(priced.payments.organisme_amc),
            "patient": _money(priced.payments.patient),
        },
        "warnings": [
            {"code": warning.code, "message": warning.message_fr, "act_index": warning.act_index}
            for warning in priced.warnings
        ],
    }


def dumps(document: JsonValue, indent: int = 2) -> str:
    """JSON text of an output document; ``Decimal`` values are written as plain numbers.

    >>> dumps({"amo": Decimal("21.00"), "ok": True, "codes": ["G"]}, indent=0)
    '{"amo": 21.00, "ok": true, "codes": ["G"]}'
    """
    parts: list[str] = []
    _write(document, parts, indent, 0)
    return "".join(parts)


def _write(value: JsonValue, parts: list[str], indent: int, depth: int) -> None:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        parts.append(format(value, "f"))
    elif value is None or isinstance(value, (bool, int, str)):
        parts.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Mapping):
        members: list[tuple[str | None, JsonValue]] = [
            (str(key), item) for key, item in value.items()
        ]
        _write_container("{", "}", members, parts, indent, depth)
    elif isinstance(value, (list, tuple)):
        # A list of scalars (modifier codes) stays on one line, as json.dumps would not.
        flat = all(not isinstance(item, (Mapping, list, tuple)) for item in value)
        elements: list[tuple[str | None, JsonValue]] = [(None, item) for item in value]
        _write_container("[", "]", elements, parts, 0 if flat else indent, depth)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _write_container(
    opening: str,
    closing: str,
    items: Sequence[tuple[str | None, JsonValue]],
    parts: list[str],
    indent: int,
    depth: int,
) -> None:
    if not items:
        parts.append(opening + closing)
        return
    parts.append(opening)
    inner = "\n" + " " * (indent * (depth + 1)) if indent else ""
    for position, (key, item) in enumerate(items):
        if position:
            parts.append("," if indent else ", ")
        parts.append(inner)
        if key is not None:
            parts.append(json.dumps(key, ensure_ascii=False) + ": ")
        _write(item, parts, indent, depth + 1)
    parts.append(("\n" + " " * (indent * depth) if indent else "") + closing)
