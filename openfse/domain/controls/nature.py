"""Nature d'assurance and what each one requires (manuel eS-KAP+ « Assurance »;
docs/rules.md §D.2):

- Accident du travail: the AT (chosen from the card or typed) must name its organisme and its
  date, which route the claim to the AT branch; AT details on another nature are a mistake.
- Maternité: « la saisie de la date correspondante est obligatoire ».
- Maladie with « Accident de droit commun »: « renseigner obligatoirement la date de
  l'accident »; the case exists only under the nature maladie.
- Soins médicaux gratuits: « Le montant de la prise en charge doit être renseigné ».
"""

from __future__ import annotations

from openfse.domain.controls.diagnostic import Diagnostic, blocking
from openfse.domain.controls.facts import ControlInput
from openfse.domain.pricing.codes import NatureAssurance


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    nature = draft.pricing.nature_assurance
    at = draft.accident_travail
    found: list[Diagnostic] = []
    if nature is NatureAssurance.AT:
        if at is None or not at.organisme or at.date is None:
            found.append(blocking(
                "accident_travail_incomplet",
                "Accident du travail : choisissez l'AT de la carte Vitale ou saisissez au moins "
                "l'organisme AT et la date de l'accident.",
                "accident_travail"))
    elif at is not None:
        found.append(blocking(
            "accident_travail_sans_nature_at",
            "Des informations d'accident du travail sont saisies mais la nature d'assurance "
            "n'est pas « Accident de travail ».",
            "nature_assurance"))
    if nature is NatureAssurance.MATERNITE and draft.maternite_date is None:
        found.append(blocking(
            "date_maternite_manquante",
            "Nature maternité : la date de maternité est obligatoire.",
            "maternite_date"))
    if draft.accident_droit_commun:
        if nature is not NatureAssurance.MALADIE:
            found.append(blocking(
                "accident_droit_commun_hors_maladie",
                "L'accident de droit commun se déclare avec la nature d'assurance « Maladie ».",
                "accident_droit_commun"))
        if draft.accident_date is None:
            found.append(blocking(
                "date_accident_manquante",
                "Accident de droit commun : la date de l'accident est obligatoire.",
                "accident_date"))
    if nature is NatureAssurance.SMG and draft.pricing.smg_amount is None:
        found.append(blocking(
            "montant_smg_manquant",
            "Soins médicaux gratuits : renseignez le montant de la prise en charge SMG.",
            "smg_amount"))
    return found
