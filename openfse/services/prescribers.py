"""Prescripteurs (manuel eS-KAP+, menu « Prescripteurs »): create, modify, search, delete.

A prescriber fiche holds nom (required), prénom, spécialité, structure, address, phone and the
identification numbers an invoice needs: RPPS, numéro AM (numéro de facturation + clé) and
ADELI. The seed requires « Nom » and « N° identification », so at least one of the three
numbers is required; each is checked with its key (``openfse.ids``), and a number already
given to another prescriber of the cabinet is refused.

The fiche mechanics shared by the directory services (``FieldErrors``, journaled writes, the
use cases of a list) live in ``openfse.services.fiches``; a refused fiche raises the one
form-error type ``openfse.errors.FormErrors`` (``InvalidForm`` is its older name, re-exported
here for the modules that import it from this one).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from openfse.errors import FormErrors
from openfse.ids import adeli as adeli_id
from openfse.ids import facturation_ps
from openfse.ids import rpps as rpps_id
from openfse.referentials import professions
from openfse.services.fiches import (
    ADDRESS_FIELDS,
    FicheBook,
    FieldErrors,
    InvalidForm,  # = FormErrors
    apply_changes,
    journal_delete,
    journal_new,
)
from openfse.store.models import Prescriber
from openfse.store.uow import UnitOfWork

__all__ = [
    "ADDRESS_FIELDS",
    "BOOK",
    "FIELDS",
    "FieldErrors",
    "FormErrors",
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
    """The clean column values of a prescriber fiche, or ``FormErrors``."""
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
    # Manuel eS-KAP+, « Création fiche prescripteur » : « Nom » and « N° identification » required.
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


# « Prescripteurs »: search by the start of the last or first name (A>Z or Z>A), one fiche
# (``NotFound`` in French), create / update from the typed fiche (``FormErrors`` lists every
# wrong field), delete (journaled).
BOOK = FicheBook(repository=lambda uow: uow.prescribers, model=Prescriber,
                 validated=_validated, search_limit=50)
search = BOOK.search
get = BOOK.get
create = BOOK.create
update = BOOK.update
delete = BOOK.delete
