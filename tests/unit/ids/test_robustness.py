"""Every identifier module: the common interface, junk input, doctests, error hierarchy."""

from __future__ import annotations

import doctest

import pytest

import openfse.ids
from openfse.errors import OpenFSEError
from openfse.ids import MODULES
from openfse.ids.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

# python-stdnum's robustness list, plus what a cashier may paste into a form.
JUNK: list[object] = [
    None,
    "",
    " ",
    "€",
    "3²",
    "⑱",
    "١٢٣٤٥٦٧٨٩",
    "Ⅻ",
    object(),
    b"183017511100149",
    183017511100149,
    ["1"],
    "\x00" * 9,
    "9" * 200,
    "---",
    "ß" * 9,
]

MODULE_IDS = [module.__name__.rsplit(".", 1)[1] for module in MODULES]


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_each_module_has_the_common_interface(module):
    for name in ("compact", "validate", "is_valid", "format"):
        assert callable(getattr(module, name)), name
    assert module.__doc__


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_is_never_valid_and_only_raises_validation_errors(module, junk):
    assert module.is_valid(junk) is False
    with pytest.raises(ValidationError) as caught:
        module.validate(junk)
    assert caught.value.message
    assert caught.value.code.startswith(MODULE_IDS[MODULES.index(module)] + ".")


@pytest.mark.parametrize("module", [openfse.ids, *MODULES], ids=["ids", *MODULE_IDS])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_error_hierarchy_follows_stdnum_and_the_product_errors():
    assert issubclass(ValidationError, OpenFSEError)
    assert issubclass(ValidationError, ValueError)
    assert issubclass(InvalidLength, InvalidFormat)
    for error in (InvalidFormat, InvalidChecksum, InvalidComponent):
        assert issubclass(error, ValidationError)


def test_errors_serialise_with_their_part():
    error = InvalidChecksum("Clé du NIR incorrecte", code="nir.invalid_checksum", part="cle")
    assert error.as_dict() == {
        "code": "nir.invalid_checksum",
        "message": "Clé du NIR incorrecte",
        "part": "cle",
    }
    assert str(error) == "Clé du NIR incorrecte"
