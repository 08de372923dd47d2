"""The fiche mechanics shared by the directory services (prescribers, organisms, favourites,
preferences): typed fields checked one by one, journaled writes, and the search / get /
create / update / delete use cases of one list of fiches.

``FieldErrors`` collects one French message per wrong field so that a screen shows every
error next to its field at once, ``FormErrors`` (``openfse.errors``) carries them,
``apply_changes`` / ``journal_new`` / ``journal_delete`` write journaled rows and ``FicheBook``
runs the use cases of one list, each in its own unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar

from openfse.errors import FormErrors, OpenFSEError
from openfse.store.base import Base
from openfse.store.journal import JournalAction
from openfse.store.uow import UnitOfWork

__all__ = [
    "ADDRESS_FIELDS",
    "FicheBook",
    "FieldErrors",
    "FormErrors",
    "InvalidForm",
    "SortOrder",
    "apply_changes",
    "journal_delete",
    "journal_new",
]

SortOrder = Literal["asc", "desc"]
T = TypeVar("T")
M = TypeVar("M", bound=Base)
M_co = TypeVar("M_co", bound=Base, covariant=True)

_SPACES = re.compile(r"\s+")
_PHONE = re.compile(r"\+?[0-9][0-9 .()-]{5,19}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_POSTAL_CODE = re.compile(r"[0-9]{5}")


# The one form-error type (``openfse.errors.FormErrors``), under the name the screens import.
InvalidForm = FormErrors


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
            raise FormErrors(self.errors)

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


class FicheRepository(Protocol[M_co]):
    """What ``FicheBook`` needs of a cabinet-scoped repository."""

    def search(self, text: str, *, order: SortOrder = "asc",
               limit: int = 50) -> Sequence[M_co]: ...

    def get(self, row_id: int) -> M_co: ...


@dataclass(frozen=True, slots=True)
class FicheBook(Generic[M]):
    """The use cases of one list of fiches, each in its own unit of work, every write
    journaled: ``validated(uow, data, current)`` turns the typed fiche into column values (or
    raises ``FormErrors``), ``before_delete`` refuses a deletion (a fiche still in use)."""

    repository: Callable[[UnitOfWork], FicheRepository[M]]
    model: Callable[..., M]
    validated: Callable[[UnitOfWork, Mapping[str, object], M | None], dict[str, object]]
    search_limit: int
    before_delete: Callable[[UnitOfWork, M], None] | None = None

    def search(self, uow: UnitOfWork, text: str = "", *, order: SortOrder = "asc",
               limit: int | None = None) -> Sequence[M]:
        """Fiches whose name (or number, for organisms) starts with ``text``, A>Z or Z>A."""
        with uow:
            return self.repository(uow).search(
                text, order=order, limit=self.search_limit if limit is None else limit)

    def get(self, uow: UnitOfWork, row_id: int) -> M:
        """One fiche (``NotFound`` in French if not in the cabinet)."""
        with uow:
            return self.repository(uow).get(row_id)

    def create(self, uow: UnitOfWork, data: Mapping[str, object]) -> M:
        """Add a fiche from the typed fields (``FormErrors`` lists every wrong field)."""
        with uow:
            row = self.model(**self.validated(uow, data, None))
            journal_new(uow, row)
            uow.commit()
            return row

    def update(self, uow: UnitOfWork, row_id: int, data: Mapping[str, object]) -> M:
        """Replace every field of a fiche with the typed ones (« Mise à jour »)."""
        with uow:
            row = self.repository(uow).get(row_id)
            apply_changes(uow, row, self.validated(uow, data, row))
            uow.commit()
            return row

    def delete(self, uow: UnitOfWork, row_id: int) -> None:
        """Delete a fiche (journaled with its last values), unless ``before_delete`` refuses."""
        with uow:
            row = self.repository(uow).get(row_id)
            if self.before_delete is not None:
                self.before_delete(uow, row)
            journal_delete(uow, [row])
            uow.commit()
