"""Parcours de soins: on a médecin's FSE « Le professionnel de santé doit obligatoirement
renseigner le parcours de soins du patient » (manuel eS-KAP+); without it the caisse cannot
apply the rate (70 % in the parcours, 30 % hors parcours: docs/rules.md §D.3). Same code as the
pricing engine's warning, which this control supersedes.
"""

from __future__ import annotations

from openfse.domain.controls.diagnostic import Diagnostic, blocking
from openfse.domain.controls.facts import ControlInput
from openfse.domain.pricing.codes import Profession


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    if (ci.professional.profession is Profession.MEDECIN and not draft.hors_teletransmission
            and draft.pricing.patient.parcours is None):
        return [blocking(
            "parcours_non_renseigne",
            "Renseignez la situation du patient au regard du parcours de soins.",
            "patient.parcours")]
    return []
