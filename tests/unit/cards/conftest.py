"""Fixtures of the card unit tests: the shipped test cards in a simulated bi-fente reader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from openfse.composition.simulated_cards import SimulatedReader
from openfse.simulators.cards.apdu import ApduCard
from openfse.simulators.cards.model import CardCatalog, CardStateStore, make_chip


@pytest.fixture(scope="session")
def catalog() -> CardCatalog:
    return CardCatalog()


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "cards-state.json"


@pytest.fixture
def reader(catalog: CardCatalog, state_file: Path) -> SimulatedReader:
    """An empty simulated reader whose PIN counters persist in a per-test file."""
    return SimulatedReader(catalog, state_file=state_file)


@pytest.fixture
def cps_reader(reader: SimulatedReader) -> SimulatedReader:
    """The titulaire's CPS (code 1234, déblocage 12345678) in the PS slot."""
    reader.insert("cps_titulaire")
    return reader


@pytest.fixture
def apdu_card(catalog: CardCatalog) -> Callable[..., ApduCard]:
    """Factory: a powered test card answering APDUs directly (no reader)."""

    def make(name: str, store: CardStateStore | None = None) -> ApduCard:
        card = ApduCard(make_chip(catalog.get(name), store or CardStateStore()))
        card.power_on()
        return card

    return make
