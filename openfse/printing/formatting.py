"""French print forms of values, registered as the templates' filters.

Amounts use the product's single formatter (``openfse.money.format_eur``: ``1 234,50 €``),
dates are ``JJ/MM/AAAA``, coefficients and kilometres are written with a decimal comma and
without useless zeros (``1,5``, ``12``).

>>> coefficient(Decimal("1.50")), coefficient(Decimal("10"))
('1,5', '10')
>>> jjmmaaaa(date(2025, 1, 20))
'20/01/2025'
>>> eur(Decimal("1234.5"))
'1 234,50 €'
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from openfse.money import format_eur

__all__ = ["FILTERS", "coefficient", "eur", "jjmmaaaa"]


def eur(value: Decimal) -> str:
    return format_eur(value)


def jjmmaaaa(value: date) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def coefficient(value: Decimal) -> str:
    """A coefficient or a distance: decimal comma, trailing zeros dropped."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


FILTERS = {"eur": eur, "jjmmaaaa": jjmmaaaa, "coefficient": coefficient}
