"""Mechanics shared by the identifier modules: cleaning input, slicing parts, Luhn keys and
building the French error messages. Nothing here knows about a particular identifier."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stdnum import luhn
from stdnum.util import clean as stdnum_clean

from openfse.ids.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

# ASCII digits only: str.isdigit() is True for "²" or "١", which must never pass as a digit.
_DIGITS = re.compile(r"[0-9]+")

# What people type between groups of digits: spaces, dots, dashes, slashes.
SEPARATORS = " .-/"


def isdigits(value: str) -> bool:
    """True when ``value`` is a non-empty run of ASCII digits."""
    return _DIGITS.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Part:
    """A fixed slice of an identifier, with its French name (article included)."""

    name: str  # machine name, reported as ``ValidationError.part``
    start: int
    end: int
    label: str  # e.g. "le mois de naissance", "la clé"

    def of(self, number: str) -> str:
        return number[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Identifier:
    """How to talk about one kind of number in errors: ``kind`` prefixes the machine codes,
    ``name`` is the subject of a sentence ("Le NIR"), ``of`` its complement ("du NIR")."""

    kind: str
    name: str
    of: str

    def clean(self, number: object, separators: str = SEPARATORS) -> str:
        """Strip separators and surrounding space, upper-case; reject anything not a str.

        python-stdnum's ``clean`` also maps look-alike characters to ASCII (full-width digits,
        Unicode dashes), as a typed or pasted number may contain them; "²" or "⑱" stay as
        they are and are refused by the digit checks.
        """
        if not isinstance(number, str):
            raise self.format_error("numero", f"{self.name} doit être saisi comme du texte.")
        return stdnum_clean(number, separators).strip().upper()

    def format_error(self, part: str, message: str) -> InvalidFormat:
        return InvalidFormat(message, code=f"{self.kind}.invalid_format", part=part)

    def component_error(self, part: str, message: str) -> InvalidComponent:
        return InvalidComponent(message, code=f"{self.kind}.invalid_component", part=part)

    def require_length(self, number: str, expected: int, hint: str = "") -> None:
        if len(number) != expected:
            typed = f"{len(number)} saisi" + ("s" if len(number) > 1 else "")
            raise InvalidLength(
                f"{self.name} doit comporter {expected} caractères{hint} ({typed}).",
                code=f"{self.kind}.invalid_length",
            )

    def require_length_between(self, number: str, low: int, high: int) -> None:
        if not low <= len(number) <= high:
            typed = f"{len(number)} saisi" + ("s" if len(number) > 1 else "")
            raise InvalidLength(
                f"{self.name} doit comporter de {low} à {high} chiffres ({typed}).",
                code=f"{self.kind}.invalid_length",
            )

    def require_digits(self, number: str, parts: Sequence[Part]) -> None:
        """Raise on the first part holding anything but ASCII digits, naming that part; what
        follows the last part (a number too long) must be digits too."""
        for part in parts:
            value = part.of(number)
            if value and not isdigits(value):
                raise self.format_error(
                    part.name,
                    f"Caractère non admis dans {part.label} {self.of} : « {value} » "
                    "(chiffres attendus).",
                )
        tail = number[max(part.end for part in parts) :]
        if tail and not isdigits(tail):
            raise self.format_error(
                "numero", f"{self.name} ne doit contenir que des chiffres (en trop : « {tail} »)."
            )

    def require_key(self, typed: str, expected: str) -> None:
        if typed != expected:
            raise InvalidChecksum(
                f"Clé {self.of} incorrecte : {typed} saisie, {expected} attendue.",
                code=f"{self.kind}.invalid_checksum",
                part="cle",
            )

    def require_luhn_key(self, number: str, key: Part) -> None:
        """The ``key`` part must be the Luhn digit of everything before it."""
        self.require_key(key.of(number), luhn_key(number[: key.start]))

    def luhn_check_digit(self, payload: str, parts: Sequence[Part], length: int) -> str:
        """``calc_check_digits`` of a Luhn-keyed number: the key completing the ``length``
        digits of ``payload`` (typed without the key, separators allowed)."""
        number = self.clean(payload)
        self.require_digits(number, parts)
        self.require_length(number, length, ", sans la clé")
        return luhn_key(number)

    def grouped(self, number: str, parts: Sequence[Part]) -> str:
        """``format``: the cleaned number with a space between its parts, as far as typed."""
        number = self.clean(number)
        return " ".join(part.of(number) for part in parts if part.of(number))


def slices(number: str, parts: Sequence[Part]) -> list[str]:
    """The value of each part of ``number`` (``split`` of a module, on a valid number)."""
    return [part.of(number) for part in parts]


def luhn_key(payload: str) -> str:
    """The Luhn (ISO/IEC 7812-1, "modulo 10") digit that completes ``payload`` (ASCII digits)."""
    return luhn.calc_check_digit(payload)


def passes(validate: Callable[[str], object], number: object) -> bool:
    """``is_valid`` for any module: True when ``validate`` accepts ``number``; never raises."""
    if not isinstance(number, str):
        return False
    try:
        validate(number)
    except ValidationError:
        return False
    return True
