"""Composition: the one place that chooses, from the settings, what the application talks to.

Each port (card reader, appli carte Vitale, ADRi, Inter-AMC directory) has real backends (PC/SC,
HTTP) in :mod:`openfse.adapters` and simulated ones that run the simulators of
:mod:`openfse.simulators` in the same process (demo, tests, a workstation without hardware).
Only this package imports both: an adapter never imports a simulator, so nothing of a simulator
can leak into the product's real paths (a rule held by ``tests/architecture/test_layers.py``).

The web edge asks for the adapters through its desk (:mod:`openfse.web.deps`), built once per
process by :class:`openfse.services.context.AppContext` with these factories.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openfse.adapters.cards.errors import UnknownCardBackend
from openfse.adapters.cards.port import ApcvProvider, CardReader
from openfse.adapters.teleservices.port import AdriClient, InterAmcDirectory
from openfse.services.cards import CardsConfig
from openfse.services.teleservices import TeleserviceConfig

if TYPE_CHECKING:
    from openfse.adapters.teleservices.resilience import CircuitBreaker, RetryPolicy

__all__ = ["make_adri_client", "make_apcv_provider", "make_card_reader",
           "make_interamc_directory"]


def make_card_reader(config: CardsConfig) -> CardReader:
    """The configured :class:`CardReader`. Raises :class:`UnknownCardBackend`, and
    :class:`ReaderUnavailable` when ``pcsc`` is chosen but pyscard is missing."""
    backend = config.backend.strip().lower()
    if backend == "simulated":
        from openfse.composition.simulated_cards import SimulatedReader
        from openfse.simulators.cards.model import CardCatalog

        catalog = CardCatalog(config.cards_dir) if config.cards_dir is not None else None
        reader = SimulatedReader(catalog, state_file=config.state_file)
        for name in config.inserted:
            reader.insert(name)
        return reader
    if backend == "pcsc":
        try:
            from openfse.adapters.cards.pcsc import PcscCardReader
        except ImportError as exc:  # the optional "cards" extra is not installed
            from openfse.adapters.cards.errors import ReaderUnavailable

            raise ReaderUnavailable(f"pyscard absent : {exc}") from None
        return PcscCardReader(config.reader_filter)
    raise UnknownCardBackend(config.backend)


def make_apcv_provider(config: CardsConfig) -> ApcvProvider:
    """The appli carte Vitale provider. Only the simulated one exists (demo mode): the real
    ApCV platform is reached through the GIE SESAM-Vitale services (docs/protocols.md §3.5), so with
    any other backend every session raises :class:`ApcvUnavailable` rather than pretend."""
    from openfse.adapters.cards.apcv import UnavailableApcvProvider
    from openfse.composition.simulated_apcv import SimulatedApcvProvider

    if config.backend.strip().lower() != "simulated":
        return UnavailableApcvProvider()
    from openfse.simulators.cards.model import CardCatalog

    return SimulatedApcvProvider(
        CardCatalog(config.cards_dir) if config.cards_dir is not None else None
    )


def _resilience(config: TeleserviceConfig) -> tuple[RetryPolicy, CircuitBreaker]:
    from openfse.adapters.teleservices.resilience import CircuitBreaker, RetryPolicy

    policy = RetryPolicy(
        max_attempts=config.max_attempts,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        total_budget=config.total_budget,
    )
    return policy, CircuitBreaker(config.breaker_threshold, config.breaker_cooldown)


def make_adri_client(config: TeleserviceConfig) -> AdriClient:
    """The ADRi backend named by the configuration (adapters imported lazily)."""
    if config.backend == "in-process":
        from openfse.composition.inprocess_adri import InProcessAdriClient

        return InProcessAdriClient(data_path=config.data_path)
    from openfse.adapters.teleservices.adri_http import HttpAdriClient

    policy, breaker = _resilience(config)
    assert config.url is not None  # checked by TeleserviceConfig
    return HttpAdriClient(config.url, policy=policy, breaker=breaker)


def make_interamc_directory(config: TeleserviceConfig) -> InterAmcDirectory:
    """The Inter-AMC directory backend named by the configuration."""
    if config.backend == "in-process":
        from openfse.composition.inprocess_interamc import InProcessInterAmcDirectory

        return InProcessInterAmcDirectory(data_path=config.data_path)
    from openfse.adapters.teleservices.interamc import HttpInterAmcDirectory

    policy, breaker = _resilience(config)
    assert config.url is not None
    return HttpInterAmcDirectory(config.url, policy=policy, breaker=breaker)
