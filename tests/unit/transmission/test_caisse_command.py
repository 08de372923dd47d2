"""The simulator's command line refuses bad options before starting anything."""

from __future__ import annotations

import pytest

from openfse.simulators.caisse import main
from openfse.simulators.caisse.caisse import CaisseConfig
from openfse.simulators.caisse.command import build_parser
from openfse.simulators.caisse.faults import Faults


@pytest.mark.parametrize(
    "argv",
    [
        ["--reject-rate", "1.5"],
        ["--partial-rate", "-0.1"],
        ["--smtp-port", "70000"],
        ["--release", "sometimes"],
        ["--today", "2026-02-30"],
    ],
)
def test_bad_options_are_refused_by_the_parser(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)


def test_rates_must_leave_room_for_payments_and_certificates_come_with_keys() -> None:
    with pytest.raises(SystemExit, match="configuration refusée"):
        main(["--reject-rate", "0.7", "--partial-rate", "0.7"])
    with pytest.raises(SystemExit, match="--tls-cert et --tls-key"):
        main(["--tls-cert", "caisse.pem"])
    with pytest.raises(ValueError, match="delays"):
        CaisseConfig(delay_days=-1)


def test_faults_fire_the_number_of_times_asked() -> None:
    faults = Faults()
    faults.arm("corrupt_arl", count=2)
    assert [faults.take("corrupt_arl") for _ in range(3)] == [True, True, False]
    assert not faults.take("smtp_tempfail")
    with pytest.raises(ValueError, match="unknown fault"):
        faults.arm("explode")
