"""Readers of decoded JSON values with precise errors (for the pricing contract).

Each reader takes a value and the JSON path it came from, and returns a typed value or raises
``DraftError`` naming that path, in English for integrators and in French for the desk.
Booleans are never numbers; numbers are ``Decimal`` (JSON decoded with ``parse_float=Decimal``),
``int`` or numeric strings; floats are read through their shortest repr.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from openfse.domain.pricing.errors import DraftError
from openfse.money import CENT, InvalidAmount, parse_amount
from openfse.typed_numbers import small_int

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

MAX_AMOUNT = Decimal(100_000)  # euros: far above any act, bounds what a typo can do

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def error(field: str, english: str, french: str) -> DraftError:
    return DraftError(field, english, french)


def type_error(field: str, expected: str, value: object) -> DraftError:
    shown = describe(value)
    return error(
        field,
        f"{field}: expected {expected}, got {shown}",
        f"{field} : {_FR_EXPECTED.get(expected, expected)} attendu, reçu {shown}.",
    )


_FR_EXPECTED = {
    "an object": "un objet",
    "a list": "une liste",
    "a string": "une chaîne",
    "a boolean": "un booléen",
    "a number": "un nombre",
    "an integer": "un entier",
    "an ISO date (YYYY-MM-DD)": "une date ISO (AAAA-MM-JJ)",
}


def describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, float)):
        return f"number {value}"
    if isinstance(value, str):
        return repr(value[:40])
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def missing(field: str) -> DraftError:
    return error(field, f"{field} is required", f"{field} est obligatoire.")


# --------------------------------------------------------------------------------------------
# Scalar readers
# --------------------------------------------------------------------------------------------


def obj(value: object, field: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise type_error(field, "an object", value)
    return value


def string(value: object, field: str, max_length: int = 64) -> str:
    if not isinstance(value, str):
        raise type_error(field, "a string", value)
    text = value.strip()
    if not text or len(text) > max_length:
        raise error(
            field,
            f"{field}: expected a non-empty string of at most {max_length} characters",
            f"{field} : texte non vide d'au plus {max_length} caractères attendu.",
        )
    return text


def boolean(value: object, field: str, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise type_error(field, "a boolean", value)
    return value


def optional_bool(value: object, field: str) -> bool | None:
    return None if value is None else boolean(value, field)


def decimal(
    value: object,
    field: str,
    *,
    minimum: Decimal,
    maximum: Decimal,
    places: int | None = 2,
    strictly_positive: bool = False,
) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, str)):
        raise type_error(field, "a number", value)
    try:
        number = parse_amount(value)
    except InvalidAmount:
        raise type_error(field, "a number", value) from None
    if number < minimum or number > maximum or (strictly_positive and number <= 0):
        low = "above" if strictly_positive else "at least"
        raise error(
            field,
            f"{field}: {number} is out of range ({low} {minimum}, at most {maximum})",
            f"{field} : {number} hors limites (de {minimum} à {maximum}).",
        )
    exponent = number.as_tuple().exponent
    if places is not None and isinstance(exponent, int) and exponent < -places:
        raise error(
            field,
            f"{field}: {number} has more than {places} decimals",
            f"{field} : {number} a plus de {places} décimales.",
        )
    return number.quantize(CENT) if places == 2 else number


def amount(value: object, field: str) -> Decimal:
    return decimal(value, field, minimum=Decimal(0), maximum=MAX_AMOUNT)


def optional_amount(value: object, field: str) -> Decimal | None:
    return None if value is None else amount(value, field)


def integer(value: object, field: str, minimum: int, maximum: int) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        number = int(value)
    elif isinstance(value, str):  # small_int, not int(): 5,000 digits are no integer, not a 500
        number = small_int(value)
    if number is None:
        raise type_error(field, "an integer", value)
    if not minimum <= number <= maximum:
        raise error(
            field,
            f"{field}: {number} is out of range ({minimum} to {maximum})",
            f"{field} : {number} hors limites (de {minimum} à {maximum}).",
        )
    return number


def date_value(value: object, field: str) -> date:
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
        except ValueError:
            pass
    raise type_error(field, "an ISO date (YYYY-MM-DD)", value)


def fold(text: str) -> str:
    """Lower case, no accents, words joined by ``_``: ``Séparée`` → ``separee``."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "_".join(plain.replace("-", " ").replace("'", " ").split())


def enum(value: object, field: str, kind: type[E], synonyms: Mapping[str, E]) -> E:
    if not isinstance(value, str):
        raise type_error(field, "a string", value)
    folded = fold(value)
    for member in kind:
        if folded == fold(member.value):
            return member
    found = synonyms.get(folded)
    if found is None:
        allowed = ", ".join(member.value for member in kind)
        raise error(
            field,
            f"{field}: unknown value {value[:40]!r} (expected one of {allowed})",
            f"{field} : valeur inconnue {value[:40]!r} (valeurs possibles : {allowed}).",
        )
    return found


def optional_enum(value: object, field: str, kind: type[E], synonyms: Mapping[str, E]) -> E | None:
    """Like :func:`enum`; null, "" and "aucun" mean no value."""
    if value is None or (isinstance(value, str) and fold(value) in ("", "aucun", "none")):
        return None
    return enum(value, field, kind, synonyms)


def optional(value: object, read: Callable[[object], T]) -> T | None:
    return None if value is None else read(value)
