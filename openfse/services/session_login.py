"""Logging in: the professional with his CPS and code porteur, the staff with a password.

Two ways in (guide LOGOSw « En pratique » — "on place sa CPS dans le lecteur … le code confidentiel
de la CPS est saisi pour s'identifier → la CPS est lue et le logiciel s'ouvre"):

* **CPS** — :func:`login_with_cps` checks the code porteur on the card (3 tries, then blocked:
  :func:`unblock_card`) and finds the professional by the RPPS the card carries. An unknown
  RPPS is not an error: the caller shows the card for review and registration
  (:mod:`openfse.services.professionals`, manuel eS-KAP+ « Si c'est la première fois que la CPS est
  insérée … validez la fiche PS »).
* **password** — for the staff who have no CPS (secrétariat): :func:`login_with_password`.
  Passwords are stored as scrypt hashes (:func:`hash_password`).

Every try of a password, a code porteur or a code de déblocage is limited per login (or per card)
and per client address, in the database (:mod:`openfse.services.throttle`, issue 12): the code
porteur is presented to the card only after the limits are checked, so a flood of tries cannot
block or exhaust the card.

The web layer opens a server-side session for the returned :class:`SessionUser`
(:mod:`openfse.services.web_sessions`); :func:`session_user` reloads the account at each
request, so a deactivated or still pending account stops at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import exists, select

from openfse.adapters.cards.errors import (
    CardBlocked,
    CardError,
    CardExpired,
    CardUnusable,
    PinIncorrect,
    PukIncorrect,
)
from openfse.adapters.cards.port import CardAbsent, CardReader, WrongCard
from openfse.domain.cards import CpsCard
from openfse.errors import Conflict, InvalidInput, OpenFSEError
from openfse.services import throttle
from openfse.services.cards import authenticate_cps, unblock_cps
from openfse.services.throttle import ThrottleKey, TooManyAttempts
from openfse.store.journal import JournalAction
from openfse.store.models import AppUser, PendingAccess, Professional, ProfessionalKind, UserRole
from openfse.store.uow import UnitOfWork

__all__ = [
    "AccessPending",
    "AccountDisabled",
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "CardChanged",
    "CpsLogin",
    "CpsReaderState",
    "InvalidCredentials",
    "LoginMethod",
    "ProfessionalInactive",
    "SessionUser",
    "TooManyAttempts",
    "card_in_reader",
    "check_new_password",
    "check_not_pending",
    "cps_reader_state",
    "act_as",
    "ensure_user_for",
    "hash_password",
    "is_pending",
    "login_with_cps",
    "login_with_password",
    "normalize_login",
    "present_pin",
    "professional_display_name",
    "prove_card_presence",
    "session_user",
    "session_user_of",
    "unblock_card",
    "verify_cps",
    "verify_password",
]


class LoginMethod(StrEnum):
    CPS = "cps"
    PASSWORD = "password"


ROLE_LABELS = {
    UserRole.TITULAIRE: "titulaire",
    UserRole.REMPLACANT: "remplaçant",
    UserRole.SECRETAIRE: "secrétariat",
    UserRole.ADMIN: "administration",
}


@dataclass(frozen=True, slots=True)
class SessionUser:
    """Who is logged in, and how."""

    user_id: int
    login: str
    display_name: str
    role: UserRole
    method: LoginMethod
    professional_id: int | None = None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def can_sign(self) -> bool:
        # Only a professional signs, with the CPS he logged in with; the secrétariat handles
        # patients and payments but never signs an invoice (issue 5).
        return self.method is LoginMethod.CPS and self.role in (
            UserRole.TITULAIRE,
            UserRole.REMPLACANT,
        )


# --------------------------------------------------------------------------- errors


class InvalidCredentials(OpenFSEError):
    code = "invalid_credentials"

    def __init__(self) -> None:
        # One message whether the login exists or not: the form must not reveal accounts.
        super().__init__("Identifiant ou mot de passe incorrect.", field="password")


class AccessPending(OpenFSEError):
    """A CPS unknown to the cabinet was registered: nothing opens until a titulaire of the
    cabinet approves it (issue 12, finding 3)."""

    code = "access_pending"

    def __init__(self) -> None:
        super().__init__(
            "Votre accès est en attente : un titulaire du cabinet doit l'approuver (Paramètres → "
            "Professionnels de santé) avant votre première connexion.",
        )


class AccountDisabled(OpenFSEError):
    code = "account_disabled"

    def __init__(self) -> None:
        super().__init__(
            "Cet accès a été désactivé : demandez au titulaire du cabinet de le réactiver.",
            field="login",
        )


class ProfessionalInactive(Conflict):
    code = "professional_inactive"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} est désactivé(e) dans ce cabinet : un titulaire doit l'ajouter à nouveau "
            "(« Ajouter remplaçant », avec la confirmation par sa propre CPS)."
        )


class CardChanged(CardError):
    """Another CPS than the one whose code porteur was typed is in the reader."""

    code = "card_changed"

    def __init__(self) -> None:
        super().__init__(
            "La carte CPS a changé depuis la saisie du code porteur : réinsérez la même carte "
            "et saisissez à nouveau son code porteur."
        )


# --------------------------------------------------------------------------- passwords

# scrypt (RFC 7914) from the standard library. OWASP Password Storage Cheat Sheet: "scrypt with
# a minimum CPU/memory cost parameter of (2^17), a minimum block size of 8, and a
# parallelization parameter of 1", or one of its equivalent settings, of which we take
# N=2^14, r=8, p=5: 16 MiB per hash instead of 128 MiB, about a quarter of a second on a
# desk computer. The parameters are stored with each hash, so they can be raised later
# without invalidating existing passwords.
# https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 5
SALT_BYTES = 16
KEY_BYTES = 32
_SCRYPT_MAXMEM = 64 * 1024 * 1024
_SCRYPT_MAX_N = 2**20  # refuse absurd parameters read back from a damaged hash

PASSWORD_MIN_LENGTH = 10
# Bounds the hashing work an attacker can ask for: a longer password is refused before any
# hashing and any database write (README « Sécurité »).
PASSWORD_MAX_LENGTH = 256


def _password_too_long() -> InvalidInput:
    return InvalidInput(
        f"Le mot de passe ne peut pas dépasser {PASSWORD_MAX_LENGTH} caractères.",
        code="password_too_long",
        field="password",
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=_SCRYPT_MAXMEM
    )


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$key`` (salt and key in base64), with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Does ``password`` match the stored hash? Constant-time comparison; a missing or
    malformed hash never matches."""
    if stored is None or len(password) > PASSWORD_MAX_LENGTH:
        return False
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return False
    if not (1 < n <= _SCRYPT_MAX_N and n & (n - 1) == 0 and 0 < r <= 32 and 0 < p <= 16):
        return False
    try:
        key = _scrypt(password, salt, n, r, p)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(key, expected)


# Same work as a real check, for unknown logins: the answer time must not reveal accounts.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def check_new_password(password: str, confirm: str) -> str:
    """A new password: typed twice, at least 10 characters (issue 5)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(
            f"Le mot de passe doit comporter au moins {PASSWORD_MIN_LENGTH} caractères.",
            code="password_too_short",
            field="password",
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise _password_too_long()
    if password != confirm:
        raise InvalidInput(
            "Les deux saisies du mot de passe sont différentes.",
            code="password_mismatch",
            field="confirm",
        )
    return password


# Logins of professionals' accounts are derived from the RPPS ("cps.<rpps>"); the staff
# choose theirs, outside that prefix.
_LOGIN_SHAPE = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
CPS_LOGIN_PREFIX = "cps."


def normalize_login(text: str) -> str:
    """A staff login: 3 to 64 lower-case letters, digits, dots, dashes or underscores."""
    login = text.strip().lower()
    if _LOGIN_SHAPE.fullmatch(login) is None:
        raise InvalidInput(
            "Identifiant invalide : 3 à 64 caractères, lettres sans accent, chiffres, point, "
            "tiret ou souligné (ex. « secretariat » ou « marie.dupont »).",
            code="login_format",
            field="login",
        )
    if login.startswith(CPS_LOGIN_PREFIX):
        raise InvalidInput(
            f"Les identifiants commençant par « {CPS_LOGIN_PREFIX} » sont réservés aux "
            "professionnels (connexion par CPS).",
            code="login_reserved",
            field="login",
        )
    return login


# --------------------------------------------------------------------------- throttling


def _throttle_keys(*pairs: tuple[throttle.Limit, str]) -> tuple[ThrottleKey, ...]:
    return tuple(ThrottleKey(limit, value) for limit, value in pairs)


# --------------------------------------------------------------------------- accounts


def professional_display_name(professional: Professional) -> str:
    """« Dr Pierre LEGRAND » for a médecin or a dentiste, « Claire ROUSSEAU » otherwise."""
    title = "Dr " if professional.profession_code in ("10", "40") else ""
    return f"{title}{professional.first_name.title()} {professional.last_name}".strip()


def session_user_of(user: AppUser, method: LoginMethod) -> SessionUser:
    """The session's view of an account (the caller has authenticated it by ``method``)."""
    return SessionUser(
        user_id=user.id,
        login=user.login,
        display_name=user.display_name,
        role=user.role,
        method=method,
        professional_id=user.professional_id,
    )


def ensure_user_for(uow: UnitOfWork, professional: Professional) -> AppUser:
    """The professional's account, made (and journaled) at his first log-in; card-only: no
    password. Call inside an open unit of work; the caller commits. When nobody is logged
    in yet (a card's first log-in, its registration), the account's making — and what the
    unit of work journals after — is journaled under that account (``act_as``)."""
    user = uow.users.by_professional(professional.id)
    role = (
        UserRole.REMPLACANT
        if professional.kind is ProfessionalKind.REMPLACANT
        else UserRole.TITULAIRE
    )
    if user is None:
        user = AppUser(
            login=f"{CPS_LOGIN_PREFIX}{professional.rpps or professional.id}",
            display_name=professional_display_name(professional),
            role=role,
            password_hash=None,
            professional_id=professional.id,
            cabinet_id=uow.require_cabinet(),
        )
        uow.session.add(user)
        uow.flush()  # its id: its own creation is journaled under it
        act_as(uow, user)
        uow.journal_change(user, JournalAction.CREATE, summary="compte de connexion par CPS")
    elif user.role is not role or not user.active:
        act_as(uow, user)
        user.role, user.active = role, True
        uow.journal_change(user, JournalAction.UPDATE, summary="compte de connexion par CPS")
    return user


def act_as(uow: UnitOfWork, user: AppUser) -> None:
    """Nobody is logged in on ``uow`` (the log-in and registration screens): what it journals
    from now on names the card holder's account ``user`` (login and id), not « anonyme » nor
    the card — the journal names a person (issue 8). A unit of work already acting for a
    logged-in user keeps him."""
    if uow.actor_user_id is None:
        uow.actor, uow.actor_user_id = user.login, user.id


def session_user(uow: UnitOfWork, user_id: int, method: LoginMethod) -> SessionUser | None:
    """The logged-in user as stored now, or None when the account (or its professional) was
    deactivated or deleted since the log-in."""
    with uow:
        user = uow.users.find(user_id)
        if user is None or not user.active:
            return None
        if user.professional_id is not None:
            professional = uow.professionals.find(user.professional_id)
            if professional is None or not professional.active:
                return None
        if is_pending(uow, user.id):
            return None
        return session_user_of(user, method)


def check_not_pending(uow: UnitOfWork, user_id: int) -> None:
    """Raise :class:`AccessPending` while the account awaits a titulaire's approval."""
    with uow:
        if is_pending(uow, user_id):
            raise AccessPending()


def is_pending(uow: UnitOfWork, user_id: int) -> bool:
    """Is the account waiting for a titulaire's approval? Call inside an open unit of work."""
    stmt = select(exists().where(PendingAccess.cabinet_id == uow.require_cabinet(),
                                 PendingAccess.user_id == user_id))
    return bool(uow.session.scalar(stmt))


# --------------------------------------------------------------------------- CPS


@dataclass(frozen=True, slots=True)
class CpsLogin:
    """The outcome of a code porteur accepted by the card."""

    card: CpsCard
    user: SessionUser | None  # None: the RPPS is not registered in this cabinet yet

    @property
    def needs_registration(self) -> bool:
        return self.user is None


def verify_cps(reader: CardReader, pin: str, *, today: date) -> CpsCard:
    """Read the CPS and check its code porteur (no log-in): the first step of a registration
    and the titulaire's confirmation of a remplaçant."""
    return authenticate_cps(reader, pin, today=today)


def login_with_cps(
    uow: UnitOfWork, reader: CardReader, pin: str, *, today: date, client: str, now: datetime
) -> CpsLogin:
    """Start the day with the CPS: code porteur checked by the card (raises the card errors:
    ``PinIncorrect`` with the tries left, ``CardBlocked``, ``CardAbsent``…), then the
    professional found by his RPPS. Raises :class:`ProfessionalInactive` for a deactivated
    remplaçant, :class:`AccessPending` for a card registered but not approved yet, and
    :class:`~openfse.services.throttle.TooManyAttempts` when the card or the client has had
    too many wrong codes lately (the code is then not presented to the card at all)."""
    card = present_pin(uow, reader, pin, today=today, client=client, now=now)
    with uow:
        professional = uow.professionals.by_rpps(card.rpps)
        if professional is None:
            return CpsLogin(card, None)
        if not professional.active:
            raise ProfessionalInactive(professional_display_name(professional))
        user = ensure_user_for(uow, professional)
        if is_pending(uow, user.id):
            raise AccessPending()
        uow.commit()
        return CpsLogin(card, session_user_of(user, LoginMethod.CPS))


def present_pin(
    uow: UnitOfWork, reader: CardReader, pin: str, *, today: date, client: str, now: datetime
) -> CpsCard:
    """The code porteur presented to the card under the limits per card and per client:
    a wrong code counts against both, a right one forgives the card's."""
    card = reader.read_cps()  # which card (raises CardAbsent…): no code presented yet
    keys = _throttle_keys((throttle.CARD_PIN, card.serial), (throttle.CLIENT, client))
    reservation = throttle.reserve(uow, keys, now=now, field="pin")
    try:
        verified = verify_cps(reader, pin, today=today)
    except (PinIncorrect, CardBlocked):
        raise  # a code presented to the card (or to a blocked card): counted
    except BaseException:
        throttle.not_made(uow, reservation)
        raise
    throttle.succeeded(uow, reservation)
    return verified


def unblock_card(
    uow: UnitOfWork, reader: CardReader, unblock_code: str, new_pin: str, confirm: str, *,
    client: str, now: datetime,
) -> None:
    """Guide LOGOSw « débloquer code »: the 8-character code de déblocage, then the new code
    porteur twice. The new code must then be typed to log in. At most
    :data:`~openfse.services.throttle.CARD_UNBLOCK` wrong codes per card (the card allows 10
    in its life, then is unusable for good) and a shared limit per client."""
    card = reader.read_cps()
    keys = _throttle_keys((throttle.CARD_UNBLOCK, card.serial), (throttle.CLIENT, client))
    reservation = throttle.reserve(uow, keys, now=now, field="unblock_code")
    try:
        unblock_cps(reader, unblock_code, new_pin, confirm)
    except (PukIncorrect, CardUnusable):
        raise  # a code de déblocage presented: counted
    except BaseException:
        throttle.not_made(uow, reservation)
        raise
    throttle.succeeded(uow, reservation, also_forgive=_throttle_keys(
        (throttle.CARD_PIN, card.serial)))


def card_in_reader(reader: CardReader) -> CpsCard | None:
    """The CPS in the reader, or None when there is none (a carte Vitale alone counts as none)."""
    try:
        return reader.read_cps()
    except (CardAbsent, WrongCard):
        return None


@dataclass(frozen=True, slots=True)
class CpsReaderState:
    """What the start screen shows about the CPS: the card (readable without its code), the
    code porteur tries left, or why there is nothing to log in with."""

    card: CpsCard | None = None
    tries_left: int | None = None
    problem: CardError | None = None  # no CPS, reader down, card expired or unreadable

    @property
    def blocked(self) -> bool:
        return self.card is not None and self.tries_left == 0

    @property
    def absent(self) -> bool:
        return isinstance(self.problem, CardAbsent | WrongCard)


def cps_reader_state(reader: CardReader, *, today: date) -> CpsReaderState:
    """Read the CPS in the reader without its code (guide LOGOSw: the CPS window shows the holder
    and his situations) and its tries left (« il reste N essais »)."""
    try:
        card = reader.read_cps()
    except CardError as problem:
        return CpsReaderState(problem=problem)
    if card.valid_until is not None and not card.valid_on(today):
        return CpsReaderState(card=card, problem=CardExpired(card.valid_until))
    try:
        tries = reader.pin_tries_left()
    except CardError as problem:
        return CpsReaderState(card=card, problem=problem)
    return CpsReaderState(card=card, tries_left=tries)


def prove_card_presence(reader: CardReader, serial: str) -> CpsCard:
    """The CPS whose code porteur was typed is still in the reader, unlocked.

    The code porteur state lives on the card and is lost when the card leaves the reader, so
    a signature of a challenge succeeds only if this very card stayed in since its code was
    typed: it raises ``CardRemoved`` or ``PinRequired`` otherwise, and :class:`CardChanged`
    when another CPS was put in.
    """
    card = reader.read_cps()
    if card.serial != serial:
        raise CardChanged()
    reader.sign(b"openfse:presence:" + serial.encode("ascii", "replace"))
    return card


# --------------------------------------------------------------------------- password


def login_with_password(
    uow: UnitOfWork, login: str, password: str, *, client: str, now: datetime
) -> SessionUser:
    """Log-in of a staff member. Raises :class:`InvalidInput` for a missing field or a
    password over :data:`PASSWORD_MAX_LENGTH` (before any hashing),
    :class:`~openfse.services.throttle.TooManyAttempts` (checked before the password, so a
    locked login costs no hashing), :class:`InvalidCredentials`, :class:`AccountDisabled`."""
    key = login.strip().lower()
    if not key or not password:
        raise InvalidInput(
            "Saisissez votre identifiant et votre mot de passe.",
            code="credentials_required",
            field="login" if not key else "password",
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise _password_too_long()
    keys = _throttle_keys((throttle.LOGIN, key), (throttle.CLIENT, client))
    reservation = throttle.reserve(uow, keys, now=now, field="login")
    with uow:
        user = uow.users.by_login(key)
        stored = user.password_hash if user is not None else None
        # An unknown login still pays for one hash: same answer time as a wrong password.
        matches = verify_password(password, stored if stored is not None else _DUMMY_HASH)
        if user is None or stored is None or not matches:
            raise InvalidCredentials()  # counted
        session_user = session_user_of(user, LoginMethod.PASSWORD)
        active = user.active
    throttle.succeeded(uow, reservation)
    if not active:
        raise AccountDisabled()
    return session_user
