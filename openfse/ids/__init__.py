"""Identifiers used in SESAM-Vitale billing, one module each, in the style of python-stdnum.

Every module offers the same functions::

    compact(number: str) -> str        strip separators
    validate(number: str) -> str       the compact form, or a ValidationError naming the part
    is_valid(number: object) -> bool   never raises
    format(number: str) -> str         presentation form

plus ``calc_check_digits`` where the number has a key, and ``split`` where its parts matter.
Errors are in :mod:`openfse.ids.exceptions`. The modules are pure: no I/O, no clock.

>>> from openfse.ids import nir
>>> nir.is_valid('1 83 01 75 111 001 49')
True
"""

from __future__ import annotations

from types import ModuleType

from openfse.ids import adeli, amc, facturation_ps, nir, organisme, rpps
from openfse.ids.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

MODULES: tuple[ModuleType, ...] = (nir, rpps, adeli, facturation_ps, organisme, amc)

__all__ = [
    "MODULES",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidLength",
    "ValidationError",
    "adeli",
    "amc",
    "facturation_ps",
    "nir",
    "organisme",
    "rpps",
]
