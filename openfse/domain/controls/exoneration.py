"""Exonération du ticket modérateur coherent with the patient and the nature d'assurance.

- Exonération 4 (soins en rapport avec l'ALD, docs/rules.md §D.2) or « soins en rapport avec
  l'ALD » answered yes, while the patient file has no ALD in force on the date of care: the
  caisse rejects it — unless « Forçage du code ALD » is checked (manuel eS-KAP+: « cocher la
  case Forçage du code ALD pour sélectionner manuellement cette option »).
- An exonération justificatif with the natures maternité, accident du travail or soins
  médicaux gratuits: those natures are already taken in charge at 100 % (docs/rules.md §D.1),
  the justificatif belongs to the nature maladie.
"""

from __future__ import annotations

from openfse.domain.controls.diagnostic import Diagnostic, act_field, blocking
from openfse.domain.controls.facts import ControlInput
from openfse.domain.pricing.codes import Exo, NatureAssurance

_NATURE_LABELS = {
    NatureAssurance.MATERNITE: "maternité",
    NatureAssurance.AT: "accident du travail",
    NatureAssurance.SMG: "soins médicaux gratuits",
}


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    pricing = draft.pricing
    found: list[Diagnostic] = []
    has_ald = any(period.covers(draft.date_soins) for period in ci.beneficiary.ald_rights)
    if not has_ald and not draft.forcage_ald:
        if pricing.exo is Exo.ALD or pricing.soins_en_rapport_ald:
            found.append(blocking(
                "exoneration_ald_sans_ald",
                "Exonération ALD sans ALD en cours pour ce patient : cochez « Forçage du code "
                "ALD » si l'ALD est avérée, sinon changez l'exonération.",
                "exo"))
        for index, act in enumerate(pricing.acts):
            if act.exo is Exo.ALD or act.soins_en_rapport_ald:
                found.append(blocking(
                    "exoneration_ald_sans_ald",
                    f"Acte {act.code} : exonération ALD sans ALD en cours pour ce patient.",
                    act_field(index, "exo")))
    label = _NATURE_LABELS.get(pricing.nature_assurance)
    if label is not None:
        if pricing.exo not in (None, Exo.NONE):
            found.append(blocking(
                "exoneration_incompatible_nature",
                f"Pas de justificatif d'exonération avec la nature « {label} » (déjà prise en "
                "charge à 100 %).",
                "exo"))
        for index, act in enumerate(pricing.acts):
            if act.exo not in (None, Exo.NONE):
                found.append(blocking(
                    "exoneration_incompatible_nature",
                    f"Acte {act.code} : pas d'exonération avec la nature « {label} ».",
                    act_field(index, "exo")))
    return found
