"""Simulated chips: the card-side rules of openfse's test CPS and Vitale cards.

One model, two transports: the in-process simulator
(:class:`openfse.composition.simulated_cards.SimulatedReader`) and the vpcd emulator
(:mod:`openfse.simulators.cards.vpcd`) both drive these chips through the APDU card
(:mod:`openfse.simulators.cards.apdu`), so the code porteur rules exist once:

* 3 tries for the code porteur, counted **on the card**; a right code resets the counter, the
  third wrong one blocks the card and then even the right code is refused (guide LOGOSw);
* unblocking with the 8-character code de déblocage sets a new code porteur and resets the
  counter; the unblock code has its own counter (10 tries, docs/protocols.md §4.2 [K] — the real
  count is not public) after which the card is unusable (guide LOGOSw);
* the "verified" state lives in the chip's RAM: powering the card down (removal, reset) clears
  it, so signing needs the code porteur again;
* signing is a **simulated** signature: HMAC-SHA256 under a key held by the card, over the
  32-byte digest the host sends (docs/formats/card-apdu.md) — it proves the flow, not a legal
  signature;
* the carte Vitale takes part in securing an invoice the same way, without a code: its key is
  diversified from the issuer's test key and the card's serial number (:func:`vitale_key`), so
  each card signs with its own key and the simulated caisse can recompute it.

The counters and the current code porteur persist in a :class:`CardStateStore` (a JSON file), so
a blocked test card stays blocked when the application restarts. Test cards are described in
YAML files (:class:`CardCatalog`, shipped under ``openfse/simulators/data/cards/``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hmac
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from hashlib import sha256
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml  # type: ignore[import-untyped]

from openfse.adapters.cards.codec import card_from_data
from openfse.adapters.cards.errors import CardContentError, UnknownTestCard
from openfse.domain.cards import (
    PIN_MAX_TRIES,
    CardKind,
    CpsCard,
    InvalidPinFormat,
    InvalidUnblockCodeFormat,
    VitaleCard,
    check_pin_format,
    check_unblock_code_format,
)

__all__ = [
    "UNBLOCK_MAX_TRIES",
    "CardCatalog",
    "CardFile",
    "CardStateStore",
    "Chip",
    "CounterCheck",
    "CpsChip",
    "CpsSecrets",
    "PinBlocked",
    "PinNotVerified",
    "Verdict",
    "VitaleChip",
    "load_card_file",
    "make_chip",
    "shipped_cards_dir",
    "vitale_key",
]

UNBLOCK_MAX_TRIES = 10  # docs/protocols.md §4.2 [K]: the real CPS count is not public

# The simulated issuer's master key of the test cartes Vitale (no secret: test cards only).
# Real cards hold keys diversified from the issuer's by their serial number; ours too.
_VITALE_ISSUER_KEY = b"openfse test Vitale issuer key, no legal value"

T = TypeVar("T")


# --------------------------------------------------------------------------- persistence


class CardStateStore:
    """Chip state (counters, current code porteur) per test card, kept in a JSON file.

    ``path=None`` keeps the state in memory only (each new store starts from the card files).
    Test cards only: the current code porteur is kept in clear, as it is in the card file.
    The file is rewritten atomically under an exclusive lock, so the application and a vpcd
    emulator process may share it.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._memory: dict[str, dict[str, Any]] = {}

    def get(self, card_id: str) -> dict[str, Any] | None:
        if self.path is None:
            state = self._memory.get(card_id)
            return dict(state) if state is not None else None
        with self._locked():
            state = self._read().get(card_id)
        return dict(state) if isinstance(state, dict) else None

    def update(
        self, card_id: str, initial: dict[str, Any], change: Callable[[dict[str, Any]], T]
    ) -> T:
        """Read-modify-write of one card's state under the lock (``initial`` when unknown):
        two processes trying codes on the same card cannot lose a decrement."""
        if self.path is None:
            state = dict(self._memory.get(card_id, initial))
            result = change(state)
            self._memory[card_id] = state
            return result
        with self._locked():
            cards = self._read()
            stored = cards.get(card_id)
            state = dict(stored) if isinstance(stored, dict) else dict(initial)
            result = change(state)
            cards[card_id] = state
            self._write(cards)
        return result

    def forget(self, card_id: str) -> None:
        """Back to the state written in the card file (demo "reset the test card")."""
        if self.path is None:
            self._memory.pop(card_id, None)
            return
        with self._locked():
            cards = self._read()
            if cards.pop(card_id, None) is not None:
                self._write(cards)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise CardContentError(
                f"état des cartes simulées illisible ({self.path}: {exc})"
            ) from None
        cards = data.get("cards") if isinstance(data, dict) else None
        return cards if isinstance(cards, dict) else {}

    def _write(self, cards: dict[str, Any]) -> None:
        assert self.path is not None
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"format": 1, "cards": cards}, out, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


# --------------------------------------------------------------------------- chips


class Verdict(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # wrong code, tries left
    BLOCKED = "blocked"  # counter at zero (now or before)


@dataclass(frozen=True, slots=True)
class CounterCheck:
    verdict: Verdict
    tries_left: int


class PinNotVerified(Exception):
    """The operation needs the code porteur verified in this card session."""


class PinBlocked(Exception):
    """The code porteur counter is at zero."""


@dataclass(frozen=True, slots=True)
class CpsSecrets:
    """What only the chip knows, as written in the test-card file."""

    pin: str
    unblock_code: str
    signing_key: bytes
    pin_tries_left: int = PIN_MAX_TRIES
    unblock_tries_left: int = UNBLOCK_MAX_TRIES


class CpsChip:
    """A CPS chip: code porteur counter, unblock counter, simulated signing key."""

    kind = CardKind.CPS

    def __init__(
        self, card_id: str, content: CpsCard, secrets: CpsSecrets, store: CardStateStore
    ) -> None:
        self.card_id = card_id
        self.content = content
        self._secrets = secrets
        self._store = store
        self._verified = False

    # The persisted state is re-read at each operation: another process (a vpcd emulator of
    # the same card, or a second reader) may have changed it.
    def _initial_state(self) -> dict[str, Any]:
        return {
            "pin": self._secrets.pin,
            "pin_tries_left": self._secrets.pin_tries_left,
            "unblock_tries_left": self._secrets.unblock_tries_left,
        }

    def _state(self) -> dict[str, Any]:
        state = self._store.get(self.card_id)
        return state if state is not None else self._initial_state()

    def power_cycle(self) -> None:
        """Power down / reset: the RAM security state is lost."""
        self._verified = False

    @property
    def verified(self) -> bool:
        return self._verified

    def pin_tries_left(self) -> int:
        return int(self._state()["pin_tries_left"])

    def unblock_tries_left(self) -> int:
        return int(self._state()["unblock_tries_left"])

    def verify_pin(self, pin: str) -> CounterCheck:
        def attempt(state: dict[str, Any]) -> CounterCheck:
            if state["pin_tries_left"] <= 0:
                return CounterCheck(Verdict.BLOCKED, 0)
            if hmac.compare_digest(pin.encode(), str(state["pin"]).encode()):
                state["pin_tries_left"] = PIN_MAX_TRIES
                return CounterCheck(Verdict.ACCEPTED, PIN_MAX_TRIES)
            # Every wrong code costs a try, counted on the card (guide LOGOSw: 3 tries, then
            # blocked).
            state["pin_tries_left"] -= 1
            left = int(state["pin_tries_left"])
            return CounterCheck(Verdict.REJECTED if left else Verdict.BLOCKED, left)

        check = self._store.update(self.card_id, self._initial_state(), attempt)
        self._verified = check.verdict is Verdict.ACCEPTED
        return check

    def unblock(self, unblock_code: str, new_pin: str) -> CounterCheck:
        """Code de déblocage + new code porteur (guide LOGOSw "débloquer code").

        Raises :class:`InvalidPinFormat` when ``new_pin`` is not 4 digits (nothing counted).
        """
        check_pin_format(new_pin)

        def attempt(state: dict[str, Any]) -> CounterCheck:
            if state["unblock_tries_left"] <= 0:
                return CounterCheck(Verdict.BLOCKED, 0)
            if hmac.compare_digest(unblock_code.encode(), self._secrets.unblock_code.encode()):
                state.update(
                    pin=new_pin, pin_tries_left=PIN_MAX_TRIES, unblock_tries_left=UNBLOCK_MAX_TRIES
                )
                return CounterCheck(Verdict.ACCEPTED, UNBLOCK_MAX_TRIES)
            state["unblock_tries_left"] -= 1
            left = int(state["unblock_tries_left"])
            return CounterCheck(Verdict.REJECTED if left else Verdict.BLOCKED, left)

        self._verified = False  # a new code porteur must be verified before signing
        return self._store.update(self.card_id, self._initial_state(), attempt)

    def sign(self, digest: bytes) -> bytes:
        """Simulated signature of a digest: HMAC-SHA256 under the card's key."""
        if self.pin_tries_left() <= 0:
            raise PinBlocked()
        if not self._verified:
            raise PinNotVerified()
        return hmac.new(self._secrets.signing_key, digest, sha256).digest()


def vitale_key(serial: str) -> bytes:
    """The signing key of the test carte Vitale numbered ``serial`` (diversified key)."""
    return hmac.new(_VITALE_ISSUER_KEY, serial.encode("ascii"), sha256).digest()


class VitaleChip:
    """A carte Vitale chip: content readable without a code (docs/protocols.md §4.1), and a key
    that signs the invoices it secures, also without a code (the assuré types none)."""

    kind = CardKind.VITALE

    def __init__(self, card_id: str, content: VitaleCard) -> None:
        self.card_id = card_id
        self.content = content

    def power_cycle(self) -> None:
        """Nothing in RAM to lose."""

    def sign(self, digest: bytes) -> bytes:
        """Simulated signature of a digest: HMAC-SHA256 under this card's own key."""
        return hmac.new(vitale_key(self.content.serial), digest, sha256).digest()


Chip = CpsChip | VitaleChip


# --------------------------------------------------------------------------- card files


@dataclass(frozen=True, slots=True)
class CardFile:
    """A test card as described in its YAML file."""

    name: str
    kind: CardKind
    description: str
    content: CpsCard | VitaleCard
    secrets: CpsSecrets | None = None


def make_chip(card: CardFile, store: CardStateStore) -> Chip:
    if isinstance(card.content, CpsCard):
        assert card.secrets is not None
        return CpsChip(card.name, card.content, card.secrets, store)
    return VitaleChip(card.name, card.content)


_TOP_KEYS = {"kind", "description", "card", "secrets"}
_SECRET_KEYS = {"pin", "unblock_code", "signing_key", "pin_tries_left", "unblock_tries_left"}


def parse_card_file(name: str, text: str) -> CardFile:
    """Read one test-card YAML document; errors name the file and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CardContentError(f"{name} : YAML invalide ({exc})") from None
    if not isinstance(data, dict) or set(data) - _TOP_KEYS or "card" not in data:
        raise CardContentError(f"{name} : clés attendues {', '.join(sorted(_TOP_KEYS))}")
    try:
        kind = CardKind(str(data.get("kind")))
    except ValueError:
        raise CardContentError(f"{name} : kind doit valoir « cps » ou « vitale »") from None
    try:
        content = card_from_data(kind, data["card"])
        secrets = _parse_secrets(data.get("secrets")) if kind is CardKind.CPS else None
    except CardContentError as exc:
        raise CardContentError(f"{name} : {exc.detail}", field=exc.field) from None
    if kind is not CardKind.CPS and "secrets" in data:
        raise CardContentError(f"{name} : seule une CPS porte des secrets")
    return CardFile(name, kind, str(data.get("description", "")), content, secrets)


def _parse_secrets(data: Any) -> CpsSecrets:
    if not isinstance(data, dict) or set(data) - _SECRET_KEYS:
        raise CardContentError(f"secrets : clés attendues {', '.join(sorted(_SECRET_KEYS))}")
    try:
        pin = check_pin_format(str(data.get("pin", "")))
        unblock_code = check_unblock_code_format(str(data.get("unblock_code", "")))
    except (InvalidPinFormat, InvalidUnblockCodeFormat) as exc:
        raise CardContentError(f"secrets : {exc.message}") from None
    try:
        key = bytes.fromhex(str(data.get("signing_key", "")))
    except ValueError:
        key = b""
    if len(key) < 16:
        raise CardContentError("secrets.signing_key : au moins 16 octets en hexadécimal")
    pin_tries = data.get("pin_tries_left", PIN_MAX_TRIES)
    unblock_tries = data.get("unblock_tries_left", UNBLOCK_MAX_TRIES)
    for label, value, maximum in (
        ("pin_tries_left", pin_tries, PIN_MAX_TRIES),
        ("unblock_tries_left", unblock_tries, UNBLOCK_MAX_TRIES),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
            raise CardContentError(f"secrets.{label} : entier de 0 à {maximum} attendu")
    return CpsSecrets(pin, unblock_code, key, pin_tries, unblock_tries)


def load_card_file(path: Path) -> CardFile:
    """A test card from any YAML file (used by the vpcd emulator's ``--card FILE``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CardContentError(f"{path} : lecture impossible ({exc.strerror})") from None
    return parse_card_file(path.stem, text)


def shipped_cards_dir() -> Traversable:
    """The test cards shipped with openfse (package data)."""
    return resources.files("openfse.simulators").joinpath("data", "cards")


class CardCatalog:
    """The test cards of a directory (default: the shipped ones), by name (file stem)."""

    def __init__(self, directory: Traversable | Path | None = None) -> None:
        self._directory = directory if directory is not None else shipped_cards_dir()
        self._cache: dict[str, CardFile] = {}

    def names(self) -> list[str]:
        return sorted(
            entry.name.removesuffix(".yaml")
            for entry in self._directory.iterdir()
            if entry.name.endswith(".yaml") and entry.is_file()
        )

    def get(self, name: str) -> CardFile:
        if name not in self._cache:
            # Only names listed in the directory: a card name never becomes a path.
            if name not in self.names():
                raise UnknownTestCard(name, self.names())
            text = self._directory.joinpath(f"{name}.yaml").read_text(encoding="utf-8")
            self._cache[name] = parse_card_file(name, text)
        return self._cache[name]

    def all(self) -> list[CardFile]:
        return [self.get(name) for name in self.names()]
