"""Mode de sécurisation: what each mode still asks of the desk (docs/protocols.md §1.5).

- Dégradé: the FSE is not signed by the carte Vitale, so « le professionnel transmet la feuille
  de soins papier correspondante » (convention, art. 32 cited in docs/protocols.md §1.5): reminded.
- A facture hors télétransmission is not secured at all: nothing to check.
"""

from __future__ import annotations

from openfse.domain.controls.diagnostic import Diagnostic, warning
from openfse.domain.controls.facts import ControlInput
from openfse.domain.invoice import SecureMode


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    if draft.hors_teletransmission or draft.secure_mode is not SecureMode.DEGRADE:
        return []
    return [warning(
        "mode_degrade_feuille_papier",
        "Mode dégradé : envoyez aussi la feuille de soins papier (ou sa numérisation SCOR) à "
        "la caisse, marquée « mode dégradé ».",
        "secure_mode")]
