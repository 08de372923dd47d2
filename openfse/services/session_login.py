"""Logging in: the professional with his CPS and code porteur, the staff with a password.

Two ways in (seed 003 « En pratique » — "on place sa CPS dans le lecteur … le code confidentiel de
la CPS est saisi pour s'identifier → la CPS est lue et le logiciel s'ouvre"):

* **CPS** — :func:`login_with_cps` checks the code porteur on the card (3 tries, then blocked:
  :func:`unblock_card`) and finds the professional by the RPPS the card carries. An unknown
  RPPS is not an error: the caller shows the card for review and registration
  (:mod:`openfse.services.professionals`, seed 001 « Si c'est la première fois que la CPS est
  insérée … validez la fiche PS »).
* **password** — for the staff who have no CPS (secrétariat): :func:`login_with_password`, with
  a per-login limit on failures (:class:`LoginThrottle`). Passwords are stored as scrypt hashes
  (:func:`hash_password`).

The web layer keeps the returned :class:`SessionUser` id and login method in its session;
:func:`session_user` reloads it at each request, so a deactivated account stops at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from openfse.adapters.cards.errors import CardError, CardExpired
from openfse.adapters.cards.port import CardAbsent, CardReader, WrongCard
from openfse.domain.cards import CpsCard
from openfse.errors import Conflict, InvalidInput, OpenFSEError
from openfse.services.cards import authenticate_cps, unblock_cps
from openfse.store.journal import JournalAction
from openfse.store.models import AppUser, Professional, ProfessionalKind, UserRole
from openfse.store.uow import UnitOfWork

__all__ = [
    "LOGIN_MAX_FAILURES",
    "AccountDisabled",
    "LOGIN_WINDOW_SECONDS",
    "PASSWORD_MIN_LENGTH",
    "CardChanged",
    "CpsLogin",
    "CpsReaderState",
    "InvalidCredentials",
    "LoginMethod",
    "LoginThrottle",
    "ProfessionalInactive",
    "SessionUser",
    "TooManyAttempts",
    "card_in_reader",
    "check_new_password",
    "cps_reader_state",
    "ensure_user_for",
    "hash_password",
    "login_with_cps",
    "login_with_password",
    "normalize_login",
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


class TooManyAttempts(OpenFSEError):
    code = "too_many_attempts"

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        minutes = max(1, -(-retry_after_seconds // 60))
        super().__init__(
            f"Trop d'essais infructueux pour cet identifiant ({LOGIN_MAX_FAILURES} en "
            f"{LOGIN_WINDOW_SECONDS // 60} minutes) : réessayez dans {minutes} minute"
            f"{'s' if minutes > 1 else ''}.",
            field="login",
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
PASSWORD_MAX_LENGTH = 256  # bounds the hashing work an attacker can ask for


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
        raise InvalidInput(
            f"Le mot de passe ne peut pas dépasser {PASSWORD_MAX_LENGTH} caractères.",
            code="password_too_long",
            field="password",
        )
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

LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 15 * 60


class LoginThrottle:
    """At most ``max_failures`` failed password log-ins per login in a sliding window.

    Held in memory by the running application (one per process); ``now`` is a monotonic
    clock reading in seconds, given by the caller. Logins that do not exist are counted too,
    so that the limit says nothing about which accounts exist.
    """

    _MAX_TRACKED = 10_000  # logins remembered at once (oldest forgotten first)

    def __init__(
        self, max_failures: int = LOGIN_MAX_FAILURES, window_seconds: int = LOGIN_WINDOW_SECONDS
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and now - failures[0] >= self.window_seconds:
            failures.popleft()
        return failures

    def check(self, login: str, now: float) -> None:
        """Raise :class:`TooManyAttempts` while the login is locked."""
        key = login.strip().lower()
        with self._lock:
            failures = self._recent(key, now)
            if len(failures) >= self.max_failures:
                retry_after = int(failures[0] + self.window_seconds - now) + 1
                raise TooManyAttempts(retry_after)

    def record_failure(self, login: str, now: float) -> None:
        key = login.strip().lower()
        with self._lock:
            failures = self._recent(key, now)
            failures.append(now)
            self._failures[key] = failures
            self._failures.move_to_end(key)
            while len(self._failures) > self._MAX_TRACKED:
                self._failures.popitem(last=False)

    def reset(self, login: str) -> None:
        with self._lock:
            self._failures.pop(login.strip().lower(), None)


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
    password. Call inside an open unit of work; the caller commits."""
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
        )
        uow.journal_change(user, JournalAction.CREATE, summary="compte de connexion par CPS")
    elif user.role is not role or not user.active:
        user.role, user.active = role, True
        uow.journal_change(user, JournalAction.UPDATE, summary="compte de connexion par CPS")
    return user


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
        return session_user_of(user, method)


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


def login_with_cps(uow: UnitOfWork, reader: CardReader, pin: str, *, today: date) -> CpsLogin:
    """Start the day with the CPS: code porteur checked by the card (raises the card errors:
    ``PinIncorrect`` with the tries left, ``CardBlocked``, ``CardAbsent``…), then the
    professional found by his RPPS. Raises :class:`ProfessionalInactive` for a deactivated
    remplaçant."""
    card = verify_cps(reader, pin, today=today)
    with uow:
        professional = uow.professionals.by_rpps(card.rpps)
        if professional is None:
            return CpsLogin(card, None)
        if not professional.active:
            raise ProfessionalInactive(professional_display_name(professional))
        user = ensure_user_for(uow, professional)
        uow.commit()
        return CpsLogin(card, session_user_of(user, LoginMethod.CPS))


def unblock_card(reader: CardReader, unblock_code: str, new_pin: str, confirm: str) -> None:
    """Seed 003 « débloquer code »: the 8-character code de déblocage, then the new code
    porteur twice. The new code must then be typed to log in."""
    unblock_cps(reader, unblock_code, new_pin, confirm)


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
    """Read the CPS in the reader without its code (seed 003: the CPS window shows the holder
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
    uow: UnitOfWork, throttle: LoginThrottle, login: str, password: str, *, now: float
) -> SessionUser:
    """Log-in of a staff member. Raises :class:`TooManyAttempts` (checked before the
    password, so a locked login costs no hashing), :class:`InvalidCredentials`,
    :class:`AccountDisabled`."""
    key = login.strip().lower()
    if not key or not password:
        raise InvalidInput(
            "Saisissez votre identifiant et votre mot de passe.",
            code="credentials_required",
            field="login" if not key else "password",
        )
    throttle.check(key, now)
    with uow:
        user = uow.users.by_login(key)
        stored = user.password_hash if user is not None else None
        # An unknown login still pays for one hash: same answer time as a wrong password.
        matches = verify_password(password, stored if stored is not None else _DUMMY_HASH)
        if user is None or stored is None or not matches:
            throttle.record_failure(key, now)
            raise InvalidCredentials()
        if not user.active:
            raise AccountDisabled()
        throttle.reset(key)
        return session_user_of(user, LoginMethod.PASSWORD)

