"""Controls before validation: the checks an insurer would make, run at the desk so that a
reject is caught before the invoice leaves (ARCHITECTURE « domain/controls »).

Each module is one family of rules and cites them; each exposes ``check(ControlInput) ->
list[Diagnostic]``. ``run_controls`` runs them all, in a fixed order, and returns every
diagnostic (blocking errors and warnings) so the user sees every problem in one pass.
Pure: the service layer gathers the facts (``facts.ControlInput``).
"""

from __future__ import annotations

from collections.abc import Callable

from openfse.domain.controls import (
    billing,
    ccam,
    dates,
    exoneration,
    nature,
    parcours,
    prescription,
    remplacant,
    rights,
    sante_sexuelle,
    securisation,
)
from openfse.domain.controls.diagnostic import Diagnostic, Severity, blocking, warning
from openfse.domain.controls.facts import (
    ActCatalog,
    BeneficiaryFacts,
    CcamFacts,
    ControlInput,
    ProfessionalFacts,
)

__all__ = [
    "CONTROLS",
    "ActCatalog",
    "BeneficiaryFacts",
    "CcamFacts",
    "ControlInput",
    "Diagnostic",
    "ProfessionalFacts",
    "Severity",
    "blocking",
    "has_blocking",
    "run_controls",
    "warning",
]

Control = Callable[[ControlInput], list[Diagnostic]]

CONTROLS: tuple[Control, ...] = (
    dates.check,
    billing.check,
    rights.check,
    nature.check,
    exoneration.check,
    prescription.check,
    parcours.check,
    ccam.check,
    remplacant.check,
    sante_sexuelle.check,
    securisation.check,
)


def run_controls(ci: ControlInput) -> tuple[Diagnostic, ...]:
    """Every diagnostic of every control, blocking ones first (stable order otherwise)."""
    found = [diagnostic for control in CONTROLS for diagnostic in control(ci)]
    return tuple(sorted(found, key=lambda d: not d.is_blocking))


def has_blocking(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> bool:
    return any(d.is_blocking for d in diagnostics)
