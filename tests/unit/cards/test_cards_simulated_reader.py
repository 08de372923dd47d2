"""Every failure mode of the card reader port, on the in-process simulator.

The simulator runs the same reader logic as the PC/SC backend (ApduCardReader), so these
tests cover the status-word mapping and the code porteur session of both.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from openfse.adapters.cards.errors import (
    CardAbsent,
    CardBlocked,
    CardRemoved,
    CardUnusable,
    InvalidPinFormat,
    InvalidUnblockCodeFormat,
    NoFreeSlot,
    PinConfirmationMismatch,
    PinIncorrect,
    PinRequired,
    PukIncorrect,
    UnknownTestCard,
    WrongCard,
)
from openfse.adapters.cards.port import CardReader, SlotStatus
from openfse.composition.simulated_cards import SimulatedReader
from openfse.domain.cards import CardKind
from openfse.errors import InvalidInput
from openfse.simulators.cards.model import CardCatalog, vitale_key

TITULAIRE_KEY = bytes.fromhex("946faa8fc5316139e3e5e34002c672528c31bb528839ca28037849bf077d1c2d")


def expected_signature(data: bytes, key: bytes = TITULAIRE_KEY) -> bytes:
    # Simulated signature (docs/formats/card-apdu.md §4): HMAC-SHA256(key, SHA-256(data)).
    return hmac.new(key, hashlib.sha256(data).digest(), hashlib.sha256).digest()


def test_the_simulator_satisfies_the_port(reader: SimulatedReader) -> None:
    port: CardReader = reader
    assert port.slots() == [
        SlotStatus("Lecteur simulé 00 00", None),
        SlotStatus("Lecteur simulé 00 01", None),
    ]


# --------------------------------------------------------------------------- presence


def test_no_card_is_card_absent(reader: SimulatedReader) -> None:
    with pytest.raises(CardAbsent) as caught:
        reader.read_cps()
    assert caught.value.code == "card_absent"
    assert "insérez la carte CPS" in caught.value.message
    with pytest.raises(CardAbsent):
        reader.read_vitale()
    with pytest.raises(CardAbsent):
        reader.verify_pin("1234")
    with pytest.raises(CardAbsent):
        reader.sign(b"x")


def test_reading_a_vitale_with_only_a_cps_is_wrong_card(cps_reader: SimulatedReader) -> None:
    with pytest.raises(WrongCard) as caught:
        cps_reader.read_vitale()
    assert (caught.value.expected, caught.value.found) == (CardKind.VITALE, CardKind.CPS)
    assert caught.value.message == (
        "Carte Vitale attendue : la carte présente dans le lecteur est une carte CPS."
    )


def test_asking_the_pin_of_a_vitale_card_is_wrong_card(reader: SimulatedReader) -> None:
    reader.insert("vitale_famille")
    with pytest.raises(WrongCard):
        reader.verify_pin("1234")
    with pytest.raises(WrongCard):
        reader.read_cps()


def test_bi_fente_reader_holds_the_cps_and_the_vitale(reader: SimulatedReader) -> None:
    assert reader.insert("vitale_famille") == "Lecteur simulé 00 01"
    assert reader.insert("cps_titulaire") == "Lecteur simulé 00 00"
    assert [s.card for s in reader.slots()] == [CardKind.CPS, CardKind.VITALE]
    assert reader.read_cps().nom == "LEGRAND"
    assert len(reader.read_vitale().beneficiaries) == 4
    assert reader.inserted() == {
        "Lecteur simulé 00 00": "cps_titulaire",
        "Lecteur simulé 00 01": "vitale_famille",
    }


def test_slots_are_physical(reader: SimulatedReader) -> None:
    reader.insert("cps_titulaire")
    with pytest.raises(NoFreeSlot):
        reader.insert("cps_titulaire")  # the same card cannot be in two slots
    with pytest.raises(NoFreeSlot):
        reader.insert("vitale_c2s", slot="Lecteur simulé 00 00")
    reader.insert("vitale_c2s")
    with pytest.raises(NoFreeSlot):
        reader.insert("vitale_ald")  # both slots busy
    with pytest.raises(UnknownTestCard):
        reader.insert("carte_bancaire")
    with pytest.raises(InvalidInput):
        reader.insert("vitale_ald", slot="Fente 3")
    reader.remove()
    assert reader.inserted() == {"Lecteur simulé 00 00": None, "Lecteur simulé 00 01": None}


def test_the_cps_reads_without_code_porteur(cps_reader: SimulatedReader) -> None:
    card = cps_reader.read_cps()
    assert card.display_name == "Monsieur LEGRAND PIERRE"
    assert [s.numero_facturation for s in card.situations] == ["75100012", "92100034"]
    assert cps_reader.pin_tries_left() == 3


def test_the_vitale_content_is_read_as_written(reader: SimulatedReader,
                                               catalog: CardCatalog) -> None:
    reader.insert("vitale_famille")
    assert reader.read_vitale() == catalog.get("vitale_famille").content
    assert reader.read_vitale().beneficiaries[1].date_naissance == "19841300"  # lunar, verbatim


# --------------------------------------------------------------------------- code porteur


def test_one_wrong_code_leaves_two_tries(cps_reader: SimulatedReader) -> None:
    with pytest.raises(PinIncorrect) as caught:
        cps_reader.verify_pin("0000")
    assert caught.value.remaining == 2
    assert caught.value.message == (
        "Code porteur erroné : il reste 2 essais avant le blocage de la carte."
    )
    assert cps_reader.pin_tries_left() == 2


def test_three_wrong_codes_block_and_the_right_one_is_then_refused(
    cps_reader: SimulatedReader,
) -> None:
    remaining = []
    for _ in range(2):
        with pytest.raises(PinIncorrect) as caught:
            cps_reader.verify_pin("0000")
        remaining.append(caught.value.remaining)
    assert remaining == [2, 1]
    with pytest.raises(CardBlocked):
        cps_reader.verify_pin("0000")  # third wrong code
    with pytest.raises(CardBlocked) as blocked:
        cps_reader.verify_pin("1234")  # right code, too late
    assert blocked.value.code == "card_blocked"
    assert cps_reader.pin_tries_left() == 0
    with pytest.raises(CardBlocked):
        cps_reader.sign(b"x")


def test_the_right_code_resets_the_counter(cps_reader: SimulatedReader) -> None:
    with pytest.raises(PinIncorrect):
        cps_reader.verify_pin("0000")
    cps_reader.verify_pin("1234")
    assert cps_reader.pin_tries_left() == 3
    with pytest.raises(PinIncorrect) as caught:
        cps_reader.verify_pin("0000")
    assert caught.value.remaining == 2


@pytest.mark.parametrize("typo", ["123", "12345", "12a4", ""])
def test_a_malformed_code_costs_no_try(cps_reader: SimulatedReader, typo: str) -> None:
    with pytest.raises(InvalidPinFormat):
        cps_reader.verify_pin(typo)
    assert cps_reader.pin_tries_left() == 3


# --------------------------------------------------------------------------- unblocking


@pytest.fixture
def blocked_reader(reader: SimulatedReader) -> SimulatedReader:
    """The shipped blocked CPS (old code 1111, code de déblocage 87654321)."""
    reader.insert("cps_bloquee")
    return reader


def test_the_blocked_card_is_blocked_from_the_start(blocked_reader: SimulatedReader) -> None:
    assert blocked_reader.pin_tries_left() == 0
    with pytest.raises(CardBlocked):
        blocked_reader.verify_pin("1111")


def test_wrong_unblock_code_counts_down_its_own_tries(blocked_reader: SimulatedReader) -> None:
    with pytest.raises(PukIncorrect) as caught:
        blocked_reader.unblock("00000000", "2580", "2580")
    assert caught.value.remaining == 9
    assert caught.value.message == "Code de déblocage erroné : il reste 9 essais."
    with pytest.raises(CardBlocked):
        blocked_reader.verify_pin("1111")


def test_mismatched_confirmation_costs_no_unblock_try(blocked_reader: SimulatedReader) -> None:
    with pytest.raises(PinConfirmationMismatch):
        blocked_reader.unblock("87654321", "2580", "2850")
    with pytest.raises(InvalidUnblockCodeFormat):
        blocked_reader.unblock("8765432", "2580", "2580")
    with pytest.raises(InvalidPinFormat):
        blocked_reader.unblock("87654321", "258", "258")
    # Still 9 unblock tries after one wrong code: none of the above reached the card.
    with pytest.raises(PukIncorrect) as caught:
        blocked_reader.unblock("00000000", "2580", "2580")
    assert caught.value.remaining == 9


def test_unblock_sets_the_new_code_and_resets_the_counter(
    blocked_reader: SimulatedReader,
) -> None:
    with pytest.raises(PukIncorrect):
        blocked_reader.unblock("00000000", "2580", "2580")
    blocked_reader.unblock("87654321", "2580", "2580")
    assert blocked_reader.pin_tries_left() == 3
    with pytest.raises(PinRequired):
        blocked_reader.sign(b"x")  # unblocking does not verify the new code
    with pytest.raises(PinIncorrect) as caught:
        blocked_reader.verify_pin("1111")  # the old code is gone
    assert caught.value.remaining == 2
    blocked_reader.verify_pin("2580")
    assert len(blocked_reader.sign(b"x")) == 32
    # The unblock counter was reset too: a wrong code now leaves 9 tries again.
    with pytest.raises(PukIncorrect) as again:
        blocked_reader.unblock("00000000", "1357", "1357")
    assert again.value.remaining == 9


def test_three_wrong_pins_then_unblock_then_sign(cps_reader: SimulatedReader) -> None:
    for _ in range(2):
        with pytest.raises(PinIncorrect):
            cps_reader.verify_pin("9999")
    with pytest.raises(CardBlocked):
        cps_reader.verify_pin("9999")
    cps_reader.unblock("12345678", "4242", "4242")
    cps_reader.verify_pin("4242")
    assert cps_reader.sign(b"lot 001") != b""


def test_exhausting_the_unblock_code_makes_the_card_unusable(
    blocked_reader: SimulatedReader,
) -> None:
    for remaining in range(9, 0, -1):
        with pytest.raises(PukIncorrect) as caught:
            blocked_reader.unblock("00000000", "2580", "2580")
        assert caught.value.remaining == remaining
    with pytest.raises(CardUnusable):
        blocked_reader.unblock("00000000", "2580", "2580")  # tenth wrong code
    with pytest.raises(CardUnusable) as caught_final:
        blocked_reader.unblock("87654321", "2580", "2580")  # right code, too late
    assert "CPAM" in caught_final.value.message


# --------------------------------------------------------------------------- signing session


def test_signing_needs_the_code_porteur(cps_reader: SimulatedReader) -> None:
    with pytest.raises(PinRequired) as caught:
        cps_reader.sign(b"FSE")
    assert caught.value.code == "pin_required"
    cps_reader.verify_pin("1234")
    assert cps_reader.sign(b"FSE") == expected_signature(b"FSE")
    assert cps_reader.sign(b"FSE 2") == expected_signature(b"FSE 2")


def test_card_pulled_between_pin_and_signature(cps_reader: SimulatedReader) -> None:
    cps_reader.verify_pin("1234")
    cps_reader.remove("cps_titulaire")
    with pytest.raises(CardRemoved) as caught:
        cps_reader.sign(b"FSE")
    assert caught.value.code == "card_removed"
    with pytest.raises(CardAbsent):
        cps_reader.sign(b"FSE")  # removal reported once; now simply no card


def test_reinserted_card_requires_the_code_porteur_again(cps_reader: SimulatedReader) -> None:
    cps_reader.verify_pin("1234")
    cps_reader.remove()
    cps_reader.insert("cps_titulaire")
    with pytest.raises(CardRemoved):
        cps_reader.sign(b"FSE")  # the card left the reader since the code was typed
    with pytest.raises(PinRequired):
        cps_reader.sign(b"FSE")
    cps_reader.verify_pin("1234")
    assert cps_reader.sign(b"FSE") == expected_signature(b"FSE")


def test_removal_seen_by_a_slot_scan_is_still_reported_at_signing(
    cps_reader: SimulatedReader,
) -> None:
    cps_reader.verify_pin("1234")
    cps_reader.remove()
    cps_reader.insert("cps_titulaire")
    assert cps_reader.read_cps().nom == "LEGRAND"  # reading needs no PIN: works at once
    with pytest.raises(CardRemoved):
        cps_reader.sign(b"FSE")


def test_swapping_for_another_cps_does_not_carry_the_session(reader: SimulatedReader) -> None:
    reader.insert("cps_titulaire")
    reader.verify_pin("1234")
    reader.remove()
    reader.insert("cps_remplacant")
    with pytest.raises(CardRemoved):
        reader.sign(b"FSE")
    reader.verify_pin("4321")
    assert reader.read_cps().situations[0].remplacant


def test_pulling_the_vitale_does_not_lock_signing(reader: SimulatedReader) -> None:
    reader.insert("cps_titulaire")
    reader.insert("vitale_famille")
    reader.verify_pin("1234")
    reader.remove("vitale_famille")
    assert reader.sign(b"FSE") == expected_signature(b"FSE")


def test_closing_the_reader_powers_the_cards_down(cps_reader: SimulatedReader) -> None:
    with cps_reader as port:
        port.verify_pin("1234")
    with pytest.raises(PinRequired):
        cps_reader.sign(b"FSE")


# --------------------------------------------------------------------------- persistence


def test_a_blocked_card_stays_blocked_across_restarts(
    catalog: CardCatalog, state_file: Path
) -> None:
    first = SimulatedReader(catalog, state_file=state_file)
    first.insert("cps_titulaire")
    for _ in range(2):
        with pytest.raises(PinIncorrect):
            first.verify_pin("0000")
    with pytest.raises(CardBlocked):
        first.verify_pin("0000")
    first.close()

    restarted = SimulatedReader(catalog, state_file=state_file)
    restarted.insert("cps_titulaire")
    assert restarted.pin_tries_left() == 0
    with pytest.raises(CardBlocked):
        restarted.verify_pin("1234")


def test_a_new_code_porteur_survives_a_restart(catalog: CardCatalog, state_file: Path) -> None:
    first = SimulatedReader(catalog, state_file=state_file)
    first.insert("cps_bloquee")
    first.unblock("87654321", "2580", "2580")
    restarted = SimulatedReader(catalog, state_file=state_file)
    restarted.insert("cps_bloquee")
    restarted.verify_pin("2580")


def test_without_state_file_counters_live_in_memory(catalog: CardCatalog) -> None:
    volatile = SimulatedReader(catalog)
    volatile.insert("cps_titulaire")
    with pytest.raises(PinIncorrect):
        volatile.verify_pin("0000")
    other = SimulatedReader(catalog)
    other.insert("cps_titulaire")
    assert other.pin_tries_left() == 3


def test_reset_card_restores_the_file_state(blocked_reader: SimulatedReader) -> None:
    blocked_reader.unblock("87654321", "2580", "2580")
    assert blocked_reader.pin_tries_left() == 3
    blocked_reader.reset_card("cps_bloquee")
    assert blocked_reader.pin_tries_left() == 0  # back to the file: blocked, old code


def test_the_state_file_is_json_keyed_by_card(cps_reader: SimulatedReader,
                                              state_file: Path) -> None:
    with pytest.raises(PinIncorrect):
        cps_reader.verify_pin("0000")
    import json

    state = json.loads(state_file.read_text())
    assert state["cards"]["cps_titulaire"]["pin_tries_left"] == 2


def test_two_readers_sharing_the_state_file_count_on_the_same_card(
    catalog: CardCatalog, state_file: Path
) -> None:
    # The application and a vpcd emulator of the same test card share one state file.
    desk, emulator = (SimulatedReader(catalog, state_file=state_file) for _ in range(2))
    desk.insert("cps_titulaire")
    emulator.insert("cps_titulaire")
    with pytest.raises(PinIncorrect) as first:
        desk.verify_pin("0000")
    with pytest.raises(PinIncorrect) as second:
        emulator.verify_pin("0000")
    assert (first.value.remaining, second.value.remaining) == (2, 1)
    with pytest.raises(CardBlocked):
        desk.verify_pin("0000")


# --------------------------------------------------------------------------- carte Vitale


def test_the_vitale_signs_with_its_own_key_without_a_code(reader: SimulatedReader) -> None:
    # SESAM-Vitale: a secured FSE is secured by both cards; the Vitale needs no code and its
    # key is diversified per card (HMAC of the issuer key and the serial, card-apdu.md §4).
    reader.insert("vitale_famille")
    data = b"contenu signe"
    signature = reader.certify_vitale(data)
    key = vitale_key("0100000001")
    assert signature == hmac.new(key, hashlib.sha256(data).digest(), hashlib.sha256).digest()
    reader.remove("vitale_famille")
    reader.insert("vitale_ald")
    assert reader.certify_vitale(data) != signature  # another card, another key


def test_the_vitale_cannot_sign_once_pulled_out(reader: SimulatedReader) -> None:
    reader.insert("cps_titulaire")
    with pytest.raises(WrongCard):
        reader.certify_vitale(b"x")  # only the CPS in the reader
    reader.insert("vitale_famille")
    reader.certify_vitale(b"x")
    reader.remove("vitale_famille")
    with pytest.raises(WrongCard):
        reader.certify_vitale(b"x")
    reader.remove()
    with pytest.raises(CardAbsent):
        reader.certify_vitale(b"x")
