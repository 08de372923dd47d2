"""Prescripteurs (seed 001, menu « Prescripteurs »): create, modify, search, delete.

A prescriber fiche holds nom (required), prénom, spécialité, structure, address, phone and the
identification numbers an invoice needs: RPPS, numéro AM (numéro de facturation + clé) and
ADELI. The seed requires « Nom » and « N° identification », so at least one of the three
numbers is required; each is checked with its key (``openfse.ids``), and a number already
given to another prescriber of the cabinet is refused.

This module also holds the **fiche mechanics shared by the directory services**
(``favourites``, ``organisms``, ``preferences`` import them): ``FieldErrors`` collects one
French message per wrong field so that a screen shows every error next to its field at once,
``InvalidForm`` carries them, and ``apply_changes`` / ``journal_new`` write journaled rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any, Literal, TypeVar

from openfse.errors import InvalidInput, OpenFSEError
from openfse.ids import adeli as adeli_id
from openfse.ids import facturation_ps
from openfse.ids import rpps as rpps_id
from openfse.referentials import professions
from openfse.store.base import Base
from openfse.store.journal import JournalAction
from openfse.store.models import Prescriber
from openfse.store.uow import UnitOfWork

__all__ = [
    "FIELDS",
    "FieldErrors",
    "InvalidForm",
    "apply_changes",
    "create",
    "delete",
    "display_name",
    "get",
    "journal_delete",
    "journal_new",
    "search",
    "specialty_choices",
    "specialty_label",
    "update",
]

SortOrder = Literal["asc", "desc"]
T = TypeVar("T")

# ---------------------------------------------------------------------------------------
# Fiche mechanics shared by the directory services
# ---------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_PHONE = re.compile(r"\+?[0-9][0-9 .()-]{5,19}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_POSTAL_CODE = re.compile(r"[0-9]{5}")


class InvalidForm(InvalidInput):
    """Fields of a fiche are wrong; ``errors`` maps each field to its French message."""

    code = "invalid_form"

    def __init__(self, errors: Mapping[str, str]) -> None:
        count = len(errors)
        plural = "s" if count > 1 else ""
        super().__init__(
            f"La fiche n'est pas enregistrée : {count} champ{plural} à corriger.",
            field=next(iter(errors), None),
        )
        self.errors = dict(errors)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(super().as_dict())
        data["fields"] = dict(self.errors)
        return data


class FieldErrors:
    """Checks the typed fields of a fiche one by one and remembers the first error of each.

    Every reader returns the clean value, or None (after recording the French message) when
    the field is wrong, so that all the fields are checked before ``raise_if_any``.
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def check(self, field: str, parse: Callable[[], T]) -> T | None:
        """``parse()``, or None with its error message recorded under ``field``."""
        try:
            return parse()
        except OpenFSEError as error:
            self.add(field, error.message)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidForm(self.errors)

    def text(self, field: str, value: object, *, label: str, max_length: int,
             required: bool = False) -> str | None:
        """Typed text with its blanks collapsed; None when empty."""
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(field, f"{label} doit être saisi comme du texte.")
            return None
        cleaned = _SPACES.sub(" ", value).strip()
        if not cleaned:
            if required:
                self.add(field, f"{label} est requis.")
            return None
        if len(cleaned) > max_length:
            self.add(field, f"{label} ne peut dépasser {max_length} caractères "
                            f"({len(cleaned)} saisis).")
            return None
        return cleaned

    def identifier(self, field: str, value: object, *, label: str,
                   validate: Callable[[str], str]) -> str | None:
        """An optional identifier checked by its ``openfse.ids`` validator (compact form)."""
        text = self.text(field, value, label=label, max_length=40)
        if text is None:
            return None
        return self.check(field, lambda: validate(text))

    def phone(self, field: str, value: object, *, label: str = "Le téléphone") -> str | None:
        text = self.text(field, value, label=label, max_length=20)
        if text is not None and not _PHONE.fullmatch(text):
            self.add(field, f"{label} ne doit contenir que des chiffres (et espaces, points, "
                            "tirets ou un + initial) : par exemple 01 23 45 67 89.")
            return None
        return text

    def email(self, field: str, value: object) -> str | None:
        text = self.text(field, value, label="L'adresse e-mail", max_length=254)
        if text is not None and not _EMAIL.fullmatch(text):
            self.add(field, "Adresse e-mail invalide : par exemple contact@exemple.fr.")
            return None
        return text

    def postal_code(self, field: str, value: object) -> str | None:
        text = self.text(field, value, label="Le code postal", max_length=10)
        if text is not None and not _POSTAL_CODE.fullmatch(text):
            self.add(field, f"Le code postal doit comporter 5 chiffres (« {text} » saisi).")
            return None
        return text

    def flag(self, field: str, value: object) -> bool:
        """A checkbox: absent, empty or false is False; "on" (HTML form) or true is True."""
        if value is None or value is False or value == "":
            return False
        if value is True or (isinstance(value, str) and value.lower() in ("on", "true", "1")):
            return True
        if isinstance(value, str) and value.lower() in ("off", "false", "0"):
            return False
        self.add(field, "Case à cocher : valeur « oui » ou « non » attendue.")
        return False

    def address(self, data: Mapping[str, object]) -> dict[str, str | None]:
        """The postal address fields of a fiche (``openfse.store.models.common.Address``)."""
        return {
            "address_line1": self.text("address_line1", data.get("address_line1"),
                                       label="L'adresse", max_length=200),
            "address_line2": self.text("address_line2", data.get("address_line2"),
                                       label="Le complément d'adresse", max_length=200),
            "postal_code": self.postal_code("postal_code", data.get("postal_code")),
            "city": self.text("city", data.get("city"), label="La ville", max_length=100),
        }


ADDRESS_FIELDS = ("address_line1", "address_line2", "postal_code", "city")


def journal_new(uow: UnitOfWork, row: Base, *, summary: str = "") -> None:
    """Insert ``row`` in the cabinet, journaled (a duplicate raises ``Conflict``)."""
    uow.journal_change(row, JournalAction.CREATE, summary=summary)


def apply_changes(uow: UnitOfWork, row: Base, values: Mapping[str, object], *,
                  summary: str = "") -> bool:
    """Set ``values`` on ``row`` and journal the update; False when nothing changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:  # journaled right after the change, before any query (UnitOfWork rule)
        uow.journal_change(row, JournalAction.UPDATE, summary=summary)
    return changed


def journal_delete(uow: UnitOfWork, rows: Iterable[Base], *, summary: str = "") -> None:
    """Delete ``rows``, each journaled with its last values."""
    for row in rows:
        uow.journal_change(row, JournalAction.DELETE, summary=summary)


# ---------------------------------------------------------------------------------------
# Prescribers
# ---------------------------------------------------------------------------------------

FIELDS = (
    "last_name",
    "first_name",
    "specialty_code",
    "rpps",
    "am_number",
    "adeli",
    "structure",
    *ADDRESS_FIELDS,
    "phone",
)


def specialty_choices() -> tuple[tuple[str, str], ...]:
    """(code spécialité, label) for the pick-list, by code: the médecin spécialités (SNDS
    IR_SPE_V) and the other prescribing professions with their SESAM-Vitale code spécialité
    (21 sage-femme, 19 chirurgien-dentiste…, SNDS IR_ACT_V)."""
    choices = {item.code: item.label for item in professions.specialites()}
    for profession in professions.professions():
        if profession.specialite_code and profession.specialite_code not in choices:
            choices[profession.specialite_code] = profession.label
    return tuple(sorted(choices.items()))


@cache
def _specialty_labels() -> dict[str, str]:
    return dict(specialty_choices())


def specialty_label(code: str | None) -> str:
    """The label of a stored code spécialité ("" for none; the code itself if unknown)."""
    if not code:
        return ""
    return _specialty_labels().get(code.zfill(2), code)


def _specialty(errors: FieldErrors, value: object) -> str | None:
    text = errors.text("specialty_code", value, label="La spécialité", max_length=3)
    if text is None:
        return None
    code = text.zfill(2)
    if code not in _specialty_labels():
        errors.add("specialty_code", f"Spécialité inconnue : « {text} ». Choisissez-la dans "
                                     "la liste.")
        return None
    return code


def _validated(uow: UnitOfWork, data: Mapping[str, object],
               current: Prescriber | None) -> dict[str, object]:
    """The clean column values of a prescriber fiche, or ``InvalidForm``."""
    errors = FieldErrors()
    values: dict[str, object] = {
        "last_name": errors.text("last_name", data.get("last_name"), label="Le nom",
                                 max_length=100, required=True),
        "first_name": errors.text("first_name", data.get("first_name"), label="Le prénom",
                                  max_length=100),
        "specialty_code": _specialty(errors, data.get("specialty_code")),
        "rpps": errors.identifier("rpps", data.get("rpps"), label="Le numéro RPPS",
                                  validate=rpps_id.validate),
        "am_number": errors.identifier("am_number", data.get("am_number"),
                                       label="Le numéro AM", validate=facturation_ps.validate),
        "adeli": errors.identifier("adeli", data.get("adeli"), label="Le numéro ADELI",
                                   validate=adeli_id.validate),
        "structure": errors.text("structure", data.get("structure"), label="La structure",
                                 max_length=200),
        **errors.address(data),
        "phone": errors.phone("phone", data.get("phone")),
    }
    numbers = ("rpps", "am_number", "adeli")
    # Seed 001, « Création fiche prescripteur » : « Nom » and « N° identification » required.
    if not any(values[n] for n in numbers) and not any(n in errors.errors for n in numbers):
        errors.add("rpps", "Saisissez au moins un numéro d'identification du prescripteur : "
                           "RPPS, numéro AM ou ADELI.")
    for field, find, label in (
        ("rpps", uow.prescribers.by_rpps, "ce numéro RPPS"),
        ("am_number", uow.prescribers.by_am_number, "ce numéro AM"),
    ):
        number = values[field]
        if isinstance(number, str):
            other = find(number)
            if other is not None and (current is None or other.id != current.id):
                errors.add(field, f"Le prescripteur {display_name(other)} porte déjà {label}.")
    errors.raise_if_any()
    return values


def display_name(prescriber: Prescriber) -> str:
    """"NOM Prénom" as in the lists."""
    return f"{prescriber.last_name} {prescriber.first_name or ''}".strip()


def search(uow: UnitOfWork, text: str = "", *, order: SortOrder = "asc",
           limit: int = 50) -> Sequence[Prescriber]:
    """Prescribers whose last or first name starts with ``text`` (A>Z or Z>A)."""
    with uow:
        return uow.prescribers.search(text, order=order, limit=limit)


def get(uow: UnitOfWork, prescriber_id: int) -> Prescriber:
    """One prescriber (``NotFound`` in French if not in the cabinet)."""
    with uow:
        return uow.prescribers.get(prescriber_id)


def create(uow: UnitOfWork, data: Mapping[str, object]) -> Prescriber:
    """Create a prescriber from the typed fiche (``InvalidForm`` lists every wrong field)."""
    with uow:
        prescriber = Prescriber(**_validated(uow, data, None))
        journal_new(uow, prescriber)
        uow.commit()
        return prescriber


def update(uow: UnitOfWork, prescriber_id: int, data: Mapping[str, object]) -> Prescriber:
    """Replace every field of a prescriber with the typed fiche."""
    with uow:
        prescriber = uow.prescribers.get(prescriber_id)
        apply_changes(uow, prescriber, _validated(uow, data, prescriber))
        uow.commit()
        return prescriber


def delete(uow: UnitOfWork, prescriber_id: int) -> None:
    """Delete a prescriber fiche (journaled)."""
    with uow:
        journal_delete(uow, [uow.prescribers.get(prescriber_id)])
        uow.commit()
