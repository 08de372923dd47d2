"""Simulated appli carte Vitale (ApCV): QR code and NFC sessions over the test Vitale cards.

The real ApCV is a smartphone application; the billing software reads it by scanning the QR
code the app shows or with the phone laid on an NFC reader, then gets the beneficiaries of the
card (docs/protocols.md §3.5; manuel eS-KAP+ "Appli Carte Vitale – QR Code / – NFC"). Its protocol
is not public, so openfse simulates the phone side here:

* :meth:`SimulatedApcvProvider.show_qr` is what the patient's app displays: a **one-time**
  payload ``OPENFSE-APCV1:<card>:<token>`` (a QR code scanned twice, or made up, is refused);
* :meth:`SimulatedApcvProvider.present_phone` / :meth:`withdraw_phone` play the phone on the
  NFC reader.

Either way :meth:`start_session` returns an :class:`~openfse.domain.cards.ApcvSession` with the
card's beneficiaries, flagged ``adri_required`` (the rights always come from ADRi); while the
session lasts, :meth:`certify` signs invoices as the card itself does (same key).
"""

from __future__ import annotations

import hashlib
import secrets
import threading

from openfse.adapters.cards.errors import (
    ApcvPhoneAbsent,
    ApcvQrRejected,
    ApcvSessionExpired,
    UnknownTestCard,
)
from openfse.adapters.cards.port import ApcvNfc, ApcvQr, ApcvSource
from openfse.domain.cards import ApcvMode, ApcvSession, CardKind, VitaleCard
from openfse.simulators.cards.model import CardCatalog, VitaleChip

__all__ = ["QR_PREFIX", "SimulatedApcvProvider"]

QR_PREFIX = "OPENFSE-APCV1"


class SimulatedApcvProvider:
    """:class:`~openfse.adapters.cards.port.ApcvProvider` over the test Vitale cards."""

    def __init__(self, catalog: CardCatalog | None = None) -> None:
        self.catalog = catalog if catalog is not None else CardCatalog()
        self._pending_qr: dict[str, str] = {}  # token → card name, consumed by a session
        self._phone: str | None = None
        self._sessions: dict[str, str] = {}  # session id → card name
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the phone side

    def show_qr(self, card_name: str) -> str:
        """The QR payload the patient's app shows for this test Vitale card."""
        self._vitale(card_name)
        token = secrets.token_urlsafe(12)
        with self._lock:
            self._pending_qr[token] = card_name
        return f"{QR_PREFIX}:{card_name}:{token}"

    def present_phone(self, card_name: str) -> None:
        """Lay the phone holding this test Vitale card on the NFC reader."""
        self._vitale(card_name)
        with self._lock:
            self._phone = card_name

    def withdraw_phone(self) -> None:
        with self._lock:
            self._phone = None

    # ------------------------------------------------------------------ the port

    def start_session(self, source: ApcvSource) -> ApcvSession:
        card_name: str | None
        if isinstance(source, ApcvQr):
            card_name = self._consume_qr(source.payload)
            mode = ApcvMode.QR
        elif isinstance(source, ApcvNfc):
            with self._lock:
                card_name = self._phone
            if card_name is None:
                raise ApcvPhoneAbsent()
            mode = ApcvMode.NFC
        else:  # pragma: no cover - ApcvSource is a closed union
            raise TypeError(source)
        session = ApcvSession(secrets.token_hex(8), mode, self._vitale(card_name))
        with self._lock:
            self._sessions[session.session_id] = card_name
        return session

    def certify(self, session_id: str, data: bytes) -> bytes:
        with self._lock:
            card_name = self._sessions.get(session_id)
        if card_name is None:
            raise ApcvSessionExpired()
        # The phone holds the card's key: the same chip logic signs.
        chip = VitaleChip(card_name, self._vitale(card_name))
        return chip.sign(hashlib.sha256(data).digest())

    def _consume_qr(self, payload: str) -> str:
        prefix, _, rest = payload.strip().partition(":")
        card_name, _, token = rest.rpartition(":")
        with self._lock:
            # One-time: a replayed or forged QR code finds no pending token.
            expected = self._pending_qr.pop(token, None) if prefix == QR_PREFIX else None
        if expected is None or expected != card_name:
            raise ApcvQrRejected()
        return card_name

    def _vitale(self, card_name: str) -> VitaleCard:
        card = self.catalog.get(card_name)
        if card.kind is not CardKind.VITALE or not isinstance(card.content, VitaleCard):
            vitale_names = [c.name for c in self.catalog.all() if c.kind is CardKind.VITALE]
            raise UnknownTestCard(card_name, vitale_names)
        return card.content
