"""Money: euros as ``Decimal`` quantized to the cent, stored as integer cents.

One rounding rule for the whole product (docs/rules.md §F): every amount is computed with
decimal arithmetic and rounded **per line**, half-up, to the cent; totals are sums of rounded
lines. Binary floats are refused everywhere: ``AMS 9.5 × 2.21 = 20.995`` must give 21.00, a
float gives 20.99.

>>> round_cents(Decimal("20.995"))
Decimal('21.00')
>>> to_cents(Decimal("14.18"))
1418
>>> from_cents(1418)
Decimal('14.18')
>>> format_eur(Decimal("1234.5"))
'1 234,50 €'
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

__all__ = [
    "CENT",
    "ZERO",
    "InvalidAmount",
    "format_eur",
    "from_cents",
    "parse_amount",
    "round_cents",
    "to_cents",
]


class InvalidAmount(ValueError):
    """An amount that is not a finite decimal number of euros."""


def round_cents(value: Decimal) -> Decimal:
    """Round to the cent, half-up (docs/rules.md §F: per-line rounding, 35.392 → 35.39)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"round_cents expects Decimal, got {type(value).__name__}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal) -> int:
    """Euros (rounded to the cent) to integer cents, the storage form."""
    return int(round_cents(value) * 100)


def from_cents(cents: int) -> Decimal:
    """Integer cents back to euros with two decimals."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"from_cents expects int, got {type(cents).__name__}")
    return (Decimal(cents) / 100).quantize(CENT)


def parse_amount(value: object) -> Decimal:
    """Parse user or JSON input into a Decimal amount, refusing floats' hidden errors.

    Accepts ``Decimal``, ``int`` and strings such as ``"12.5"`` or ``"12,50"``. A JSON number
    arrives here as a string when the JSON is parsed with ``parse_float=Decimal``; a Python
    float is converted through its shortest repr (``0.1`` → ``Decimal('0.1')``).
    """
    if isinstance(value, bool):
        raise InvalidAmount("a boolean is not an amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        text = text.removesuffix("€")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise InvalidAmount(f"not an amount: {value!r}") from None
    else:
        raise InvalidAmount(f"not an amount: {value!r}")
    if not result.is_finite():
        raise InvalidAmount(f"not a finite amount: {value!r}")
    return result


def format_eur(value: Decimal) -> str:
    """French display form: thin grouping, comma decimal, euro sign (``1 234,50 €``)."""
    rounded = round_cents(value)
    sign = "-" if rounded < 0 else ""
    units, cents = f"{abs(rounded):.2f}".split(".")
    groups: list[str] = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{' '.join(groups)},{cents} €"
