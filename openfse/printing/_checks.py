"""Checks shared by the view models: each raises ``InvalidPrintData`` naming the field and
saying, in French, what is wrong. Identifier and code-list errors from the rest of the
product are re-raised with the field's label in front, so the user knows which number of
the document is at fault (« NIR de l'assuré(e) : Clé du NIR incorrecte… »)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from openfse.errors import OpenFSEError
from openfse.money import CENT
from openfse.printing.errors import InvalidPrintData
from openfse.referentials.codes import CodeList

# Far above any real invoice (a dental prosthesis bill is a few thousand euros): a larger
# amount is a typing or mapping error, and would break the table layout.
MAX_AMOUNT = Decimal("1000000.00")
MAX_TEXT = 200


def require_text(value: object, field: str, label: str, *, max_length: int = MAX_TEXT) -> None:
    """A non-blank string of at most ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidPrintData(f"{label} : valeur manquante.", field=field)
    optional_text(value, field, label, max_length=max_length)


def optional_text(value: object, field: str, label: str, *, max_length: int = MAX_TEXT) -> None:
    """A string (possibly empty) of at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise InvalidPrintData(f"{label} : texte attendu.", field=field)
    if len(value) > max_length:
        raise InvalidPrintData(
            f"{label} : {len(value)} caractères, {max_length} au plus.", field=field
        )


def require_amount(value: object, field: str, label: str) -> None:
    """Euros as a ``Decimal`` with at most two decimals, from 0 to ``MAX_AMOUNT``.

    Nothing is rounded here: an amount with more decimals means the caller skipped the
    product's rounding rule (``openfse.money.round_cents``), which must not be hidden.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidPrintData(f"{label} : montant en euros attendu.", field=field)
    if value != value.quantize(CENT):
        raise InvalidPrintData(f"{label} : montant au centime près attendu ({value}).",
                               field=field)
    if value < 0:
        raise InvalidPrintData(f"{label} : montant négatif ({value}).", field=field)
    if value > MAX_AMOUNT:
        raise InvalidPrintData(f"{label} : montant hors limites ({value}).", field=field)


def require_date(value: object, field: str, label: str) -> None:
    # datetime is a date subclass; a timestamp here would print a misleading day near midnight.
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise InvalidPrintData(f"{label} : date attendue.", field=field)


def require_int(value: object, field: str, label: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidPrintData(f"{label} : nombre entier de {low} à {high} attendu.",
                               field=field)


def checked(validate: Callable[[str], object], value: object, field: str, label: str, *,
            relabel: bool = True) -> None:
    """Run a product validator (``openfse.ids.nir.validate``…) and re-raise its error for
    this field, prefixed with ``label`` unless the message already names the value
    (``relabel=False``: code lists say « Type de paiement : valeur … inconnue »)."""
    if not isinstance(value, str):
        raise InvalidPrintData(f"{label} : texte attendu.", field=field)
    try:
        validate(value)
    except OpenFSEError as error:
        message = f"{label} : {error.message}" if relabel else error.message
        raise InvalidPrintData(message, field=field) from error


def require_code(code_list: CodeList, code: object, on: date, field: str, label: str) -> None:
    """``code`` belongs to ``code_list`` on the date of care ``on``."""
    checked(lambda text: code_list.validate(text, on), code, field, label, relabel=False)


__all__ = [
    "MAX_AMOUNT",
    "checked",
    "optional_text",
    "require_amount",
    "require_code",
    "require_date",
    "require_int",
    "require_text",
]
