"""French print forms, and the examples of the printing modules' docstrings."""

from __future__ import annotations

import doctest
from datetime import date
from decimal import Decimal
from types import ModuleType

import pytest

from openfse.printing import builders, documents, formatting
from openfse.printing.formatting import coefficient, eur, jjmmaaaa


@pytest.mark.parametrize(
    ("amount", "printed"),
    [
        (Decimal("1234.5"), "1 234,50 €"),
        (Decimal("0"), "0,00 €"),
        (Decimal("1234567.89"), "1 234 567,89 €"),
        (Decimal("13.43"), "13,43 €"),
    ],
)
def test_amounts_use_the_product_formatter(amount: Decimal, printed: str) -> None:
    assert eur(amount) == printed


def test_dates_are_jj_mm_aaaa() -> None:
    assert jjmmaaaa(date(2026, 3, 1)) == "01/03/2026"
    assert jjmmaaaa(date(987, 1, 2)) == "02/01/0987"


@pytest.mark.parametrize(
    ("value", "printed"),
    [(Decimal("1"), "1"), (Decimal("1.50"), "1,5"), (Decimal("10"), "10"),
     (Decimal("0.25"), "0,25"), (Decimal("8"), "8")],
)
def test_coefficients_drop_useless_zeros(value: Decimal, printed: str) -> None:
    assert coefficient(value) == printed


@pytest.mark.parametrize("module", [documents, builders, formatting], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
