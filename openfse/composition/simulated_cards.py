"""In-process card reader holding openfse's test cards (demo mode, unit and service tests).

:class:`SimulatedReader` is the real reader logic (:class:`ApduCardReader`) plugged into a
simulated bi-fente terminal whose slots hold emulated chips
(:class:`~openfse.simulators.cards.apdu.ApduCard`). The demo UI and the tests move cards with
:meth:`SimulatedReader.insert` and :meth:`SimulatedReader.remove`; pulling a card powers it
down exactly as in a real reader, so the code porteur must be typed again.

PIN counters persist in the state file given as ``state_file`` (the factory
:func:`openfse.services.cards.make_card_reader` puts it in the data directory), so a blocked
test CPS stays blocked across restarts; without ``state_file`` the state lives in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from openfse.adapters.cards.apdu_reader import ApduCardReader, Channel, ChannelLost
from openfse.adapters.cards.errors import NoFreeSlot
from openfse.domain.cards import CardKind
from openfse.errors import InvalidInput
from openfse.simulators.cards.apdu import ApduCard
from openfse.simulators.cards.model import CardCatalog, CardFile, CardStateStore, make_chip

__all__ = ["DEFAULT_SLOTS", "SimulatedReader", "SimulatedSlots"]

# A bi-fente terminal: the CPS stays in the first slot all day, the patients' cards go in the
# second (guide LOGOSw "On laisse la CPS dans le lecteur toute la journée").
DEFAULT_SLOTS = ("Lecteur simulé 00 00", "Lecteur simulé 00 01")
_PREFERRED_SLOT = {CardKind.CPS: 0, CardKind.VITALE: 1}


@dataclass(eq=False)
class _Slot:
    name: str
    card: ApduCard | None = None
    card_name: str | None = None
    insertion: int = 0  # bumped at each insertion and removal: old channels die


@dataclass(eq=False)
class _SimulatedChannel:
    slot: _Slot
    insertion: int
    closed: bool = field(default=False)

    def alive(self) -> bool:
        return (
            not self.closed and self.slot.insertion == self.insertion and self.slot.card is not None
        )

    def transmit(self, apdu: bytes) -> bytes:
        if not self.alive() or self.slot.card is None:
            raise ChannelLost()
        return self.slot.card.process(apdu)

    def close(self) -> None:
        # Like SCardDisconnect(SCARD_UNPOWER_CARD): releasing the reader powers the card down.
        if self.alive() and self.slot.card is not None:
            self.slot.card.power_off()
        self.closed = True


class SimulatedSlots:
    """The slot bus of the simulated terminal."""

    def __init__(self, names: tuple[str, ...] = DEFAULT_SLOTS) -> None:
        self._slots = [_Slot(name) for name in names]

    def slot_names(self) -> list[str]:
        return [slot.name for slot in self._slots]

    def open(self, slot: str) -> Channel | None:
        target = self._slot(slot)
        if target.card is None:
            return None
        return _SimulatedChannel(target, target.insertion)

    def _slot(self, name: str) -> _Slot:
        for slot in self._slots:
            if slot.name == name:
                return slot
        raise InvalidInput(
            f"Fente inconnue : « {name} » (fentes : {', '.join(self.slot_names())}).", field="slot"
        )

    def insert(self, card: ApduCard, card_name: str, kind: CardKind, slot: str | None) -> str:
        if any(s.card_name == card_name for s in self._slots):
            raise NoFreeSlot(f"La carte « {card_name} » est déjà dans le lecteur.", field="card")
        target = self._choose(kind) if slot is None else self._slot(slot)
        if target.card is not None:
            raise NoFreeSlot(
                f"La fente « {target.name} » contient déjà une carte : retirez-la d'abord.",
                field="slot",
            )
        card.power_on()
        target.card, target.card_name = card, card_name
        target.insertion += 1
        return target.name

    def _choose(self, kind: CardKind) -> _Slot:
        preferred = min(_PREFERRED_SLOT.get(kind, 0), len(self._slots) - 1)
        first = self._slots[preferred]
        for slot in (first, *(s for s in self._slots if s is not first)):
            if slot.card is None:
                return slot
        raise NoFreeSlot("Toutes les fentes du lecteur sont occupées : retirez une carte.")

    def remove(self, card_name: str | None) -> None:
        for slot in self._slots:
            if slot.card is not None and card_name in (None, slot.card_name):
                slot.card.power_off()
                slot.card, slot.card_name = None, None
                slot.insertion += 1

    def inserted(self) -> dict[str, str | None]:
        return {slot.name: slot.card_name for slot in self._slots}


class SimulatedReader(ApduCardReader):
    """A reader of test cards; :meth:`insert` / :meth:`remove` play the user's hands."""

    def __init__(
        self,
        catalog: CardCatalog | None = None,
        *,
        state_file: Path | None = None,
        slot_names: tuple[str, ...] = DEFAULT_SLOTS,
    ) -> None:
        self.catalog = catalog if catalog is not None else CardCatalog()
        self.store = CardStateStore(state_file)
        self._terminal = SimulatedSlots(slot_names)
        super().__init__(self._terminal)

    def available_cards(self) -> list[CardFile]:
        """The test cards that can be inserted."""
        return self.catalog.all()

    def insert(self, card_name: str, slot: str | None = None) -> str:
        """Put a test card in ``slot`` (default: the CPS slot or the patient slot); returns
        the slot used. Raises :class:`UnknownTestCard`, :class:`NoFreeSlot`."""
        card = self.catalog.get(card_name)
        chip = make_chip(card, self.store)
        with self._lock:
            return self._terminal.insert(ApduCard(chip), card_name, card.kind, slot)

    def remove(self, card_name: str | None = None) -> None:
        """Pull a card out (every card when ``card_name`` is ``None``)."""
        with self._lock:
            self._terminal.remove(card_name)

    def inserted(self) -> dict[str, str | None]:
        """Slot name → name of the test card in it."""
        return self._terminal.inserted()

    def reset_card(self, card_name: str) -> None:
        """Give a test card back the counters and code porteur of its file (demo helper)."""
        self.catalog.get(card_name)
        self.store.forget(card_name)
