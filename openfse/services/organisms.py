"""Paramètres SV (manuel eS-KAP+): the cabinet's lists of AMO and AMC organisms.

Both lists start as copies of the reference lists (``openfse.services.setup``) and the desk
adds, modifies, searches and deletes fiches:

- **AMO** fiche (« Fiche Organisme ») : régime, caisse, centre (required, checked by
  ``openfse.ids.organisme``: 2 + 3 + 4 digits, known grand régime), flux, type destinataire,
  name (taken from the reference list of caisses when left empty), address, phone, e-mail,
  comment.
- **AMC** fiche : name and number (NRM or AMC, ``openfse.ids.amc``: 7 to 10 digits), type de
  contrat (« valeur 89 réservé C2S »), gestion séparée or unique, address, phone, fax,
  e-mail, contact, comment, and the Inter-AMC routing fields (type de convention, critère
  secondaire de routage, code routage, hôte, domaine).

An organism that a patient's coverage still uses cannot be deleted: AMO rights point at it by
régime + caisse + centre, AMC contracts by fiche or by number (leading zeros ignored).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from openfse.errors import Conflict, OpenFSEError
from openfse.ids import amc as amc_id
from openfse.ids import organisme
from openfse.referentials import organisms as reference
from openfse.services.fiches import ADDRESS_FIELDS, FicheBook, FieldErrors
from openfse.store.models import AmcGestion, AmcOrganism, AmoOrganism
from openfse.store.repositories.organisms import Usage
from openfse.store.uow import UnitOfWork

__all__ = [
    "AMC",
    "AMC_FIELDS",
    "AMO",
    "AMO_FIELDS",
    "GESTION_CHOICES",
    "create_amc",
    "create_amo",
    "delete_amc",
    "delete_amo",
    "get_amc",
    "get_amo",
    "search_amc",
    "search_amo",
    "update_amc",
    "update_amo",
]

_CONTACT_FIELDS = ("name", *ADDRESS_FIELDS, "phone", "email", "comment", "favourite")
AMO_FIELDS = ("regime", "caisse", "centre", "flux", "destination_type", *_CONTACT_FIELDS)
AMC_FIELDS = (
    "number",
    "contract_type",
    "gestion",
    *_CONTACT_FIELDS,
    "fax",
    "contact",
    "convention_type",
    "csr",
    "routing_code",
    "host_id",
    "domain",
    "verified",
)
# « ☒ Gestion séparée ☐ Gestion unique » (manuel eS-KAP+, fiche organisme AMC).
GESTION_CHOICES = (
    (AmcGestion.SEPAREE.value, "Gestion séparée"),
    (AmcGestion.UNIQUE.value, "Gestion unique"),
)

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: "²".isdigit() is True
_AMO_PARTS = (("regime", 2, "Le code régime"), ("caisse", 3, "Le code caisse"),
              ("centre", 4, "Le code centre"))


# -- shared by both fiches ------------------------------------------------------------------

def _contact(errors: FieldErrors, data: Mapping[str, object], *,
             name: str | None) -> dict[str, object]:
    """Name, address, phone, e-mail, comment and the "favourite" flag of either fiche."""
    return {
        "name": name,
        **errors.address(data),
        "phone": errors.phone("phone", data.get("phone")),
        "email": errors.email("email", data.get("email")),
        "comment": errors.text("comment", data.get("comment"), label="Le commentaire",
                               max_length=2000),
        "favourite": errors.flag("favourite", data.get("favourite")),
        # A fiche the desk has touched is never overwritten by a re-import of the reference.
        "user_edited": True,
    }


def _code(errors: FieldErrors, field: str, value: object, *, label: str,
          max_length: int) -> str | None:
    """A routing or type code: letters and digits only."""
    text = errors.text(field, value, label=label, max_length=max_length)
    if text is not None and not text.replace("-", "").replace("_", "").isalnum():
        errors.add(field, f"{label} ne contient que des lettres et des chiffres.")
        return None
    return text


def _refuse_if_used(usage: Usage, what: str, name: str, using: tuple[str, str]) -> None:
    """``using``: what points at the organism, singular and plural ("droit AMO", "droits
    AMO")."""
    if usage.count:
        examples = ", ".join(usage.patients)
        more = "…" if usage.count > len(usage.patients) else ""
        raise Conflict(
            f"Suppression impossible : {what} « {name} » est utilisé par {usage.count} "
            f"{using[usage.count > 1]} de patient ({examples}{more}). "
            "Modifiez d'abord ces dossiers.",
            code="organism_in_use",
        )


# -- AMO --------------------------------------------------------------------------------------

def _amo_values(uow: UnitOfWork, data: Mapping[str, object],
                current: AmoOrganism | None) -> dict[str, object]:
    errors = FieldErrors()
    parts: dict[str, str | None] = {}
    for field, width, label in _AMO_PARTS:
        text = errors.text(field, data.get(field), label=label, max_length=10, required=True)
        if text is not None and not (_DIGITS.fullmatch(text) and len(text) == width):
            errors.add(field, f"{label} doit comporter {width} chiffres (« {text} » saisi).")
            text = None
        parts[field] = text
    regime, caisse, centre = parts["regime"], parts["caisse"], parts["centre"]
    if regime and caisse and centre:
        try:  # the known grands régimes (openfse.ids.organisme.REGIMES)
            organisme.validate(regime + caisse + centre)
        except OpenFSEError as error:
            errors.add(getattr(error, "part", "regime"), error.message)
    name = errors.text("name", data.get("name"), label="Le nom", max_length=200)
    if name is None and "name" not in errors.errors and regime and caisse:
        known = reference.find_caisse(regime, caisse)
        if known is None:
            errors.add("name", "Le nom est requis : cette caisse n'est pas dans la liste de "
                               "référence.")
        name = known.name if known else None
    values: dict[str, object] = {
        "regime": regime,
        "caisse": caisse,
        "centre": centre,
        "flux": _code(errors, "flux", data.get("flux"), label="Le flux", max_length=20),
        "destination_type": _code(errors, "destination_type", data.get("destination_type"),
                                  label="Le type destinataire", max_length=2),
        **_contact(errors, data, name=name),
    }
    if regime and caisse and centre and not errors.errors:
        other = uow.amo_organisms.by_code(regime, caisse, centre)
        if other is not None and (current is None or other.id != current.id):
            errors.add("regime", f"L'organisme {regime} {caisse} {centre} existe déjà : "
                                 f"« {other.name} ».")
    errors.raise_if_any()
    return values


def _refuse_amo_if_used(uow: UnitOfWork, organism: AmoOrganism) -> None:
    """« Supprimer la fiche » is refused while a patient's AMO rights use the organism."""
    code = f"{organism.regime} {organism.caisse} {organism.centre}"
    _refuse_if_used(uow.amo_organisms.usage(organism), "l'organisme AMO", code,
                    ("droit AMO", "droits AMO"))


# -- AMC --------------------------------------------------------------------------------------

def _amc_values(uow: UnitOfWork, data: Mapping[str, object],
                current: AmcOrganism | None) -> dict[str, object]:
    errors = FieldErrors()
    number_text = errors.text("number", data.get("number"), label="Le numéro AMC",
                              max_length=20, required=True)
    number = (errors.check("number", lambda: amc_id.validate(number_text))
              if number_text is not None else None)
    contract_type = errors.text("contract_type", data.get("contract_type"),
                                label="Le type de contrat", max_length=10)
    if contract_type is not None and not (_DIGITS.fullmatch(contract_type)
                                          and len(contract_type) <= 2):
        errors.add("contract_type", "Le type de contrat s'écrit avec 1 ou 2 chiffres "
                                    f"(89 réservé à la C2S ; « {contract_type} » saisi).")
        contract_type = None
    gestion_text = errors.text("gestion", data.get("gestion"), label="Le mode de gestion",
                               max_length=10, required=True)
    gestion: AmcGestion | None = None
    if gestion_text is not None:
        try:
            gestion = AmcGestion(gestion_text)
        except ValueError:
            errors.add("gestion", "Mode de gestion inconnu : choisissez gestion séparée ou "
                                  "gestion unique.")
    name = errors.text("name", data.get("name"), label="Le nom", max_length=200,
                       required=True)
    values: dict[str, object] = {
        "number": number,
        "contract_type": contract_type,
        "gestion": gestion,
        **_contact(errors, data, name=name),
        "fax": errors.phone("fax", data.get("fax"), label="Le fax"),
        "contact": errors.text("contact", data.get("contact"), label="Le contact",
                               max_length=200),
        "convention_type": _code(errors, "convention_type", data.get("convention_type"),
                                 label="Le type de convention", max_length=10),
        "csr": _code(errors, "csr", data.get("csr"), label="Le critère secondaire de routage",
                     max_length=10),
        "routing_code": _code(errors, "routing_code", data.get("routing_code"),
                              label="Le code routage", max_length=10),
        "host_id": errors.text("host_id", data.get("host_id"), label="L'identifiant d'hôte",
                               max_length=64),
        "domain": errors.text("domain", data.get("domain"), label="Le domaine",
                              max_length=128),
        "verified": errors.flag("verified", data.get("verified")),
    }
    if number is not None:
        same = [o for o in uow.amc_organisms.same_number(number)
                if current is None or o.id != current.id]
        if same:
            errors.add("number", f"Le numéro {number} est déjà celui de l'organisme "
                                 f"« {same[0].name} » ({same[0].number}).")
    errors.raise_if_any()
    return values


def luhn_warning(number: str) -> str | None:
    """A non-blocking hint: most AMC numbers pass the Luhn check (``openfse.ids.amc``)."""
    if not amc_id.is_valid(number) or amc_id.is_special(number):
        return None
    if amc_id.has_luhn_key(number):
        return None
    return ("Ce numéro ne passe pas le contrôle de Luhn, comme la plupart des numéros AMC : "
            "vérifiez-le sur l'attestation.")


def _refuse_amc_if_used(uow: UnitOfWork, organism: AmcOrganism) -> None:
    """« Supprimer l'organisme AMC » is refused while a patient's contract uses it."""
    _refuse_if_used(uow.amc_organisms.usage(organism), "l'organisme AMC", organism.name,
                    ("contrat AMC", "contrats AMC"))


# -- the use cases of both lists -------------------------------------------------------------

# Search by name prefix (or number prefix when digits), get, « Ajouter un organisme AMO/AMC »,
# « Mise à jour », « Supprimer la fiche » (refused while a patient's coverage uses it).
AMO = FicheBook(repository=lambda uow: uow.amo_organisms, model=AmoOrganism,
                validated=_amo_values, search_limit=100, before_delete=_refuse_amo_if_used)
AMC = FicheBook(repository=lambda uow: uow.amc_organisms, model=AmcOrganism,
                validated=_amc_values, search_limit=100, before_delete=_refuse_amc_if_used)
search_amo, search_amc = AMO.search, AMC.search
get_amo, get_amc = AMO.get, AMC.get
create_amo, create_amc = AMO.create, AMC.create
update_amo, update_amc = AMO.update, AMC.update
delete_amo, delete_amc = AMO.delete, AMC.delete
