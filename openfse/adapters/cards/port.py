"""Ports of the card readers: what services may call, whatever the backend.

* :class:`CardReader` — the PC/SC-style reader holding the CPS and the carte Vitale (one or
  more slots). Backends: :class:`~openfse.composition.simulated_cards.SimulatedReader` (in-process
  test cards) and :class:`~openfse.adapters.cards.pcsc.PcscCardReader` (pyscard).
* :class:`ApcvProvider` — the appli carte Vitale (QR code or NFC). Backend:
  :class:`~openfse.adapters.cards.apcv.SimulatedApcvProvider`.

Services receive these and never import a backend; switching backend is configuration
(:func:`openfse.services.cards.make_card_reader`). Every failure is one of the typed errors of
:mod:`openfse.adapters.cards.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from openfse.adapters.cards.errors import (
    ApcvError,
    ApcvPhoneAbsent,
    ApcvQrRejected,
    ApcvSessionExpired,
    CardAbsent,
    CardBlocked,
    CardContentError,
    CardError,
    CardProtocolError,
    CardRemoved,
    CardUnusable,
    CpsRequired,
    InvalidPinFormat,
    InvalidUnblockCodeFormat,
    PinConfirmationMismatch,
    PinIncorrect,
    PinRequired,
    PukIncorrect,
    ReaderUnavailable,
    WrongCard,
)
from openfse.domain.cards import ApcvSession, CardKind, CpsCard, VitaleCard

__all__ = [
    "ApcvError",
    "ApcvNfc",
    "ApcvPhoneAbsent",
    "ApcvProvider",
    "ApcvQr",
    "ApcvQrRejected",
    "ApcvSessionExpired",
    "ApcvSource",
    "CardAbsent",
    "CardBlocked",
    "CardContentError",
    "CardError",
    "CardProtocolError",
    "CardReader",
    "CardRemoved",
    "CardUnusable",
    "CpsRequired",
    "InvalidPinFormat",
    "InvalidUnblockCodeFormat",
    "PinConfirmationMismatch",
    "PinIncorrect",
    "PinRequired",
    "PukIncorrect",
    "ReaderUnavailable",
    "SlotStatus",
    "WrongCard",
]


@dataclass(frozen=True, slots=True)
class SlotStatus:
    """One slot of the reader and what it holds (``None``: empty)."""

    name: str
    card: CardKind | None


class CardReader(Protocol):
    """A card terminal with one or more slots (a "bi-fente" reader holds the CPS and the carte
    Vitale at once, guide LOGOSw "Nouveau lecteur à 3 fentes").

    Operations find the slot holding the right card themselves. The code porteur state lives
    on the card: pulling the CPS out resets it, so :meth:`sign` after a removal raises
    :class:`CardRemoved`, and after re-insertion :class:`PinRequired` until :meth:`verify_pin`
    succeeds again ("removing it locks signing").
    """

    def slots(self) -> list[SlotStatus]:
        """Every slot with the kind of card it holds. Raises :class:`ReaderUnavailable`."""
        ...

    def read_cps(self) -> CpsCard:
        """Holder and situations of the CPS (no code porteur needed).

        Raises :class:`CardAbsent`, :class:`WrongCard`, :class:`CardContentError`.
        """
        ...

    def pin_tries_left(self) -> int:
        """Tries left for the code porteur (0 when the card is blocked)."""
        ...

    def verify_pin(self, pin: str) -> None:
        """Check the code porteur on the CPS; on success signing is unlocked.

        Raises :class:`InvalidPinFormat` (not 4 digits, no try used),
        :class:`PinIncorrect` (``remaining`` ≥ 1), :class:`CardBlocked` (third wrong code, or
        already blocked — even with the right code).
        """
        ...

    def unblock(self, puk: str, new_pin: str, confirm: str) -> None:
        """Unblock the CPS with the code de déblocage and a new code porteur typed twice.

        Raises :class:`InvalidUnblockCodeFormat`, :class:`InvalidPinFormat`,
        :class:`PinConfirmationMismatch` (no try used), :class:`PukIncorrect`,
        :class:`CardUnusable` (unblock tries exhausted). Success resets the PIN counter; the
        new code porteur must then be verified before signing.
        """
        ...

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` with the CPS (simulated signature: see docs/formats/card-apdu.md).

        Raises :class:`PinRequired`, :class:`CardRemoved`, :class:`CardBlocked`,
        :class:`CardAbsent`, :class:`WrongCard`.
        """
        ...

    def read_vitale(self) -> VitaleCard:
        """Beneficiaries, rights, AMC and AT of the carte Vitale.

        Raises :class:`CardAbsent`, :class:`WrongCard`, :class:`CardContentError`.
        """
        ...

    def certify_vitale(self, data: bytes) -> bytes:
        """The carte Vitale's signature of ``data`` (its part in securing an invoice; no code:
        simulated signature, docs/formats/card-apdu.md §4).

        Raises :class:`CardAbsent`, :class:`WrongCard`, :class:`CardRemoved`.
        """
        ...

    def close(self) -> None:
        """Release the reader (the cards are powered down: the code porteur state is lost)."""
        ...


@dataclass(frozen=True, slots=True)
class ApcvQr:
    """The QR code the patient's appli carte Vitale shows, as the camera decoded it."""

    payload: str


@dataclass(frozen=True, slots=True)
class ApcvNfc:
    """The patient's phone laid on the NFC reader."""


ApcvSource = ApcvQr | ApcvNfc


class ApcvProvider(Protocol):
    """The appli carte Vitale service (docs/protocols.md §3.5)."""

    def start_session(self, source: ApcvSource) -> ApcvSession:
        """Open a session and return the beneficiaries, like a card read; the session is
        marked ``adri_required`` (rights always come from ADRi for the ApCV).

        Raises :class:`ApcvQrRejected`, :class:`ApcvPhoneAbsent`.
        """
        ...

    def certify(self, session_id: str, data: bytes) -> bytes:
        """The signature of ``data`` by the carte Vitale of the session: the appli's part in
        securing an invoice, as the card's (:meth:`CardReader.certify_vitale`).

        Raises :class:`ApcvSessionExpired`.
        """
        ...
