"""Builders for control tests: a draft and its facts with sensible defaults (a médecin, an
adult patient with open AMO rights, care today)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest

from openfse.domain.controls import (
    BeneficiaryFacts,
    ControlInput,
    ProfessionalFacts,
)
from openfse.domain.invoice import ActDetails, InvoiceDraft
from openfse.domain.pricing import ActDraft, PatientContext
from openfse.domain.pricing import InvoiceDraft as PricingDraft
from openfse.domain.pricing.codes import Parcours, Profession
from openfse.periods import Period

TODAY = date(2026, 3, 2)
OPEN_RIGHTS = (Period(date(2025, 1, 1), date(2027, 12, 31)),)


@dataclass(frozen=True)
class FakeCatalog:
    """CCAM facts of a few acts (values of the bundled CCAM v81 subset)."""

    modifiers: dict[str, tuple[str, ...]]
    prior_agreement: frozenset[str] = frozenset()

    def allowed_modifiers(self, code: str) -> tuple[str, ...] | None:
        return self.modifiers.get(code)

    def requires_prior_agreement(self, code: str) -> bool:
        return code in self.prior_agreement


CATALOG = FakeCatalog({"AFLB001": ("F", "P", "S", "U"), "HBJD001": ()},
                      prior_agreement=frozenset({"GAMA001"}))

Build = Callable[..., ControlInput]


@pytest.fixture
def make_input() -> Build:
    """``make_input(acts=…, details=…, profession=…, pricing={…}, draft={…},
    beneficiary={…}, remplacant=…, is_replacing=…, today=…)``."""

    def build(*, acts: tuple[ActDraft, ...] = (ActDraft("G"),),
              profession: Profession = Profession.MEDECIN,
              pricing: dict[str, Any] | None = None, draft: dict[str, Any] | None = None,
              beneficiary: dict[str, Any] | None = None, remplacant: bool = False,
              is_replacing: Callable[[date], bool] | None = None,
              details: tuple[ActDetails, ...] = (), today: date = TODAY) -> ControlInput:
        base = PricingDraft(date_soins=today, profession=profession, acts=acts,
                            patient=PatientContext(age=40, parcours=Parcours.MEDECIN_TRAITANT))
        invoice = InvoiceDraft(professional_id=1, patient_id=1,
                               pricing=replace(base, **(pricing or {})), act_details=details)
        invoice = replace(invoice, **(draft or {}))
        facts = replace(BeneficiaryFacts(birth_date=date(1985, 6, 1), amo_rights=OPEN_RIGHTS),
                        **(beneficiary or {}))
        extra = {} if is_replacing is None else {"is_replacing": is_replacing}
        return ControlInput(draft=invoice, today=today, beneficiary=facts,
                            professional=ProfessionalFacts(profession, remplacant),
                            catalog=CATALOG, **extra)

    return build
