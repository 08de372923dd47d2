"""The vpcd message handling of the emulator, without sockets."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openfse.adapters.cards import apdu_profile as p
from openfse.simulators.cards.apdu import ApduCard
from openfse.simulators.cards.vpcd import VpcdBridge, main


def test_control_messages(apdu_card: Callable[..., ApduCard]) -> None:
    bridge = VpcdBridge(apdu_card("cps_titulaire"))
    assert bridge.handle(b"\x04") == p.ATR_CPS  # get ATR
    for control in (b"\x00", b"\x01", b"\x02"):  # power off / on / reset: no reply
        assert bridge.handle(control) is None
    assert bridge.handle(p.select_aid(p.AID_CPS)) == b"\x90\x00"


def test_any_power_transition_clears_the_code_porteur(
    apdu_card: Callable[..., ApduCard],
) -> None:
    bridge = VpcdBridge(apdu_card("cps_titulaire"))
    bridge.handle(p.select_aid(p.AID_CPS))
    assert bridge.handle(p.command(p.INS_VERIFY, 0, 0x80, b"1234")) == b"\x90\x00"
    bridge.handle(b"\x02")  # reset
    bridge.handle(p.select_aid(p.AID_CPS))
    assert bridge.handle(p.command(p.INS_VERIFY, 0, 0x80)) == b"\x63\xc3"


def test_vitale_atr(apdu_card: Callable[..., ApduCard]) -> None:
    assert VpcdBridge(apdu_card("vitale_c2s")).handle(b"\x04") == p.ATR_VITALE


def test_the_command_line_refuses_a_missing_card_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--card", "/nonexistent/card.yaml", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "erreur : Données de carte illisibles : /nonexistent/card.yaml" in err
