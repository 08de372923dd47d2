"""Santé sexuelle, minor asking for anonymity (manuel eS-KAP+): « le logiciel génère
automatiquement un NIR fictif » and « le mode de sécurisation doit être SESAM sans Vitale »
(no carte Vitale may sign for an anonymous patient). Anonymity is for this prevention only,
and for minors.
"""

from __future__ import annotations

from openfse.domain.controls.diagnostic import Diagnostic, blocking
from openfse.domain.controls.facts import ControlInput
from openfse.domain.invoice import SecureMode

MAJORITY = 18


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    if not draft.anonymous_minor:
        return []
    found: list[Diagnostic] = []
    if not draft.sante_sexuelle:
        found.append(blocking(
            "anonymat_hors_sante_sexuelle",
            "L'anonymat du mineur ne s'applique qu'aux soins de prévention en santé sexuelle.",
            "anonymous_minor"))
    if draft.secure_mode is not SecureMode.SESAM_SANS_VITALE:
        found.append(blocking(
            "anonymat_sesam_sans_vitale",
            "Mineur anonyme : le mode de sécurisation doit être « SESAM sans Vitale ».",
            "secure_mode"))
    age = ci.beneficiary.age_on(draft.date_soins)
    if age is not None and age >= MAJORITY:
        found.append(blocking(
            "anonymat_patient_majeur",
            f"Le patient a {age} ans : l'anonymat est réservé aux mineurs.",
            "anonymous_minor"))
    return found
