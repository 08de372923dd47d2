"""Prescription: the acts of the auxiliaires médicaux (infirmiers, masseurs-kinésithérapeutes,
orthophonistes, orthoptistes, pédicures-podologues — and the IK billed with them) are taken in
charge on a medical prescription (NGAP, Dispositions générales, article 5); the FSE must name
the prescripteur and the date of the prescription, or the caisse rejects it.

Whatever the profession, a prescription checked on the invoice (« Nécessite une
prescription », manuel eS-KAP+) must carry its date and its prescripteur.
"""

from __future__ import annotations

from openfse.domain.controls.diagnostic import Diagnostic, blocking
from openfse.domain.controls.facts import ControlInput
from openfse.referentials import professions


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    if draft.hors_teletransmission:
        return []
    profession = ci.professional.profession
    prescription = draft.prescription
    if prescription is None:
        if profession.is_auxiliaire:
            label = professions.profession(profession.value).label.lower()
            return [blocking(
                "prescription_requise",
                f"Les actes d'un {label} sont remboursés sur prescription médicale : cochez "
                "« Nécessite une prescription », choisissez le prescripteur et la date.",
                "prescription")]
        return []
    found: list[Diagnostic] = []
    if prescription.prescriber_id is None:
        found.append(blocking(
            "prescripteur_manquant",
            "Prescription sans prescripteur : choisissez-le dans la liste ou créez-le.",
            "prescription.prescriber_id"))
    if prescription.date is None:
        found.append(blocking(
            "date_prescription_manquante",
            "Indiquez la date de la prescription.",
            "prescription.date"))
    return found
