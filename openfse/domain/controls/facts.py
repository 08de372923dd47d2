"""What the controls look at besides the draft: facts about the beneficiary, the professional
and the acts, gathered by the service layer from the database and the referentials.

Controls are pure functions of a ``ControlInput``: "today" is a field (read once at the edge),
the remplaçant calendar is a predicate, the CCAM facts come through the small ``ActCatalog``
port (``CcamFacts`` adapts the referential catalogue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from openfse.domain.invoice import InvoiceDraft
from openfse.domain.pricing.codes import Profession
from openfse.periods import Period
from openfse.referentials.ccam import CcamCatalog

# Periods of rights as stored (either end may be unknown: open on that side) are the one
# Period of openfse/periods.py, both ends inclusive.


@dataclass(frozen=True, slots=True)
class BeneficiaryFacts:
    """The patient file on the date of care."""

    has_nir: bool = True
    is_company: bool = False  # « client professionnel » (aide eS-KAP+)
    birth_date: date | None = None  # None: unknown or lunar
    amo_rights: tuple[Period, ...] = ()  # AMO coverage periods
    ald_rights: tuple[Period, ...] = ()  # ALD periods (exonération 4)
    amc_rights: tuple[tuple[int, Period], ...] = ()  # (AmcCoverage id, period)

    def age_on(self, day: date) -> int | None:
        born = self.birth_date
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def amc_period(self, coverage_id: int) -> Period | None:
        return next((period for cid, period in self.amc_rights if cid == coverage_id), None)


@dataclass(frozen=True, slots=True)
class ProfessionalFacts:
    profession: Profession
    remplacant: bool = False


class ActCatalog(Protocol):
    """The CCAM facts the controls need (``None``/``False`` for an unknown act)."""

    def allowed_modifiers(self, code: str) -> tuple[str, ...] | None:
        """The modifiers the act allows; None when the act is unknown (nothing to check)."""
        ...

    def requires_prior_agreement(self, code: str) -> bool:
        """CCAM « accord préalable »: the act needs the caisse's agreement beforehand."""
        ...


@dataclass(frozen=True, slots=True)
class CcamFacts:
    """``ActCatalog`` over a CCAM catalogue of the referentials."""

    catalog: CcamCatalog

    def allowed_modifiers(self, code: str) -> tuple[str, ...] | None:
        act = self.catalog.act(code)
        return None if act is None else act.modifiers

    def requires_prior_agreement(self, code: str) -> bool:
        act = self.catalog.act(code)
        return act is not None and act.accord_prealable


def _always(_day: date) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class ControlInput:
    """Everything one run of the controls reads. ``draft`` is the normalized draft (the
    lines that will be billed); ``is_replacing(day)`` tells whether the remplaçant replaces a
    titulaire on ``day`` (ignored for a titulaire)."""

    draft: InvoiceDraft
    today: date
    beneficiary: BeneficiaryFacts
    professional: ProfessionalFacts
    catalog: ActCatalog
    is_replacing: Callable[[date], bool] = field(default=_always)
