"""Mes favoris (manuel eS-KAP+, « Soins favoris »): labelled sets of acts inserted in one action.

A favourite belongs to the professional who created it, or to the whole cabinet (no owner).
Each act line (« Modifier un acte ») has a code with a quantity and a coefficient, and may
change the tarification (unit price), the qualificatif de dépense and the indemnité
forfaitaire. Codes are checked on the date given (the edge passes today):

- a CCAM code (4 letters + 3 digits) must be in the CCAM catalogue in force, with the
  activity/phase line asked for and modifiers the act allows;
- any other code must have an NGAP or COx tariff for the owner's profession (for a cabinet
  favourite: for one of the professions of the cabinet) — ``IFA`` is read as ``IFD``;
- as in the pricing contract (docs/formats/price.md, ``unit_price``), a code the tariffs do not
  know is accepted when a unit price is given.

:func:`acts_as_draft` turns a favourite into the act objects of the pricing contract, for the
invoice screen to insert them in one action.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from openfse.errors import InvalidInput, UnknownTariff
from openfse.money import InvalidAmount, parse_amount
from openfse.referentials import ngap, professions
from openfse.referentials.ccam import CcamAct, CcamCatalog
from openfse.referentials.codes import QUALIFICATIF_DEPENSE
from openfse.services.prescribers import (
    FieldErrors,
    apply_changes,
    journal_delete,
    journal_new,
)
from openfse.store.models import Favourite, FavouriteAct
from openfse.store.repositories.favourites import CABINET, Owner
from openfse.store.uow import UnitOfWork
from openfse.typed_numbers import record_id

__all__ = [
    "ACT_FIELDS",
    "CABINET",
    "FavouriteActLine",
    "FavouriteView",
    "acts_as_draft",
    "add",
    "code_choices",
    "code_label",
    "create",
    "delete",
    "get",
    "owner_choices",
    "owner_professions",
    "search",
    "travel_allowance_choices",
    "update",
]

SortOrder = Literal["asc", "desc"]
ACT_FIELDS = ("code", "quantity", "coefficient", "activity", "phase", "modifiers",
              "unit_price", "qualificatif", "travel_allowance_code")
MAX_ACTS = 20
MAX_QUANTITY = 99
_CCAM_CODE = re.compile(r"[A-Z]{4}[0-9]{3}")
_NGAP_CODE = re.compile(r"[A-Z][A-Z0-9]{0,5}")
_SEPARATORS = re.compile(r"[\s,;]+")
_INTEGER = re.compile(r"[0-9]{1,3}")


@dataclass(frozen=True, slots=True)
class FavouriteActLine:
    """One act of a favourite as the invoice will receive it."""

    code: str
    nomenclature: str  # NGAP | CCAM | COX
    quantity: int = 1
    coefficient: Decimal | None = None  # NGAP/COx; None = 1
    activity: int | None = None  # CCAM
    phase: int | None = None  # CCAM
    modifiers: tuple[str, ...] = ()  # CCAM
    unit_price: Decimal | None = None  # « tarification » override
    qualificatif: str | None = None
    travel_allowance_code: str | None = None  # IFD, IFS, MD… (indemnité forfaitaire)

    def describe(self) -> str:
        """Short form for lists: "AMI 4,5", "AFLB001 F", "C ×2"."""
        text = self.code
        if self.coefficient is not None and self.coefficient != 1:
            text += " " + _french_number(self.coefficient)
        if self.modifiers:
            text += " " + "".join(self.modifiers)
        if self.quantity != 1:
            text += f" ×{self.quantity}"
        if self.travel_allowance_code:
            text += f" + {self.travel_allowance_code}"
        return text


@dataclass(frozen=True, slots=True)
class FavouriteView:
    id: int
    label: str
    professional_id: int | None
    acts: tuple[FavouriteActLine, ...]

    def summary(self) -> str:
        return " · ".join(act.describe() for act in self.acts)


def _french_number(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


# -- reading ---------------------------------------------------------------------------------

def _line(act: FavouriteAct) -> FavouriteActLine:
    return FavouriteActLine(
        code=act.code,
        nomenclature=act.nomenclature,
        quantity=act.quantity,
        coefficient=_plain(act.coefficient),
        activity=int(act.activity) if act.activity else None,
        phase=int(act.phase) if act.phase else None,
        modifiers=tuple(act.modifiers or ""),
        unit_price=act.unit_price,
        qualificatif=act.qualificatif_depense,
        travel_allowance_code=act.travel_allowance_code,
    )


def _plain(value: Decimal | None) -> Decimal | None:
    """A stored coefficient without the storage's trailing zeros (4.500 → 4.5, 2.000 → 2)."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _view(favourite: Favourite) -> FavouriteView:
    return FavouriteView(
        id=favourite.id,
        label=favourite.label,
        professional_id=favourite.professional_id,
        acts=tuple(_line(act) for act in sorted(favourite.acts, key=lambda a: a.position)),
    )


def search(uow: UnitOfWork, text: str = "", *, professional_id: Owner = None,
           order: SortOrder = "asc", limit: int = 50) -> list[FavouriteView]:
    """Favourites whose label starts with ``text``: ``professional_id`` an id gives his own
    and the cabinet's, ``"cabinet"`` the cabinet's only, None all of them."""
    with uow:
        rows = uow.favourites.search(text, professional_id=professional_id, order=order,
                                     limit=limit)
        return [_view(row) for row in rows]


def get(uow: UnitOfWork, favourite_id: int) -> FavouriteView:
    with uow:
        return _view(uow.favourites.get_with_acts(favourite_id))


def acts_as_draft(favourite: FavouriteView) -> list[dict[str, Any]]:
    """The favourite's acts as ``acts[]`` objects of the pricing contract
    (docs/formats/price.md), in order.

    An indemnité forfaitaire becomes its own NGAP act line right after the act that asks for
    it, once per code: it pays one déplacement (NGAP, titre XIV art. 13 — indemnité
    forfaitaire de déplacement), however many acts the visit holds.
    """
    acts: list[dict[str, Any]] = []
    travel_codes: set[str] = set()
    for line in favourite.acts:
        act: dict[str, Any] = {"code": line.code, "nomenclature": line.nomenclature,
                               "quantity": line.quantity}
        if line.nomenclature == "CCAM":
            act["activity"] = line.activity if line.activity is not None else 1
            act["phase"] = line.phase if line.phase is not None else 0
            if line.modifiers:
                act["modifiers"] = list(line.modifiers)
        else:
            act["coefficient"] = line.coefficient if line.coefficient is not None else Decimal(1)
        if line.unit_price is not None:
            act["unit_price"] = line.unit_price
        if line.qualificatif:
            act["qualificatif"] = line.qualificatif
        acts.append(act)
        travel = line.travel_allowance_code
        if travel and travel not in travel_codes:
            travel_codes.add(travel)
            acts.append({"code": travel, "nomenclature": "NGAP", "quantity": 1})
    return acts


# -- owners and pick-lists -------------------------------------------------------------------

def owner_choices(uow: UnitOfWork) -> list[tuple[int, str]]:
    """(id, "NOM Prénom") of the active professionals a favourite can belong to."""
    with uow:
        return [(p.id, f"{p.last_name} {p.first_name}".strip())
                for p in uow.professionals.active()]


def _profession_ids(profession_codes: Iterable[str | None]) -> tuple[str, ...]:
    """API profession ids from ANS codes ("10" → "medecin"); every profession when none
    is known, so that a cabinet without professionals can still save favourites."""
    by_code = {p.profession_code: p.id for p in professions.professions()}
    found = {by_code[code] for code in profession_codes if code in by_code}
    return tuple(p for p in professions.PROFESSION_IDS if p in found) or professions.PROFESSION_IDS


def _owner_professions(uow: UnitOfWork, professional_id: int | None) -> tuple[str, ...]:
    if professional_id is not None:
        return _profession_ids([uow.professionals.get(professional_id).profession_code])
    return _profession_ids(p.profession_code for p in uow.professionals.active())


def owner_professions(uow: UnitOfWork, professional_id: int | None) -> tuple[str, ...]:
    """The professions whose NGAP codes a favourite of this owner may use."""
    with uow:
        return _owner_professions(uow, professional_id)


def code_choices(profession_ids: Sequence[str], on: date) -> list[ngap.NgapKey]:
    """NGAP and COx codes with a tariff on ``on`` for these professions (a pick-list)."""
    return _keys(profession_ids, on, lambda key: True)


def travel_allowance_choices(profession_ids: Sequence[str], on: date) -> list[ngap.NgapKey]:
    """The « indemnité forfaitaire » codes (NGAP kind ``deplacement``: IFD, IFS, MD, ID…)."""
    return _keys(profession_ids, on, lambda key: key.kind == "deplacement")


def _keys(profession_ids: Sequence[str], on: date, keep: Any) -> list[ngap.NgapKey]:
    found: dict[str, ngap.NgapKey] = {}
    for profession in profession_ids:
        for key in ngap.keys(profession, on):
            if keep(key):
                found.setdefault(key.code, key)
    return sorted(found.values(), key=lambda key: key.code)


def code_label(code: str, nomenclature: str, profession_ids: Sequence[str], on: date,
               ccam: CcamCatalog) -> str:
    """The French label of an act code ("" when the referentials do not know it)."""
    if nomenclature == "CCAM":
        act = ccam.act(code)
        return act.label if act is not None else ""
    key = _ngap_key(code, profession_ids, on)
    return key.label if key is not None else (ngap.catalogue_label(code) or "")


def _ngap_key(code: str, profession_ids: Sequence[str], on: date) -> ngap.NgapKey | None:
    for profession in profession_ids:
        key = ngap.lookup(profession, code, on)
        if key is not None:
            return key
    return None


# -- checking a typed favourite --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Context:
    profession_ids: tuple[str, ...]
    on: date
    ccam: CcamCatalog


def _is_blank(act: Mapping[str, object]) -> bool:
    return all(act.get(name) in (None, "") for name in ACT_FIELDS)


def _act(errors: FieldErrors, index: int, data: Mapping[str, object],
         context: _Context) -> FavouriteActLine | None:
    """One checked act line, or None (errors recorded under ``acts[index].<field>``)."""
    field = f"acts[{index}]."
    before = len(errors.errors)
    price = _unit_price(errors, field + "unit_price", data.get("unit_price"))
    quantity = _integer(errors, field + "quantity", data.get("quantity"), "La quantité",
                        low=1, high=MAX_QUANTITY, default=1)
    code_text = errors.text(field + "code", data.get("code"), label="Le code de l'acte",
                            max_length=13, required=True)
    code = code_text.upper().replace(" ", "") if code_text else None
    nomenclature: str | None = None
    ccam_act: CcamAct | None = None
    if code is not None and _CCAM_CODE.fullmatch(code):
        nomenclature = "CCAM"
        ccam_act = context.ccam.act(code)
        if ccam_act is None and price is None:
            errors.add(field + "code", f"Code CCAM inconnu : « {code} » (CCAM "
                                       f"{context.ccam.version}). Vérifiez le code ou "
                                       "saisissez le prix unitaire.")
    elif code is not None and _NGAP_CODE.fullmatch(code):
        key = _ngap_key(code, context.profession_ids, context.on)
        if key is not None:
            code, nomenclature = key.code, key.nomenclature  # IFA is entered as IFD
        elif price is not None:
            nomenclature = "NGAP"
        else:
            errors.add(field + "code", _unknown_ngap(code, context))
    elif code is not None:
        errors.add(field + "code", f"Code d'acte invalide : « {code} » (un code NGAP comme "
                                   "AMI, ou un code CCAM comme AFLB001).")
    if nomenclature == "CCAM":
        coefficient = None
        if data.get("coefficient") not in (None, "", "1", 1):
            errors.add(field + "coefficient", "Un acte CCAM n'a pas de coefficient : "
                                              "laissez le champ vide.")
        activity = _integer(errors, field + "activity", data.get("activity"), "L'activité",
                            low=1, high=5, default=1)
        phase = _integer(errors, field + "phase", data.get("phase"), "La phase", low=0,
                         high=9, default=0)
        modifiers = _modifiers(errors, field + "modifiers", data.get("modifiers"), ccam_act)
        if ccam_act is not None and activity is not None and phase is not None \
                and ccam_act.line(activity, phase) is None:
            lines = ", ".join(f"{line.activity}/{line.phase}" for line in ccam_act.lines)
            errors.add(field + "activity", f"L'acte {code} n'a pas d'activité {activity} en "
                                           f"phase {phase} (activité/phase possibles : "
                                           f"{lines}).")
    else:
        coefficient = _coefficient(errors, field + "coefficient", data.get("coefficient"))
        activity = phase = None
        modifiers = ()
        for name, label in (("activity", "L'activité"), ("phase", "La phase"),
                            ("modifiers", "Les modificateurs")):
            if data.get(name) not in (None, ""):
                errors.add(field + name, f"{label} ne concerne que les actes CCAM.")
    qualificatif = _listed(errors, field + "qualificatif", data.get("qualificatif"),
                           lambda text: QUALIFICATIF_DEPENSE.validate(text.upper(), context.on))
    travel = _listed(errors, field + "travel_allowance_code",
                     data.get("travel_allowance_code"),
                     lambda text: _travel_allowance(text, context))
    if len(errors.errors) > before or code is None or nomenclature is None:
        return None
    return FavouriteActLine(code=code, nomenclature=nomenclature, quantity=quantity or 1,
                            coefficient=coefficient, activity=activity, phase=phase,
                            modifiers=modifiers, unit_price=price, qualificatif=qualificatif,
                            travel_allowance_code=travel)


def _unknown_ngap(code: str, context: _Context) -> str:
    try:
        ngap.value(context.profession_ids[0], code, context.on)
    except UnknownTariff as error:
        return error.message
    return f"Code NGAP inconnu : « {code} »."  # pragma: no cover - value() found a tariff


def _integer(errors: FieldErrors, field: str, value: object, label: str, *, low: int,
             high: int, default: int) -> int | None:
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not _INTEGER.fullmatch(text) or not low <= int(text) <= high:
        errors.add(field, f"{label} est un nombre entier de {low} à {high} (« {text} » saisi).")
        return None
    return int(text)


def _decimal(value: object) -> Decimal:
    if isinstance(value, float):  # JSON numbers arrive as Decimal or str, never as float
        raise InvalidAmount("float")
    return parse_amount(value)


def _has_places(number: Decimal, places: int) -> bool:
    """At most ``places`` decimals ("12,50" has 2; "4,500" has 1)."""
    return number == number.quantize(Decimal(1).scaleb(-places))


def _coefficient(errors: FieldErrors, field: str, value: object) -> Decimal | None:
    """NGAP coefficient: > 0, at most 3 decimals like the pricing contract; empty = 1."""
    if value in (None, ""):
        return None
    try:
        number = _decimal(value)
    except InvalidAmount:
        errors.add(field, f"Coefficient invalide : « {value} » (par exemple 1 ou 4,5).")
        return None
    if number <= 0 or number >= 1000 or not _has_places(number, 3):
        errors.add(field, "Le coefficient est un nombre positif inférieur à 1000, avec au plus "
                          f"3 décimales (« {value} » saisi).")
        return None
    return number


def _unit_price(errors: FieldErrors, field: str, value: object) -> Decimal | None:
    """Tarification override in euros: 0 to 99 999,99 with at most 2 decimals."""
    if value in (None, ""):
        return None
    try:
        amount = _decimal(value)
    except InvalidAmount:
        errors.add(field, f"Prix unitaire invalide : « {value} » (par exemple 12,50).")
        return None
    if amount < 0 or amount >= 100000 or not _has_places(amount, 2):
        errors.add(field, "Le prix unitaire est un montant en euros de 0 à 99 999,99 avec au "
                          f"plus 2 décimales (« {value} » saisi).")
        return None
    return amount


def _modifiers(errors: FieldErrors, field: str, value: object,
               act: CcamAct | None) -> tuple[str, ...]:
    """CCAM modifiers typed as "F", "F P" or "F,P": at most 4, each allowed for the act."""
    if value in (None, ""):
        return ()
    letters = tuple(m for m in _SEPARATORS.split(str(value).upper()) if m)
    if len(letters) == 1 and len(letters[0]) > 1:  # "FP" typed without separator
        letters = tuple(letters[0])
    if len(letters) > 4 or any(len(m) != 1 for m in letters) or len(set(letters)) < len(letters):
        errors.add(field, "Au plus 4 modificateurs CCAM différents, d'un caractère chacun "
                          f"(« {value} » saisi).")
        return ()
    if act is not None:
        refused = [m for m in letters if m not in act.modifiers]
        if refused:
            allowed = ", ".join(act.modifiers) or "aucun"
            errors.add(field, f"Modificateur {', '.join(refused)} non autorisé pour "
                              f"{act.code} (autorisés : {allowed}).")
            return ()
    return letters


def _listed(errors: FieldErrors, field: str, value: object, validate: Any) -> str | None:
    text = errors.text(field, value, label="Ce champ", max_length=10)
    if text is None:
        return None
    result: str | None = errors.check(field, lambda: validate(text))
    return result


def _travel_allowance(text: str, context: _Context) -> str:
    choices = travel_allowance_choices(context.profession_ids, context.on)
    code = text.upper()
    key = _ngap_key(code, context.profession_ids, context.on)
    if key is not None and key.kind == "deplacement":
        return key.code
    listed = ", ".join(f"{k.code} ({k.label})" for k in choices) or "aucune pour cette profession"
    raise InvalidInput(f"Indemnité forfaitaire inconnue : « {code} ». Valeurs possibles : "
                       f"{listed}.", field="travel_allowance_code")


def _professional_id(errors: FieldErrors, uow: UnitOfWork, value: object) -> int | None:
    if value in (None, "", CABINET):
        return None
    professional_id = record_id(value)  # not int(): 5,000 typed digits must not be a 500
    if professional_id is None or uow.professionals.find(professional_id) is None:
        errors.add("professional_id", "Professionnel introuvable dans ce cabinet : choisissez "
                                      "dans la liste (ou « Tout le cabinet »).")
        return None
    return professional_id


def _validated(uow: UnitOfWork, data: Mapping[str, object], *, on: date, ccam: CcamCatalog,
               current: Favourite | None) -> tuple[dict[str, object], list[FavouriteActLine]]:
    errors = FieldErrors()
    label = errors.text("label", data.get("label"), label="Le libellé du soin",
                        max_length=200, required=True)
    professional_id = _professional_id(errors, uow, data.get("professional_id"))
    owner_known = "professional_id" not in errors.errors
    context = _Context(_owner_professions(uow, professional_id if owner_known else None), on,
                       ccam)
    typed = data.get("acts") or []
    if not isinstance(typed, Sequence) or isinstance(typed, str | bytes):
        typed = []
        errors.add("acts", "Les actes du favori sont une liste.")
    acts: list[FavouriteActLine] = []
    for index, act in enumerate(typed):
        if not isinstance(act, Mapping):
            errors.add(f"acts[{index}].code", "Acte illisible.")
            continue
        if _is_blank(act):
            continue  # an empty row of the form
        line = _act(errors, index, act, context)
        if line is not None:
            acts.append(line)
    if not acts and not any(key.startswith("acts[") for key in errors.errors):
        errors.add("acts", "Ajoutez au moins un soin au favori (« Ajouter un soin »).")
    if len(acts) > MAX_ACTS:
        errors.add("acts", f"Un favori compte au plus {MAX_ACTS} actes.")
    if label is not None and owner_known:
        same = [f for f in uow.favourites.same_label(label, professional_id)
                if current is None or f.id != current.id]
        if same:
            errors.add("label", f"Un favori s'appelle déjà « {same[0].label} » pour ce "
                                "propriétaire : choisissez un autre libellé.")
    errors.raise_if_any()
    return {"label": label, "professional_id": professional_id}, acts


def _act_rows(favourite_id: int, acts: Sequence[FavouriteActLine]) -> list[FavouriteAct]:
    return [
        FavouriteAct(
            favourite_id=favourite_id, position=position, code=line.code,
            nomenclature=line.nomenclature, quantity=line.quantity,
            coefficient=line.coefficient,
            activity=str(line.activity) if line.activity is not None else None,
            phase=str(line.phase) if line.phase is not None else None,
            modifiers="".join(line.modifiers) or None, unit_price=line.unit_price,
            qualificatif_depense=line.qualificatif,
            travel_allowance_code=line.travel_allowance_code,
        )
        for position, line in enumerate(acts)
    ]


# -- writing ---------------------------------------------------------------------------------

def create(uow: UnitOfWork, data: Mapping[str, object], *, on: date,
           ccam: CcamCatalog) -> FavouriteView:
    """Create a favourite: ``data`` holds ``label``, ``professional_id`` (None or "" for the
    whole cabinet) and ``acts`` (mappings of :data:`ACT_FIELDS`, typed values)."""
    with uow:
        favourite = add(uow, data, on=on, ccam=ccam)
        uow.commit()
        uow.session.expire(favourite, ["acts"])
        return _view(uow.favourites.get_with_acts(favourite.id))


def add(uow: UnitOfWork, data: Mapping[str, object], *, on: date,
        ccam: CcamCatalog) -> Favourite:
    """:func:`create`'s work inside a unit of work the caller opened and commits (the demo
    loads its favourites with the rest of the cabinet, all or nothing)."""
    values, acts = _validated(uow, data, on=on, ccam=ccam, current=None)
    favourite = Favourite(**values)
    journal_new(uow, favourite)
    for row in _act_rows(favourite.id, acts):
        journal_new(uow, row)
    return favourite


def update(uow: UnitOfWork, favourite_id: int, data: Mapping[str, object], *, on: date,
           ccam: CcamCatalog) -> FavouriteView:
    """Replace the label, owner and acts of a favourite (« Valider »)."""
    with uow:
        favourite = uow.favourites.get_with_acts(favourite_id)
        values, acts = _validated(uow, data, on=on, ccam=ccam, current=favourite)
        apply_changes(uow, favourite, values)
        old = [_line(act) for act in sorted(favourite.acts, key=lambda a: a.position)]
        if old != acts:
            # The lines are replaced, each removal and addition journaled.
            journal_delete(uow, list(favourite.acts))
            uow.session.expire(favourite, ["acts"])
            for row in _act_rows(favourite.id, acts):
                journal_new(uow, row)
        uow.commit()
        uow.session.expire(favourite, ["acts"])
        return _view(uow.favourites.get_with_acts(favourite.id))


def delete(uow: UnitOfWork, favourite_id: int) -> None:
    """Delete a favourite and its acts (journaled)."""
    with uow:
        favourite = uow.favourites.get_with_acts(favourite_id)
        journal_delete(uow, list(favourite.acts))
        uow.session.expire(favourite, ["acts"])
        journal_delete(uow, [favourite])
        uow.commit()
