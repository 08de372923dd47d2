"""Typed fields of the API's forms: each JSON-schema constraint is the service's own check
(length, digits, the phone and e-mail shapes of ``services.fiches``), so that what the OpenAPI
document allows is what the services accept, short of the rules a schema cannot say (a number's
key, a code known to the referentials, a row that must exist).

Optional texts accept ``""`` and ``null`` (the field left empty). Patterns name the blanks
one by one (every character Python counts as one): the schema, pydantic's validator and the
services then agree on what is blank. A pattern is
declared with the French sentence its mismatch is answered with (:func:`explained`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

__all__ = ["EMAIL_PATTERN", "JSON_INT", "NOT_BLANK", "PATTERN_MESSAGES", "ROW_ID_MAX", "Email",
           "JsonInt", "Phone", "PostalCode", "RowId", "digits_pattern", "explained"]

# A pattern → the French sentence a refused value gets (``openfse.web.api.errors``).
PATTERN_MESSAGES: dict[str, str] = {}


def explained(pattern: str, message: str) -> str:
    """``pattern``, whose mismatch is answered with ``message``."""
    PATTERN_MESSAGES[pattern] = message
    return pattern


# Every character Python's ``str.split()`` and ``\s`` take for a blank, named one by one (the
# regex engines of the schema's readers disagree on ``\s``).
_BLANK = (r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f"
          r"\u3000")
NOT_BLANK = explained(f"[^{_BLANK}]", "Champ requis.")  # a text the services read as filled


def digits_pattern(low: int, high: int | None = None) -> str:
    """Empty, or ``low`` (to ``high``) ASCII digits."""
    same = high is None or high == low
    repeat = f"{{{low}}}" if same else f"{{{low},{high}}}"
    count = str(low) if same else f"{low} à {high}"
    return explained(f"^([0-9]{repeat})?$", f"{count} chiffres attendus.")


# services.fiches: "+?[0-9][0-9 .()-]{5,19}", at most 20 characters.
# The service collapses blanks and trims before matching: no double, leading or trailing
# space here, so that the text matched is the text read; at least 5 signs after the first digit.
Phone = Annotated[str | None, Field(
    default=None, max_length=20, examples=["01 23 45 67 89"],
    pattern=explained(r"^(\+?[0-9]( ?[0-9.()-]){5,})?$",
                      "Des chiffres (et espaces, points, tirets ou un + initial) : par exemple "
                      "01 23 45 67 89."))]
EMAIL_PATTERN = explained(f"^([^@{_BLANK}]+@[^@{_BLANK}]+\\.[^@{_BLANK}]+)?$",
                          "Adresse e-mail invalide : par exemple contact@exemple.fr.")
Email = Annotated[str | None, Field(default=None, max_length=254, pattern=EMAIL_PATTERN,
                                    examples=["contact@exemple.fr"])]
PostalCode = Annotated[str | None, Field(default=None, pattern=digits_pattern(5),
                                         examples=["75011"])]

# A row id in a body: the JSON number stays exact in every client (and no row has a larger one).
ROW_ID_MAX = 2**31 - 1


def _json_integer(value: object) -> object:
    # A JSON integer (6 or 6.0), never a string nor a boolean: what "type: integer" says.
    if isinstance(value, bool | str | bytes):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# Put after an int's constraints (``Annotated[int, Field(ge=1), JSON_INT]``) so that the JSON
# schema keeps them as ``minimum``/``maximum``.
JSON_INT = BeforeValidator(_json_integer)
JsonInt = Annotated[int, JSON_INT]
RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX), JSON_INT]
