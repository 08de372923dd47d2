"""The role policy table, pure (openfse.services.access)."""

from __future__ import annotations

import pytest

from openfse.services.access import Forbidden, Permission, check, permission_for
from openfse.services.session_login import LoginMethod, SessionUser
from openfse.store.models import UserRole


def user(role: UserRole, method: LoginMethod = LoginMethod.CPS) -> SessionUser:
    return SessionUser(1, "x", "X", role, method, professional_id=1)


@pytest.mark.parametrize(("method", "path", "permission"), [
    ("POST", "/api/invoices/sign", Permission.SIGN),
    ("POST", "/api/invoices/secure", Permission.SIGN),
    ("POST", "/api/invoices/12/payments", Permission.PAYMENTS),
    ("PUT", "/api/invoices/12/payments/3", Permission.PAYMENTS),
    ("POST", "/api/invoices/preview", Permission.PATIENTS),
    ("POST", "/api/invoices", Permission.BILL),
    ("POST", "/api/invoices/12/cancel", Permission.BILL),
    ("GET", "/api/invoices", Permission.PATIENTS),
    ("GET", "/parametres/amo/3", Permission.SETTINGS),
    ("GET", "/api/organisms/amo", Permission.LOGGED_IN),  # reading a referential
    ("DELETE", "/api/organisms/amo/3", Permission.SETTINGS),
    ("GET", "/professionnels", Permission.LOGGED_IN),
    ("POST", "/professionnels/secretariat", Permission.SETTINGS),
    ("GET", "/journal", Permission.JOURNAL),
    ("GET", "/patients/3", Permission.PATIENTS),
    ("DELETE", "/api/patients/3", Permission.PATIENTS),
    ("GET", "/", Permission.LOGGED_IN),
    ("GET", "/patientsX", Permission.LOGGED_IN),  # a prefix is a whole path segment
])
def test_each_route_needs_its_permission(method: str, path: str, permission: Permission) -> None:
    assert permission_for(method, path) is permission


def test_the_secretariat_prepares_but_neither_bills_nor_signs() -> None:
    secretary = user(UserRole.SECRETAIRE, LoginMethod.PASSWORD)
    check(secretary, Permission.PATIENTS)
    check(secretary, Permission.PAYMENTS)
    for refused in (Permission.BILL, Permission.SIGN, Permission.SETTINGS, Permission.JOURNAL):
        with pytest.raises(Forbidden):
            check(secretary, refused)


def test_the_admin_keeps_the_settings_and_no_patient_file() -> None:
    admin = user(UserRole.ADMIN, LoginMethod.PASSWORD)
    check(admin, Permission.SETTINGS)
    check(admin, Permission.JOURNAL)
    with pytest.raises(Forbidden, match="dossiers des patients"):
        check(admin, Permission.PATIENTS)


def test_signing_needs_the_cps_even_for_the_titulaire() -> None:
    check(user(UserRole.TITULAIRE), Permission.SIGN)
    with pytest.raises(Forbidden, match="CPS"):
        check(user(UserRole.TITULAIRE, LoginMethod.PASSWORD), Permission.SIGN)


def test_the_remplacant_works_in_the_cabinet_only_on_a_calendar_day() -> None:
    # README « Sécurité »: « remplaçant (care and billing, only on the days of his calendar) »
    # (issue 12, finding 12: off his days he read, edited and deleted patient files).
    remplacant = user(UserRole.REMPLACANT)
    check(remplacant, Permission.LOGGED_IN)  # his own preferences, the home page
    cases = (Permission.PATIENTS, Permission.PAYMENTS, Permission.BILL, Permission.SIGN)
    for permission in cases:
        check(remplacant, permission, on_calendar_day=True)
        with pytest.raises(Forbidden) as refused:
            check(remplacant, permission, on_calendar_day=False)
        assert refused.value.code == "not_a_replacement_day"
    with pytest.raises(Forbidden):
        check(remplacant, Permission.SETTINGS, on_calendar_day=True)


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("POST", "/factures/signer", Permission.SIGN),
        ("POST", "/factures/securiser", Permission.SIGN),
        ("POST", "/factures/12/paiements", Permission.PAYMENTS),
        ("POST", "/factures/12/paiements/3/supprimer", Permission.PAYMENTS),
        ("POST", "/factures/supprimer", Permission.BILL),
        ("POST", "/factures/12/annuler", Permission.BILL),
        ("GET", "/factures/12/feuille-de-soins.pdf", Permission.PATIENTS),
        ("POST", "/teletransmission/envoyer", Permission.BILL),
        ("POST", "/api/transmission/send", Permission.BILL),
        ("GET", "/teletransmission", Permission.PATIENTS),
        ("POST", "/facture", Permission.BILL),
        ("POST", "/facture/recapitulatif", Permission.PATIENTS),
        ("POST", "/facture/42/paiement", Permission.PAYMENTS),
    ],
)
def test_invoice_list_and_transmission_routes_need_their_permission(
    method: str, path: str, permission: Permission
) -> None:
    # A secretary may record payments but neither delete/cancel invoices nor send lots.
    assert permission_for(method, path) is permission
