"""CCAM acts checked against the catalogue, and the entente préalable.

- Modifiers: a CCAM act allows only the modifiers listed for it in the CCAM (catalogue
  ``modifiers`` of the act, docs/rules.md §B.3); the caisse rejects the others.
- Entente préalable: an act « soumis à accord préalable » in the CCAM, or marked « Soumis à
  entente préalable » on the act screen, needs the entente of the invoice (manuel eS-KAP+:
  « La présence d'une entente préalable est obligatoire pour certains actes »): a code other
  than « 9 : Pas de demande » and its date. A « D : Réponse défavorable » is reported: the act
  will not be reimbursed.
"""

from __future__ import annotations

from openfse.domain.controls.diagnostic import Diagnostic, act_field, blocking, warning
from openfse.domain.controls.facts import ControlInput
from openfse.domain.invoice import EntentePrealableCode
from openfse.domain.pricing.codes import Nomenclature


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    found: list[Diagnostic] = []
    needs_entente: list[int] = []
    for index, line in enumerate(draft.acts):
        act = line.act
        if act.nomenclature is Nomenclature.CCAM:
            allowed = ci.catalog.allowed_modifiers(act.code)
            if allowed is not None:
                refused = [m.code for m in act.modifiers if m.code not in allowed]
                if refused:
                    shown = ", ".join(allowed) if allowed else "aucun"
                    found.append(blocking(
                        "modificateur_non_autorise",
                        f"Acte {act.code} : modificateur(s) {', '.join(refused)} non autorisé(s) "
                        f"(autorisés : {shown}).",
                        act_field(index, "modifiers")))
            if ci.catalog.requires_prior_agreement(act.code):
                needs_entente.append(index)
                continue
        if line.details.entente_prealable:
            needs_entente.append(index)
    entente = draft.entente_prealable
    asked = entente is not None and entente.code is not EntentePrealableCode.PAS_DE_DEMANDE
    if needs_entente and not asked:
        for index in needs_entente:
            found.append(blocking(
                "entente_prealable_requise",
                f"Acte {draft.pricing.acts[index].code} soumis à entente préalable : "
                "saisissez le code et la date de l'entente.",
                act_field(index)))
    if entente is not None and asked:
        if entente.date is None:
            found.append(blocking(
                "date_entente_manquante",
                "Indiquez la date de l'entente préalable.",
                "entente_prealable.date"))
        if entente.code is EntentePrealableCode.DEFAVORABLE:
            found.append(warning(
                "entente_defavorable",
                "Entente préalable : réponse défavorable, l'acte ne sera pas remboursé.",
                "entente_prealable.code"))
    return found
