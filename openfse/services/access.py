"""Who may do what: the role policy, one table for the UI and the API alike.

Issue 8: « titulaire, remplaçant, secrétaire, admin … signing needs the CPS … a remplaçant only
on their days … the API enforces the same rules as the UI ». Manuel eS-KAP+, guide LOGOSw: the
secrétariat prepares (patients, payments) but never signs; the admin keeps the settings.

A request is mapped to one :class:`Permission` by :data:`ROUTE_RULES` (first match wins; a
route no rule names needs only a logged-in user), then :func:`check` says yes or raises
:class:`Forbidden` with a French message. Pure apart from :func:`replaces_on`, which reads the
remplaçant's calendar in an open unit of work.

A remplaçant works in the cabinet only on the days of his calendar: off those days he reaches
neither the patient files nor payments, billing or signing (:data:`CALENDAR_BOUND`; issue 12,
finding 12). The README's role table is :func:`role_table`, and a test holds them together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import exists, select

from openfse.errors import OpenFSEError
from openfse.services.session_login import SessionUser
from openfse.store.models import ReplacementDay, UserRole
from openfse.store.uow import UnitOfWork

__all__ = [
    "ROLE_PERMISSIONS",
    "ROUTE_RULES",
    "Forbidden",
    "Permission",
    "RouteRule",
    "CALENDAR_BOUND",
    "check",
    "permission_for",
    "replaces_on",
    "role_table",
]


class Permission(StrEnum):
    LOGGED_IN = "logged_in"  # any logged-in user (home, own preferences, referentials)
    PATIENTS = "patients"  # patient files, prescribers, favourites: read and edit
    PAYMENTS = "payments"  # record/change a payment
    BILL = "bill"  # validate, cancel, delete invoices; lots
    SIGN = "sign"  # sign/secure invoices: a professional logged in with his CPS
    SETTINGS = "settings"  # organisms, cabinet preferences, professionals, secretariat
    JOURNAL = "journal"  # read the audit journal


_CARE = frozenset({Permission.LOGGED_IN, Permission.PATIENTS, Permission.PAYMENTS})

# The policy. A remplaçant's permissions but LOGGED_IN hold only on his calendar days (check()).
ROLE_PERMISSIONS: dict[UserRole, frozenset[Permission]] = {
    UserRole.TITULAIRE: frozenset(Permission),
    UserRole.REMPLACANT: _CARE | {Permission.BILL, Permission.SIGN},
    UserRole.SECRETAIRE: _CARE,  # prepares, never validates nor signs
    UserRole.ADMIN: frozenset({Permission.LOGGED_IN, Permission.SETTINGS, Permission.JOURNAL}),
}
# What a remplaçant may do only on a day of his calendar (README « Sécurité »: « remplaçant
# (care and billing, only on the days of his calendar) »).
CALENDAR_BOUND = frozenset({Permission.PATIENTS, Permission.PAYMENTS, Permission.BILL,
                            Permission.SIGN})

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ANY = frozenset({"GET", "HEAD", "OPTIONS"}) | _UNSAFE


@dataclass(frozen=True, slots=True)
class RouteRule:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    permission: Permission


def _rule(methods: frozenset[str], pattern: str, permission: Permission) -> RouteRule:
    return RouteRule(methods, re.compile(pattern), permission)


ROUTE_RULES: tuple[RouteRule, ...] = (
    # signing and securing: the CPS
    _rule(_UNSAFE, r"^/api/invoices/(sign|secure)$", Permission.SIGN),
    # payments (before the generic invoice rules)
    _rule(_UNSAFE, r"^/api/invoices/\d+/payments(/\d+)?$", Permission.PAYMENTS),
    # billing: preview is preparation (allowed to the secrétariat), the rest is billing
    _rule(_UNSAFE, r"^/api/invoices/preview$", Permission.PATIENTS),
    _rule(_UNSAFE, r"^/api/invoices(/.*)?$", Permission.BILL),
    _rule(_ANY, r"^/api/invoices(/.*)?$", Permission.PATIENTS),
    # the « Factures » screens: same split as the invoice API
    _rule(_UNSAFE, r"^/factures/(signer|securiser)$", Permission.SIGN),
    _rule(_UNSAFE, r"^/factures/\d+/paiements(/.*)?$", Permission.PAYMENTS),
    _rule(_UNSAFE, r"^/factures(/.*)?$", Permission.BILL),
    _rule(_ANY, r"^/factures(/.*)?$", Permission.PATIENTS),
    # télétransmission: its settings (delays, the insurers' mailbox) are the cabinet's
    # settings (issue 12: a remplaçant redirected the lots to any address)
    _rule(_UNSAFE, r"^/teletransmission/reglages$", Permission.SETTINGS),
    # télétransmission: building, sending, fetching and handling rejects is billing work
    _rule(_UNSAFE, r"^(/api/transmission|/teletransmission)(/.*)?$", Permission.BILL),
    _rule(_ANY, r"^(/api/transmission|/teletransmission)(/.*)?$", Permission.PATIENTS),
    # settings and people of the cabinet
    _rule(_ANY, r"^/parametres(/.*)?$", Permission.SETTINGS),
    _rule(_UNSAFE, r"^/api/organisms(/.*)?$", Permission.SETTINGS),
    _rule(_UNSAFE, r"^/professionnels(/.*)?$", Permission.SETTINGS),
    _rule(_UNSAFE, r"^/api/preferences/users/.*$", Permission.SETTINGS),
    # the journal
    _rule(_ANY, r"^/journal(/.*)?$", Permission.JOURNAL),
    # patient data
    _rule(_ANY, r"^(/api)?/patients(/.*)?$", Permission.PATIENTS),
    _rule(_UNSAFE, r"^/facture/(vitale|apcv/[^/]+|\d+)/securiser$", Permission.SIGN),
    _rule(_UNSAFE, r"^/facture/\d+/paiement$", Permission.PAYMENTS),
    _rule(_UNSAFE, r"^/facture$", Permission.BILL),  # « Valider »: numbers the invoice
    _rule(_ANY, r"^/facture(/.*)?$", Permission.PATIENTS),
    _rule(_ANY, r"^(/api/prescribers|/prescripteurs)(/.*)?$", Permission.PATIENTS),
    _rule(_ANY, r"^(/api/favourites|/favoris)(/.*)?$", Permission.PATIENTS),
)


class Forbidden(OpenFSEError):
    """The logged-in user's role does not allow this (HTTP 403)."""

    code = "forbidden"


_REFUSALS = {
    Permission.PATIENTS: "Votre profil n'a pas accès aux dossiers des patients.",
    Permission.PAYMENTS: "Votre profil ne permet pas d'enregistrer des règlements.",
    Permission.BILL: "Votre profil ne permet pas de valider ni de modifier des factures.",
    Permission.SIGN: "La signature des factures demande un professionnel connecté avec sa CPS.",
    Permission.SETTINGS: "Seuls le titulaire et l'administrateur modifient les paramètres.",
    Permission.JOURNAL: "Seuls le titulaire et l'administrateur consultent le journal.",
}


def permission_for(method: str, path: str) -> Permission:
    """The permission a request needs (``LOGGED_IN`` when no rule names the route)."""
    for rule in ROUTE_RULES:
        if method.upper() in rule.methods and rule.pattern.match(path):
            return rule.permission
    return Permission.LOGGED_IN


def replaces_on(uow: UnitOfWork, remplacant_id: int, day: date) -> bool:
    """Does the remplaçant's calendar hold ``day`` (for any titulaire of the cabinet)?"""
    stmt = select(
        exists().where(
            ReplacementDay.cabinet_id == uow.cabinet_id,
            ReplacementDay.remplacant_id == remplacant_id,
            ReplacementDay.day == day,
        )
    )
    return bool(uow.session.scalar(stmt))


def check_bills_as(user: SessionUser, professional_id: int) -> None:
    """A remplaçant validates invoices in his own name only: the engine bills them under the
    titulaire he replaces that day, and refuses a date off his calendar. Naming the titulaire
    himself would skip that check (issue 5: « a remplaçant can bill only on their calendar days
    for that titulaire »). A titulaire may bill for any professional of his cabinet."""
    if (user.role is UserRole.REMPLACANT and user.professional_id is not None
            and professional_id != user.professional_id):
        raise Forbidden(
            "Un remplaçant ne facture qu'en son nom : la facture est portée au numéro du "
            "titulaire remplacé selon votre calendrier.",
            code="not_own_invoice",
        )


def check(
    user: SessionUser, permission: Permission, *, on_calendar_day: bool | None = None
) -> None:
    """Raise :class:`Forbidden` unless ``user`` holds ``permission``.

    ``on_calendar_day`` is :func:`replaces_on` for today — asked only of a remplaçant, for a
    permission of :data:`CALENDAR_BOUND` (issue 5/8/12: « a remplaçant can bill only on their
    calendar days »; README: care and billing only on those days).
    """
    if permission not in ROLE_PERMISSIONS[user.role]:
        raise Forbidden(_REFUSALS.get(permission, "Accès refusé."))
    if permission is Permission.SIGN and not user.can_sign:
        raise Forbidden(_REFUSALS[Permission.SIGN])
    if needs_calendar_day(user, permission) and not on_calendar_day:
        doing = ("facturer" if permission in (Permission.BILL, Permission.SIGN)
                 else "accéder aux dossiers des patients et aux règlements")
        raise Forbidden(
            f"Vous ne pouvez {doing} que les jours de remplacement inscrits à votre "
            "calendrier.",
            code="not_a_replacement_day",
        )


def may_read_patients(user: SessionUser | None) -> bool:
    """Does ``user``'s role open patient files (the admin's does not: issue 12)?"""
    return user is not None and Permission.PATIENTS in ROLE_PERMISSIONS[user.role]


def needs_calendar_day(user: SessionUser, permission: Permission) -> bool:
    """Must the remplaçant's calendar hold today for ``user`` to use ``permission``?"""
    return user.role is UserRole.REMPLACANT and permission in CALENDAR_BOUND


# --------------------------------------------------------------------------- README table

_ROLE_NAMES = {UserRole.TITULAIRE: "titulaire", UserRole.REMPLACANT: "remplaçant",
               UserRole.SECRETAIRE: "secrétaire", UserRole.ADMIN: "admin"}
_PERMISSION_NAMES = {
    Permission.PATIENTS: "patient files",
    Permission.PAYMENTS: "payments",
    Permission.BILL: "validate, cancel, lots",
    Permission.SIGN: "sign (CPS log-in)",
    Permission.SETTINGS: "settings, professionals",
    Permission.JOURNAL: "journal",
}


def role_table() -> str:
    """The policy as the Markdown table of the README's « Sécurité » section (a test checks
    that the README holds exactly this table)."""
    columns = list(_PERMISSION_NAMES)
    lines = ["| role | " + " | ".join(_PERMISSION_NAMES[p] for p in columns) + " |",
             "| --- |" + " --- |" * len(columns)]
    for role in UserRole:
        cells = []
        for permission in columns:
            if permission not in ROLE_PERMISSIONS[role]:
                cells.append("no")
            elif role is UserRole.REMPLACANT and permission in CALENDAR_BOUND:
                cells.append("calendar days")
            else:
                cells.append("yes")
        lines.append(f"| {_ROLE_NAMES[role]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
