"""Where the engine reads tariffs: a small port (``TariffSource``) and its default adapter.

The engine never imports a tariff table directly: it asks a ``TariffSource`` for the value of
an NGAP key, the price of a CCAM line on a grid, a CCAM modifier's value and the modifiers an
act allows, always **at a date** (tariffs are date-effective, docs/rules.md §0). Tests use a
fake with values from docs/rules.md; the product uses ``ReferentialTariffs``, which composes the
NGAP referential and the CCAM catalogue and memoises every answer (the benchmark prices tens of
thousands of invoices against the same few codes).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

from openfse.errors import UnknownTariff

if TYPE_CHECKING:
    from openfse.referentials.ccam import CcamCatalog

ModifierKind = Literal["amount", "percent"]


class TariffSource(Protocol):
    """Read-only access to the tariffs in force on a date."""

    def ngap(self, profession: str, code: str, on: date) -> Decimal | None:
        """Value of an NGAP (or COx) letter key for a profession, None when unknown."""
        ...

    def ccam_price(
        self, code: str, activity: int, phase: int, grid: str, on: date
    ) -> Decimal | None:
        """Unit price of a CCAM line on a grid, None when unknown or not reimbursable."""
        ...

    def ccam_modifier(self, code: str, grid: str, on: date) -> tuple[ModifierKind, Decimal] | None:
        """A modifier as ``("amount", euros)`` or ``("percent", points)``, None when unknown."""
        ...

    def ccam_allowed_modifiers(self, code: str) -> tuple[str, ...] | None:
        """Modifiers an act allows, None when the act is unknown (nothing to check)."""
        ...


class ReferentialTariffs:
    """The product's tariffs: ``openfse.referentials.ngap`` + a CCAM catalogue (memoised).

    Args:
        catalog: the CCAM catalogue to use; the bundled subset when omitted (an imported full
            CCAM is passed by the service layer).
    """

    __slots__ = ("_catalog", "_ngap", "_ccam", "_modifiers", "_allowed", "_lookup")

    def __init__(self, catalog: CcamCatalog | None = None) -> None:
        # Imported here so that the engine and its tests with fake tariffs do not load the
        # reference data files.
        from openfse.referentials import ccam, ngap

        self._catalog = catalog if catalog is not None else ccam.bundled_catalog()
        self._lookup = ngap.lookup
        self._ngap: dict[tuple[str, str, date], Decimal | None] = {}
        self._ccam: dict[tuple[str, int, int, str, date], Decimal | None] = {}
        self._modifiers: dict[tuple[str, str, date], tuple[ModifierKind, Decimal] | None] = {}
        self._allowed: dict[str, tuple[str, ...] | None] = {}

    def ngap(self, profession: str, code: str, on: date) -> Decimal | None:
        key = (profession, code, on)
        try:
            return self._ngap[key]
        except KeyError:
            pass
        try:
            found = self._lookup(profession, code, on)
        except UnknownTariff:
            found = None
        result = None if found is None else found.value
        self._ngap[key] = result
        return result

    def ccam_price(
        self, code: str, activity: int, phase: int, grid: str, on: date
    ) -> Decimal | None:
        key = (code, activity, phase, grid, on)
        try:
            return self._ccam[key]
        except KeyError:
            result = self._ccam[key] = self._catalog.price(code, activity, phase, grid, on)
            return result

    def ccam_modifier(self, code: str, grid: str, on: date) -> tuple[ModifierKind, Decimal] | None:
        key = (code, grid, on)
        try:
            return self._modifiers[key]
        except KeyError:
            found = self._catalog.modifier(code, grid, on)
            result = None if found is None else (found.kind, found.value)
            self._modifiers[key] = result
            return result

    def ccam_allowed_modifiers(self, code: str) -> tuple[str, ...] | None:
        try:
            return self._allowed[code]
        except KeyError:
            act = self._catalog.act(code)
            result = self._allowed[code] = None if act is None else act.modifiers
            return result
