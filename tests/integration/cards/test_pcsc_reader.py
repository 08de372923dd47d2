"""The PC/SC backend end to end: pyscard → pcscd → vsmartcard-vpcd → openfse's card emulator.

Slot 0 of the virtual reader holds the CPS, slot 1 the carte Vitale, each served by its own
``python -m openfse.simulators.cards.vpcd`` process; pulling a card out = stopping its process.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest
from cards_pcsc_harness import CardHands, PcscRig

from openfse.adapters.cards.errors import (
    CardAbsent,
    CardBlocked,
    CardRemoved,
    PinIncorrect,
    PinRequired,
    WrongCard,
)
from openfse.composition.simulated_cards import SimulatedReader
from openfse.domain.cards import CardKind, KnownPatient, StatusColour
from openfse.services.cards import (
    authenticate_cps,
    read_vitale_with_status,
    sign_with_cps,
    unblock_cps,
)
from openfse.simulators.cards.model import CardCatalog

pytest.importorskip("smartcard", reason="pyscard (extra 'cards') is not installed")

from openfse.adapters.cards.pcsc import PcscCardReader  # noqa: E402

TITULAIRE_KEY = bytes.fromhex("946faa8fc5316139e3e5e34002c672528c31bb528839ca28037849bf077d1c2d")


@pytest.fixture
def reader(pcsc_rig: PcscRig) -> Iterator[PcscCardReader]:
    port = PcscCardReader(pcsc_rig.reader_filter)
    try:
        yield port
    finally:
        port.close()


def test_no_card_then_the_cps_is_read_without_pin(
    reader: PcscCardReader, hands: CardHands
) -> None:
    with pytest.raises(CardAbsent):
        reader.read_cps()
    hands.insert("cps_titulaire", slot=0)
    assert [s.card for s in reader.slots()] == [CardKind.CPS, None]
    assert reader.read_cps() == CardCatalog().get("cps_titulaire").content
    with pytest.raises(WrongCard):
        reader.read_vitale()


def test_wrong_pin_right_pin_and_the_same_signature_as_the_simulator(
    reader: PcscCardReader, hands: CardHands
) -> None:
    hands.insert("cps_titulaire")
    with pytest.raises(PinIncorrect) as caught:
        reader.verify_pin("0000")
    assert caught.value.remaining == 2
    assert reader.pin_tries_left() == 2
    card = authenticate_cps(reader, "1234")
    assert card.nom == "LEGRAND"
    signature = sign_with_cps(reader, b"FSE 000000042")
    expected = hmac.new(
        TITULAIRE_KEY, hashlib.sha256(b"FSE 000000042").digest(), hashlib.sha256
    ).digest()
    assert signature == expected
    simulated = SimulatedReader()
    simulated.insert("cps_titulaire")
    simulated.verify_pin("1234")
    assert simulated.sign(b"FSE 000000042") == signature  # one model, two transports


def test_card_pulled_out_mid_flow_locks_signing(
    reader: PcscCardReader, hands: CardHands
) -> None:
    cps = hands.insert("cps_titulaire")
    reader.verify_pin("1234")
    cps.pull_out()
    with pytest.raises(CardRemoved):
        reader.sign(b"FSE")
    hands.insert("cps_titulaire")  # back in the reader: powered anew, code needed again
    with pytest.raises(PinRequired):
        reader.sign(b"FSE")
    reader.verify_pin("1234")
    assert len(reader.sign(b"FSE")) == 32


def test_card_pulled_and_reinserted_between_pin_and_signature(
    reader: PcscCardReader, hands: CardHands
) -> None:
    cps = hands.insert("cps_titulaire")
    reader.verify_pin("1234")
    cps.pull_out()
    hands.insert("cps_titulaire")
    with pytest.raises(CardRemoved):
        reader.sign(b"FSE")
    with pytest.raises(PinRequired):
        reader.sign(b"FSE")


def test_blocked_card_stays_blocked_across_emulator_restarts_then_unblocks(
    reader: PcscCardReader, hands: CardHands
) -> None:
    cps = hands.insert("cps_infirmier")
    for remaining in (2, 1):
        with pytest.raises(PinIncorrect) as caught:
            reader.verify_pin("0000")
        assert caught.value.remaining == remaining
    with pytest.raises(CardBlocked):
        reader.verify_pin("0000")
    cps.pull_out()
    hands.insert("cps_infirmier")  # same state file: the counter is on the card
    with pytest.raises(CardBlocked):
        reader.verify_pin("2468")
    unblock_cps(reader, "24682468", "1357", "1357")
    reader.verify_pin("1357")
    assert len(reader.sign(b"lot")) == 32


def test_vitale_read_with_colours_through_the_service(
    reader: PcscCardReader, hands: CardHands
) -> None:
    hands.insert("cps_titulaire", slot=0)
    hands.insert("vitale_famille", slot=1)
    expected = CardCatalog().get("vitale_famille").content
    card = reader.read_vitale()
    assert card == expected
    assert card.beneficiaries[1].date_naissance == "19841300"  # lunar date, verbatim
    paul = card.beneficiaries[0]
    known = KnownPatient(
        nir=paul.nir, date_naissance=paul.date_naissance, rang=1, nom="Martin", prenom="Paul",
        qualite="00", nir_individuel=paul.nir_individuel, regime="01", caisse="751",
        centre="9881", code_gestion="10",
    )

    def find_patient(nir: str, birth: str, rang: int) -> KnownPatient | None:
        return known if (nir, birth, rang) == paul.key else None

    reading = read_vitale_with_status(reader, find_patient)
    assert [e.status.colour for e in reading.entries] == [
        StatusColour.GREEN, StatusColour.GREY, StatusColour.GREY, StatusColour.GREY,
    ]
