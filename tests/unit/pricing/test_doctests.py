"""The examples in the pricing modules' docstrings are true (run as doctests)."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from openfse.domain.pricing import ik, json_output


@pytest.mark.parametrize("module", [ik, json_output], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
