"""Profils / Préférences (manuel eS-KAP+, « Préférences de facturation », « Préférences AMC »).

Every preference is typed, validated and has a documented default. Values are stored per
cabinet and, optionally, per user (a user's own value wins over the cabinet's; removing it
makes the cabinet's apply again) in ``uow.preferences``, one row per key, the key being the
field name of :class:`Preferences`. A stored value that is no longer valid (an option removed
from a list) is ignored: the default applies and the screen shows it.

Other screens read them with :func:`get_all`::

    prefs = preferences.get_all(desk.uow())
    if prefs.home_visit_by_default: ...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from openfse.domain.rights import AdriMode
from openfse.domain.transmission import DEFAULT_INSURER_MAILBOX, mailbox_template_problem
from openfse.errors import InvalidInput
from openfse.referentials import codes
from openfse.services.prescribers import FieldErrors
from openfse.store.journal import JournalAction
from openfse.store.models import Preference
from openfse.store.uow import UnitOfWork, UnitOfWorkClosed
from openfse.typed_numbers import small_int

__all__ = [
    "ADRI_MODE_HELP",
    "SPECS",
    "TRANSMISSION_SPECS",
    "PreferenceSpec",
    "Preferences",
    "TiersPayantAmc",
    "UserPreferences",
    "for_user",
    "get_all",
    "payment_choices",
    "reset_user",
    "save",
    "save_own",
]


E = TypeVar("E", bound=StrEnum)


class TiersPayantAmc(StrEnum):
    """How the AMC part is claimed in tiers payant (manuel eS-KAP+, « Préférences AMC »)."""

    STANDARD = "standard"
    COORDONNE = "coordonne"


@dataclass(frozen=True, slots=True)
class Preferences:
    """The working preferences; the defaults are those of a new cabinet."""

    # Préférences de facturation — ADRi (manuel eS-KAP+: « Appel automatique ciblé (défaut) »).
    adri_mode: AdriMode = AdriMode.AUTOMATIQUE_CIBLE
    # Préférences AMC.
    tiers_payant_amc: TiersPayantAmc = TiersPayantAmc.STANDARD
    sts_enabled: bool = True  # « Utilisation des STS (activé par défaut) »
    sts_level1_diagnostics: bool = False
    sts_detailed_formulas: bool = False
    sts_assistance: bool = False
    # Traitement: options ticked by default when an invoice is made.
    home_visit_by_default: bool = False
    show_executing_ps: bool = False
    show_amounts_recap: bool = True
    act_series: bool = False
    # Paiement: type pre-selected when a payment is added (None: chosen each time).
    default_payment_type: str | None = None
    # Télétransmission: a lot sent without ARL after this many days is flagged and may be sent
    # again (the caisse answers within 1–2 days, docs/protocols.md §1.7).
    arl_wait_days: int = 2
    # An invoice in tiers payant unpaid this many days after sending is « en retard » (garantie
    # de délai de paiement of a secured FSE: 7 days, art. L.161-36-3 and R.161-43-1 CSS).
    payment_wait_days: int = 7
    # The organisms' mailboxes where lots are sent (docs/formats/lot.md §5).
    insurer_mailbox: str = DEFAULT_INSURER_MAILBOX
    # The end of day sent and fetched unattended at this time of the cabinet's day (« HH:MM »;
    # "" = by hand only): serve's scheduler runs ``transmission.run_scheduled`` once a day.
    transmission_time: str = ""


@dataclass(frozen=True, slots=True)
class PreferenceSpec:
    """How a preference is shown: its section, label and explanation (French)."""

    key: str
    section: str
    label: str
    help: str = ""


SECTION_ADRI = "ADRi — acquisition des droits AMO"
SECTION_AMC = "Assurance maladie complémentaire (AMC)"
SECTION_TREATMENT = "Traitement"
SECTION_PAYMENT = "Paiement"

# The manual's explanation of each ADRi mode (« Préférences de facturation »).
ADRI_MODE_HELP: dict[AdriMode, tuple[str, str]] = {
    AdriMode.MANUEL: (
        "Appel manuel",
        "Le service ADRi est utilisé uniquement lorsque vous en décidez, par exemple en cas "
        "de doute sur les droits AMO de votre patient.",
    ),
    AdriMode.AUTOMATIQUE_CIBLE: (
        "Appel automatique ciblé (défaut)",
        "Le service ADRi est appelé automatiquement dans certains cas précis.",
    ),
    AdriMode.SYSTEMATIQUE: (
        "Appel automatique systématique",
        "Le service ADRi est appelé automatiquement pour toutes les factures, sans exception.",
    ),
}
ADRI_APCV_NOTE = ("Dans le cas d'une carte Vitale dématérialisée (appli carte Vitale), l'appel "
                  "ADRi est systématique, quel que soit le choix effectué.")
TIERS_PAYANT_AMC_LABELS: dict[TiersPayantAmc, str] = {
    TiersPayantAmc.STANDARD: "Tiers payant standard",
    TiersPayantAmc.COORDONNE: "Tiers payant coordonné",
}

SPECS: tuple[PreferenceSpec, ...] = (
    PreferenceSpec("adri_mode", SECTION_ADRI, "Mode d'appel du service ADRi"),
    PreferenceSpec("tiers_payant_amc", SECTION_AMC, "Tiers payant AMC"),
    PreferenceSpec("sts_enabled", SECTION_AMC, "Utilisation des STS",
                   "Éléments STS (système de télétransmission sécurisé) : activé par défaut."),
    PreferenceSpec("sts_level1_diagnostics", SECTION_AMC,
                   "Affichage des diagnostics STS de niveau 1"),
    PreferenceSpec("sts_detailed_formulas", SECTION_AMC, "Affichage détaillé des formules STS"),
    PreferenceSpec("sts_assistance", SECTION_AMC, "Appel à l'assistance STS"),
    PreferenceSpec("home_visit_by_default", SECTION_TREATMENT, "Mettre par défaut à domicile",
                   "Active automatiquement l'option de soins à domicile lors de la création "
                   "d'un acte."),
    PreferenceSpec("show_executing_ps", SECTION_TREATMENT,
                   "Rendre visible la sélection du PS exécutant",
                   "Affiche un champ permettant de choisir le praticien réalisant l'acte : "
                   "utile lorsque plusieurs professionnels partagent le même poste ou profil."),
    PreferenceSpec("show_amounts_recap", SECTION_TREATMENT,
                   "Afficher le récapitulatif des actes/montants",
                   "Affiche un résumé des actes réalisés et des montants, avec la possibilité "
                   "de modifier la prise en charge AMO ou mutuelle."),
    PreferenceSpec("act_series", SECTION_TREATMENT, "Activer les séries d'actes",
                   "Permet d'enregistrer rapidement des actes récurrents (séances de "
                   "kinésithérapie, soins infirmiers…)."),
    PreferenceSpec("default_payment_type", SECTION_PAYMENT, "Type de paiement par défaut",
                   "Proposé en premier quand un paiement est ajouté à une facture."),
)
# Set on the télétransmission screen (not the Profils one, which saves the keys of SPECS).
SECTION_TRANSMISSION = "Télétransmission"
TRANSMISSION_SPECS: tuple[PreferenceSpec, ...] = (
    PreferenceSpec("arl_wait_days", SECTION_TRANSMISSION, "Délai d'attente de l'ARL (jours)",
                   "Un lot envoyé sans accusé de réception logique (ARL) après ce délai est "
                   "signalé « sans ARL » et peut être renvoyé."),
    PreferenceSpec("payment_wait_days", SECTION_TRANSMISSION,
                   "Délai de paiement attendu (jours)",
                   "Une facture en tiers payant non payée ce nombre de jours après son envoi "
                   "est signalée « en retard »."),
    PreferenceSpec("insurer_mailbox", SECTION_TRANSMISSION,
                   "Adresse des organismes destinataires",
                   "Boîte aux lettres où part chaque lot : {type} devient amo ou amc, {code} le "
                   "numéro de l'organisme (régime, caisse et centre, ou numéro AMC). Sans "
                   "accolades, tous les lots partent à cette adresse (concentrateur technique)."),
    PreferenceSpec("transmission_time", SECTION_TRANSMISSION,
                   "Envoi et relève automatiques à (heure)",
                   "Chaque jour à cette heure, openfse prépare les lots, les envoie et relève "
                   "les retours, une seule fois par jour, même sans personne devant l'écran "
                   "(l'application doit être démarrée). Vide : seulement à la main."),
)
# (lowest, highest) accepted number of days.
_DAY_BOUNDS = {"arl_wait_days": (1, 30), "payment_wait_days": (1, 90)}
_KEYS = tuple(f.name for f in fields(Preferences))
_DEFAULTS = Preferences()
# The list of payment types does not change with the date of care: read it on a fixed day
# (every code of the list is valid from 2000-01-01, code_lists.csv).
_PAYMENT_LIST_DAY = date(2000, 1, 1)


def payment_choices() -> tuple[tuple[str, str], ...]:
    """(code, label) of the payment types (``openfse.referentials.codes.TYPE_PAIEMENT``)."""
    return tuple((item.code, item.label) for item in codes.TYPE_PAIEMENT.items(_PAYMENT_LIST_DAY))


# -- reading and checking one value -------------------------------------------------------

def _parse(key: str, value: object, errors: FieldErrors) -> Any:
    """The typed value of ``key`` from a form or JSON value (error recorded if invalid)."""
    default = getattr(_DEFAULTS, key)
    if key == "adri_mode":
        return _choice(key, value, AdriMode, errors, "Mode ADRi inconnu : choisissez appel "
                       "manuel, automatique ciblé ou systématique.")
    if key == "tiers_payant_amc":
        return _choice(key, value, TiersPayantAmc, errors, "Tiers payant AMC : choisissez "
                       "standard ou coordonné.")
    if key == "default_payment_type":
        if value in (None, ""):
            return None
        return errors.check(key, lambda: codes.TYPE_PAIEMENT.validate(str(value),
                                                                       _PAYMENT_LIST_DAY))
    if isinstance(default, bool):
        return errors.flag(key, value)
    if key in _DAY_BOUNDS:
        return _days(key, value, errors)
    if key == "insurer_mailbox":
        return _mailbox(key, value, errors)
    if key == "transmission_time":
        return _time_of_day(key, value, errors)
    raise AssertionError(f"no parser for preference {key!r}")  # a field added without one


def _days(key: str, value: object, errors: FieldErrors) -> int | None:
    low, high = _DAY_BOUNDS[key]
    # A form sends text, the API a number; a boolean is neither. small_int, not int(): a pasted
    # 5,000-digit number must be refused, not converted.
    days = small_int(value, max_digits=3)
    if days is None or not low <= days <= high:
        errors.add(key, f"Nombre de jours entier de {low} à {high} attendu.")
        return None
    return days


def _time_of_day(key: str, value: object, errors: FieldErrors) -> str | None:
    """« HH:MM » (24 h), or "" for none."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return ""
    hours, _, minutes = text.partition(":")
    if (len(hours) == 2 and len(minutes) == 2 and (hours + minutes).isascii()
            and (hours + minutes).isdigit() and int(hours) < 24 and int(minutes) < 60):
        return text
    errors.add(key, "Heure « HH:MM » attendue (par exemple 19:30), ou vide.")
    return None


def _mailbox(key: str, value: object, errors: FieldErrors) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    problem = mailbox_template_problem(text) if text else "Adresse des organismes requise."
    if problem:
        errors.add(key, problem)
        return None
    return text


def _choice(key: str, value: object, kind: type[E], errors: FieldErrors,
                        message: str) -> E | None:
    try:
        return kind(str(value))
    except ValueError:
        errors.add(key, message)
        return None


def _stored(key: str, value: Any) -> Any:
    """A stored JSON value as its typed form, or the default when it is no longer valid."""
    errors = FieldErrors()
    parsed = _parse(key, value, errors)
    return getattr(_DEFAULTS, key) if errors.errors else parsed


def _as_json(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


@contextmanager
def _reading(uow: UnitOfWork) -> Iterator[UnitOfWork]:
    """Use the unit of work as it is if the caller already opened it, else open it here."""
    try:
        uow.session  # noqa: B018 - raises when the unit of work is not open
    except UnitOfWorkClosed:
        with uow:
            yield uow
        return
    yield uow


# -- use cases -------------------------------------------------------------------------------

def get_all(uow: UnitOfWork, *, user_id: int | None = None) -> Preferences:
    """The preferences in force (for ``user_id``: his own values over the cabinet's).

    Works inside a unit of work the caller has opened, or opens one itself.
    """
    with _reading(uow):
        stored = uow.preferences.effective_values(user_id)
    values = {key: _stored(key, stored[key]) for key in _KEYS if key in stored}
    return replace(_DEFAULTS, **values)


def save(uow: UnitOfWork, data: Mapping[str, object], *,
         user_id: int | None = None) -> Preferences:
    """Validate and store every preference of ``data`` (keys absent are left unchanged; a
    checkbox absent from an HTML form must be sent as False by the caller).

    Raises:
        InvalidForm: one French message per wrong field.
        InvalidInput: unknown key.
    """
    typed = _validated(data)
    with uow:
        rows = uow.preferences.rows(user_id)
        for key, value in typed.items():
            _store(uow, rows.get(key), key, _as_json(value), user_id)
        uow.commit()
    return get_all(uow, user_id=user_id)


def _validated(data: Mapping[str, object]) -> dict[str, Any]:
    """The typed value of every key of ``data`` (InvalidInput / InvalidForm when wrong)."""
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise InvalidInput(f"Préférence inconnue : {', '.join(unknown)}.",
                           code="unknown_preference", field=unknown[0])
    errors = FieldErrors()
    typed = {key: _parse(key, data[key], errors) for key in _KEYS if key in data}
    errors.raise_if_any()
    return typed


def _store(uow: UnitOfWork, row: Preference | None, key: str, value: Any,
           user_id: int | None) -> None:
    if row is None:
        uow.journal_change(Preference(key=key, value=value, user_id=user_id),
                           JournalAction.CREATE, summary="préférences")
    elif row.value != value:
        row.value = value
        uow.journal_change(row, JournalAction.UPDATE, summary="préférences")


def reset_user(uow: UnitOfWork, user_id: int) -> Preferences:
    """Remove a user's own values: the cabinet's apply to him again."""
    with uow:
        for row in uow.preferences.rows(user_id).values():
            uow.journal_change(row, JournalAction.DELETE, summary="préférences")
        uow.commit()
    return get_all(uow, user_id=user_id)


# -- one user's own values over the cabinet's (« Mes préférences ») --------------------------

@dataclass(frozen=True, slots=True)
class UserPreferences:
    """What applies to one user, the cabinet's defaults, and which keys are his own."""

    in_force: Preferences
    cabinet: Preferences
    own: frozenset[str]


def for_user(uow: UnitOfWork, user_id: int) -> UserPreferences:
    """The preferences of ``user_id`` layered over the cabinet's."""
    with _reading(uow):
        own = frozenset(key for key in uow.preferences.rows(user_id) if key in _KEYS)
        return UserPreferences(get_all(uow, user_id=user_id), get_all(uow), own)


def save_own(uow: UnitOfWork, data: Mapping[str, object], *, user_id: int) -> UserPreferences:
    """Store the values of ``data`` as the user's own where they differ from the cabinet's.

    A value equal to the cabinet's is not kept as his own (an existing one is removed): the
    user then follows the cabinet when the titulaire changes it later. Raises like :func:`save`.
    """
    typed = _validated(data)
    with uow:
        cabinet = get_all(uow)
        rows = uow.preferences.rows(user_id)
        for key, value in typed.items():
            row = rows.get(key)
            if value != getattr(cabinet, key):
                _store(uow, row, key, _as_json(value), user_id)
            elif row is not None:
                uow.journal_change(row, JournalAction.DELETE, summary="préférences")
        uow.commit()
    return for_user(uow, user_id)
