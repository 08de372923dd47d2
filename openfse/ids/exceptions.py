"""Errors raised by the identifier validators.

The hierarchy is python-stdnum's (``stdnum.exceptions``) so that code written against stdnum
reads the same here, rooted in :class:`openfse.errors.OpenFSEError` so that the web and the API
show the French ``message`` and return the machine ``code`` like any other product error::

    ValidationError (OpenFSEError, ValueError)
     +-- InvalidFormat          wrong characters, missing separator-free shape
     |    +-- InvalidLength     wrong number of characters
     +-- InvalidChecksum        the key (clé) does not match the other characters
     +-- InvalidComponent       one part refers to nothing (month 13, unknown régime…)

Every error names the ``part`` of the number that is wrong (``"cle"``, ``"mois"``,
``"departement"``, ``"regime"``, ``"numero"`` for the number as a whole…) so that a form can
highlight it, and its message says what was expected.
"""

from __future__ import annotations

from openfse.errors import OpenFSEError


class ValidationError(OpenFSEError, ValueError):
    """An identifier failed validation. Not raised itself: one of the subclasses is."""

    code = "ids.invalid"

    def __init__(self, message: str, *, code: str | None = None, part: str = "numero") -> None:
        super().__init__(message, code=code)
        self.part = part

    def as_dict(self) -> dict[str, str]:
        data = super().as_dict()
        data["part"] = self.part
        return data


class InvalidFormat(ValidationError):
    """A character is not allowed where it stands."""

    code = "ids.invalid_format"


class InvalidLength(InvalidFormat):
    """The number has too many or too few characters."""

    code = "ids.invalid_length"


class InvalidChecksum(ValidationError):
    """The key (clé de contrôle) does not match the rest of the number."""

    code = "ids.invalid_checksum"


class InvalidComponent(ValidationError):
    """A part of the number refers to something that does not exist (month, régime…)."""

    code = "ids.invalid_component"


__all__ = [
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidLength",
    "ValidationError",
]
