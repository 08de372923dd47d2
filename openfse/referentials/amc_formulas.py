"""AMC formulas: how much the complémentaire pays on an act line (SESAM-Vitale « formule »).

The formula code is printed on the patient's tiers-payant attestation (e.g. ``02A : MTRC = %
TR − MRO``); some formulas take a percentage parameter. All of them cap the AMC amount at what
remains after the AMO, ``DR − MRO``:

- **DR** dépense réelle: the amount invoiced for the line, dépassement included;
- **MRO** montant remboursé par le régime obligatoire (gross of PF/franchise);
- **TR** tarif de responsabilité (the base de remboursement);
- **TM** ticket modérateur = TR − MRO;
- **p** the formula's percentage (``100`` means 100 %).

Source: the vendor list of formulas in manuel eS-KAP+ (« Application formule »:
« 012 - % DR  Min (DR - MRO, %DR) » … « 052 - 100%TM  Min (DR - MRO, 100%TM) ») and
docs/rules.md §E. Only these seven formulas are listed there; others printed on cards
(030, 060…) are not documented in the corpus and are refused rather than guessed.

The AMC amount is floored at 0 (an AMO paying more than the DR must not make the AMC owe
money) and rounded half-up to the cent, per line (docs/rules.md §F). The contrat-responsable
limits (no PF/franchise, no hors-parcours majoration, capped dépassements) are the pricing
engine's business, not the formula's.

Worked example (manuel eS-KAP+ FSE): C 23.00 with AMO 16.10, formula 052 → 23.00 − 16.10 = 6.90.

>>> from decimal import Decimal as D
>>> evaluate("052", dr=D("23.00"), mro=D("16.10"), tr=D("23.00"), parameter=None)
Decimal('6.90')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openfse.errors import InvalidInput
from openfse.money import ZERO, round_cents

__all__ = ["AmcFormula", "evaluate", "formula", "formulas"]

_HUNDRED = Decimal(100)
# A percentage above this is a typing error (attestations print e.g. 100, 150, 200, 300 % TR).
_MAX_PARAMETER = Decimal(1000)
_SOURCE = "manuel eS-KAP+, « Application formule » ; docs/rules.md §E"


@dataclass(frozen=True, slots=True)
class AmcFormula:
    """One formula: AMC = max(0, min(DR − MRO, pct % × base − [MRO])).

    ``fixed_percent`` is the percentage of formulas without parameter (100 for 020, 029,
    052); ``None`` means the percentage is the parameter printed on the card.
    """

    code: str
    label: str
    base: str  # DR | TR | TM
    fixed_percent: Decimal | None
    minus_mro: bool
    parameter_meaning: str  # "" when the formula takes no parameter
    source: str = _SOURCE

    @property
    def takes_parameter(self) -> bool:
        return self.fixed_percent is None

    @property
    def expression(self) -> str:
        """The formula as written on the vendor screen, e.g. ``min(DR - MRO, p% × TR - MRO)``."""
        percent = "p%" if self.fixed_percent is None else f"{self.fixed_percent}%"
        cap = f"{percent} × {self.base}" + (" - MRO" if self.minus_mro else "")
        return f"min(DR - MRO, {cap})"


def _percent_formula(code: str, label: str, base: str, *, minus_mro: bool = False) -> AmcFormula:
    return AmcFormula(
        code, label, base, None, minus_mro, f"pourcentage du {_BASE_NAMES[base]} (100 = 100 %)"
    )


def _full_formula(code: str, label: str, base: str, *, minus_mro: bool = False) -> AmcFormula:
    return AmcFormula(code, label, base, _HUNDRED, minus_mro, "")


_BASE_NAMES = {
    "DR": "DR (dépense réelle)",
    "TR": "TR (tarif de responsabilité)",
    "TM": "TM (ticket modérateur)",
}

_FORMULAS: dict[str, AmcFormula] = {
    f.code: f
    for f in (
        _percent_formula("012", "% DR", "DR"),
        _full_formula("020", "100 % TR", "TR"),
        _percent_formula("021", "% TR", "TR"),
        _full_formula("029", "100 % TR - MRO", "TR", minus_mro=True),
        _percent_formula("02A", "% TR - MRO", "TR", minus_mro=True),
        _percent_formula("050", "% TM", "TM"),
        _full_formula("052", "100 % TM", "TM"),
    )
}


def formulas() -> list[AmcFormula]:
    """Every known formula, by code (for the pick-list of the AMC form)."""
    return [_FORMULAS[code] for code in sorted(_FORMULAS)]


def formula(code: str) -> AmcFormula:
    """The formula with this code (``"02a"`` and ``" 02A "`` are ``"02A"``).

    Raises:
        InvalidInput: unknown code (code ``unknown_amc_formula``).
    """
    found = _FORMULAS.get(code.strip().upper())
    if found is None:
        raise InvalidInput(
            f"Formule AMC inconnue : « {code} ». "
            f"Formules connues : {', '.join(sorted(_FORMULAS))}.",
            code="unknown_amc_formula",
            field="amc.formula",
        )
    return found


def evaluate(
    code: str, *, dr: Decimal, mro: Decimal, tr: Decimal, parameter: Decimal | int | None
) -> Decimal:
    """The AMC amount of one line, in euros rounded to the cent.

    Args:
        code: the formula code (``"052"``, ``"02A"``…).
        dr: dépense réelle of the line (dépassement included).
        mro: amount paid by the AMO for the line.
        tr: tarif de responsabilité (base de remboursement) of the line.
        parameter: the percentage printed with the formula (``100`` = 100 %); required by
            012, 021, 02A and 050; must be absent (or 100) for 020, 029 and 052.

    Raises:
        InvalidInput: unknown formula, missing or unexpected parameter, negative or non-Decimal
            amounts.
    """
    chosen = formula(code)
    amounts = {"dr": dr, "mro": mro, "tr": tr}
    for name, amount in amounts.items():
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
            raise InvalidInput(
                f"Montant {name.upper()} invalide pour la formule AMC : {amount!r} "
                "(un nombre décimal positif ou nul est attendu).",
                code="invalid_amount",
                field=f"amc.{name}",
            )
    percent = _percent(chosen, parameter)
    base = {"DR": dr, "TR": tr, "TM": tr - mro}[chosen.base]
    # SESAM-Vitale formula: the AMC pays at most what the AMO left of the real expense.
    cap = percent / _HUNDRED * base - (mro if chosen.minus_mro else ZERO)
    amount = min(dr - mro, cap)
    # Engine guard: never a negative AMC amount (docs/rules.md §E "Floor at 0").
    return round_cents(max(amount, ZERO))


def _percent(chosen: AmcFormula, parameter: Decimal | int | None) -> Decimal:
    if isinstance(parameter, bool) or not (
        parameter is None or isinstance(parameter, Decimal | int)
    ):
        raise InvalidInput(
            f"Paramètre de la formule AMC {chosen.code} invalide : {parameter!r}.",
            code="invalid_amc_parameter",
            field="amc.parameter",
        )
    if chosen.fixed_percent is not None:
        if parameter is not None and Decimal(parameter) != chosen.fixed_percent:
            raise InvalidInput(
                f"La formule AMC {chosen.code} ({chosen.label}) ne prend pas de paramètre "
                f"(reçu : {parameter}).",
                code="invalid_amc_parameter",
                field="amc.parameter",
            )
        return chosen.fixed_percent
    if parameter is None:
        raise InvalidInput(
            f"La formule AMC {chosen.code} ({chosen.label}) exige un paramètre : "
            f"{chosen.parameter_meaning}.",
            code="missing_amc_parameter",
            field="amc.parameter",
        )
    value = Decimal(parameter)
    if not value.is_finite() or value < 0 or value > _MAX_PARAMETER:
        raise InvalidInput(
            f"Paramètre de la formule AMC {chosen.code} hors limites : {parameter} "
            f"(entre 0 et {_MAX_PARAMETER} %).",
            code="invalid_amc_parameter",
            field="amc.parameter",
        )
    return value
