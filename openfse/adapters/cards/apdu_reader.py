"""The card reader logic, once, over any APDU transport.

:class:`ApduCardReader` implements the :class:`~openfse.adapters.cards.port.CardReader` port by
speaking openfse's APDU profile (:mod:`openfse.adapters.cards.apdu_profile`) to whatever card
sits in the slots of a :class:`SlotBus`. The two backends only differ by their bus:

* the simulator plugs the in-process card emulator in (:mod:`openfse.composition.simulated_cards`);
* the PC/SC backend plugs pyscard in (:mod:`openfse.adapters.cards.pcsc`).

So the status-word → error mapping, the code porteur session and the "card pulled out" rule
are written here and exercised by the fast unit tests of the simulator, and the PC/SC
integration tests only prove the transport.

Code porteur session: the card keeps the "PIN verified" state in RAM and loses it when it is
powered down (removal, reset). The reader remembers on which channel the PIN was verified; if
that channel dies, the next :meth:`ApduCardReader.sign` raises :class:`CardRemoved` once, and
after that :class:`PinRequired` until the code porteur is verified again.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import NoReturn, Protocol, TypeVar

from openfse.adapters.cards import apdu_profile as p
from openfse.adapters.cards.codec import card_from_json
from openfse.adapters.cards.errors import (
    CardAbsent,
    CardBlocked,
    CardProtocolError,
    CardRemoved,
    CardUnusable,
    PinIncorrect,
    PinRequired,
    PukIncorrect,
    WrongCard,
)
from openfse.adapters.cards.port import SlotStatus
from openfse.domain.cards import (
    PIN_MAX_TRIES,
    CardKind,
    CpsCard,
    VitaleCard,
    check_new_pin,
    check_pin_format,
    check_unblock_code_format,
)

__all__ = ["ApduCardReader", "Channel", "ChannelLost", "SlotBus"]

T = TypeVar("T")

_APPLICATIONS = ((CardKind.CPS, p.AID_CPS), (CardKind.VITALE, p.AID_VITALE))
_AIDS = dict(_APPLICATIONS)


class ChannelLost(Exception):
    """The card left its slot (or was reset) under an open channel."""


class Channel(Protocol):
    """An open connection to the card in one slot."""

    def transmit(self, apdu: bytes) -> bytes:
        """Send a command APDU, return the response APDU. Raises :class:`ChannelLost`."""
        ...

    def alive(self) -> bool:
        """Is it still the same card, powered since the channel was opened?"""
        ...

    def close(self) -> None: ...


class SlotBus(Protocol):
    """The slots of a reader and a way to open a channel to the card in one of them."""

    def slot_names(self) -> list[str]:
        """Raises :class:`~openfse.adapters.cards.errors.ReaderUnavailable`."""
        ...

    def open(self, slot: str) -> Channel | None:
        """A channel to the card in ``slot``, or ``None`` when the slot is empty."""
        ...


@dataclass(eq=False)
class _Link:
    slot: str
    channel: Channel
    kind: CardKind


class ApduCardReader:
    """:class:`~openfse.adapters.cards.port.CardReader` over a :class:`SlotBus`."""

    def __init__(self, bus: SlotBus) -> None:
        self._bus = bus
        self._links: dict[str, _Link] = {}
        self._pin_link: _Link | None = None  # channel on which the code porteur was verified
        self._pin_lost = False  # that channel died: the next sign() reports the removal
        self._lock = threading.RLock()  # one APDU dialogue at a time (web workers share us)

    # ------------------------------------------------------------------ the port

    def slots(self) -> list[SlotStatus]:
        with self._lock:
            return [SlotStatus(name, self._probe(name)) for name in self._bus.slot_names()]

    def read_cps(self) -> CpsCard:
        card = self._read_content(CardKind.CPS)
        assert isinstance(card, CpsCard)
        return card

    def read_vitale(self) -> VitaleCard:
        card = self._read_content(CardKind.VITALE)
        assert isinstance(card, VitaleCard)
        return card

    def pin_tries_left(self) -> int:
        def query(link: _Link) -> int:
            self._select_application(link)
            _, sw = self._exchange(link, p.command(p.INS_VERIFY, 0x00, p.P2_PIN_REFERENCE))
            if sw == p.SW_OK:  # already verified: a success reset the counter to its maximum
                return PIN_MAX_TRIES
            if sw == p.SW_AUTH_BLOCKED:
                return 0
            left = p.tries_left(sw)
            if left is None:
                _unexpected("VERIFY (état)", sw)
            return left

        return self._with_card(CardKind.CPS, query)

    def verify_pin(self, pin: str) -> None:
        check_pin_format(pin)  # a typing slip must not cost one of the 3 tries

        def verify(link: _Link) -> None:
            self._pin_lost = False
            self._select_application(link)
            apdu = p.command(p.INS_VERIFY, 0x00, p.P2_PIN_REFERENCE, pin.encode("ascii"))
            _, sw = self._exchange(link, apdu)
            if sw == p.SW_OK:
                self._pin_link = link
                return
            self._pin_link = None  # a failed VERIFY clears the card's security state
            left = p.tries_left(sw)
            if left:
                raise PinIncorrect(left)
            if left == 0 or sw == p.SW_AUTH_BLOCKED:
                raise CardBlocked()
            _unexpected("VERIFY", sw)

        self._with_card(CardKind.CPS, verify)

    def unblock(self, puk: str, new_pin: str, confirm: str) -> None:
        # Format and confirmation are checked first: no unblock try is spent on a typo.
        check_unblock_code_format(puk)
        check_new_pin(new_pin, confirm)

        def reset_retry_counter(link: _Link) -> None:
            self._select_application(link)
            apdu = p.command(
                p.INS_RESET_RETRY_COUNTER,
                p.P1_RESET_CODE_AND_PIN,
                p.P2_PIN_REFERENCE,
                puk.encode("ascii") + new_pin.encode("ascii"),
            )
            _, sw = self._exchange(link, apdu)
            self._pin_link = None  # the new code porteur must be verified before signing
            if sw == p.SW_OK:
                return
            left = p.tries_left(sw)
            if left:
                raise PukIncorrect(left)
            if left == 0 or sw == p.SW_AUTH_BLOCKED:
                raise CardUnusable()
            _unexpected("RESET RETRY COUNTER", sw)

        self._with_card(CardKind.CPS, reset_retry_counter)

    def sign(self, data: bytes) -> bytes:
        # The host hashes, the card signs the 32-byte digest (as with a real CPS key).
        digest = hashlib.sha256(data).digest()
        with self._lock:
            link = self._pin_link
            if link is not None and not link.channel.alive():
                self._forget(link)
            if self._pin_lost:
                self._pin_lost = False
                raise CardRemoved()
            if link is None:
                link = self._find(CardKind.CPS)
            apdu = p.command(p.INS_INTERNAL_AUTHENTICATE, 0x00, 0x00, digest, p.SIGNATURE_LENGTH)
            signature, sw = self._exchange(link, apdu)
            if sw == p.SW_OK and len(signature) == p.SIGNATURE_LENGTH:
                return signature
            if sw == p.SW_SECURITY_NOT_SATISFIED:
                self._pin_link = None
                raise PinRequired()
            if sw == p.SW_AUTH_BLOCKED:
                raise CardBlocked()
            _unexpected("INTERNAL AUTHENTICATE", sw)

    def certify_vitale(self, data: bytes) -> bytes:
        # The carte Vitale's part in securing an invoice: it signs the digest, no code needed.
        digest = hashlib.sha256(data).digest()

        def authenticate(link: _Link) -> bytes:
            self._select_application(link)
            apdu = p.command(p.INS_INTERNAL_AUTHENTICATE, 0x00, 0x00, digest, p.SIGNATURE_LENGTH)
            signature, sw = self._exchange(link, apdu)
            if sw == p.SW_OK and len(signature) == p.SIGNATURE_LENGTH:
                return signature
            _unexpected("INTERNAL AUTHENTICATE (Vitale)", sw)

        return self._with_card(CardKind.VITALE, authenticate)

    def close(self) -> None:
        with self._lock:
            for link in list(self._links.values()):
                link.channel.close()
            self._links.clear()
            self._pin_link = None
            self._pin_lost = False

    def __enter__(self) -> ApduCardReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ slots and links

    def _with_card(self, kind: CardKind, operation: Callable[[_Link], T]) -> T:
        with self._lock:
            return operation(self._find(kind))

    def _find(self, kind: CardKind) -> _Link:
        """The link to the first slot holding a ``kind`` card."""
        found: list[CardKind] = []
        for name in self._bus.slot_names():
            present = self._probe(name)
            if present is kind:
                return self._links[name]
            if present is not None:
                found.append(present)
        if found:
            raise WrongCard(kind, found[0])
        raise CardAbsent(kind)

    def _probe(self, slot: str) -> CardKind | None:
        """Kind of card in ``slot``; reuses a live channel, opens one for a new card."""
        link = self._links.get(slot)
        if link is not None:
            if link.channel.alive():
                return link.kind
            self._forget(link)
        channel = self._bus.open(slot)
        if channel is None:
            return None
        try:
            kind = _identify(channel)
        except ChannelLost:
            return None
        self._links[slot] = _Link(slot, channel, kind)
        return kind

    def _forget(self, link: _Link) -> None:
        if self._links.get(link.slot) is link:
            del self._links[link.slot]
        link.channel.close()
        if link is self._pin_link:
            self._pin_link = None
            self._pin_lost = True

    def _exchange(self, link: _Link, apdu: bytes) -> tuple[bytes, int]:
        try:
            response = link.channel.transmit(apdu)
        except ChannelLost:
            self._forget(link)
            raise CardRemoved() from None
        try:
            return p.split_response(response)
        except p.MalformedApdu as exc:
            raise CardProtocolError(str(exc)) from None

    # ------------------------------------------------------------------ card content

    def _select_application(self, link: _Link) -> None:
        _, sw = self._exchange(link, p.select_aid(_AIDS[link.kind]))
        if sw != p.SW_OK:
            _unexpected("SELECT application", sw)

    def _read_content(self, kind: CardKind) -> CpsCard | VitaleCard:
        def read(link: _Link) -> CpsCard | VitaleCard:
            self._select_application(link)
            _, sw = self._exchange(link, p.select_file(p.EF_CONTENT))
            if sw != p.SW_OK:
                _unexpected("SELECT fichier", sw)
            return card_from_json(kind, self._read_tlv_file(link))

        return self._with_card(kind, read)

    def _read_tlv_file(self, link: _Link) -> bytes:
        """READ BINARY chunks until the TLV the file holds is complete; returns its value."""
        content = self._read_chunk(link, 0, p.SHORT_LE_MAX)
        try:
            header, length = p.tlv_length(content)
        except p.MalformedApdu as exc:
            raise CardProtocolError(f"fichier de contenu : {exc}") from None
        total = header + length
        while len(content) < total:
            chunk = self._read_chunk(link, len(content), min(p.SHORT_LE_MAX, total - len(content)))
            if not chunk:
                raise CardProtocolError("fichier de contenu tronqué")
            content += chunk
        return content[header:total]

    def _read_chunk(self, link: _Link, offset: int, length: int) -> bytes:
        data, sw = self._exchange(link, p.read_binary(offset, length))
        if sw not in (p.SW_OK, p.SW_END_OF_FILE):
            _unexpected("READ BINARY", sw)
        return data


def _identify(channel: Channel) -> CardKind:
    """Which of our applications the card answers to (SELECT by AID)."""
    for kind, aid in _APPLICATIONS:
        try:
            _, sw = p.split_response(channel.transmit(p.select_aid(aid)))
        except p.MalformedApdu:
            return CardKind.UNKNOWN
        if sw == p.SW_OK:
            return kind
    return CardKind.UNKNOWN


def _unexpected(step: str, sw: int) -> NoReturn:
    raise CardProtocolError(f"{step} : statut {sw:04X} inattendu")
