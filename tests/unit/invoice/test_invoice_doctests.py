"""The examples in the invoice modules' docstrings are true (run as doctests)."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from openfse.domain import invoice, payment


@pytest.mark.parametrize("module", [invoice, payment], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
