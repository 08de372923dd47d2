"""The examples in the referential modules' docstrings are true (run as doctests)."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from openfse.referentials import _dated, amc_formulas, codes, ngap, organisms, professions


@pytest.mark.parametrize(
    "module", [_dated, ngap, codes, amc_formulas, organisms, professions], ids=lambda m: m.__name__
)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
