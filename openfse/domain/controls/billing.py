"""Who is billed, and how: FSE to the caisse, or a facture « hors télétransmission ».

- A « client professionnel » (a company, aide eS-KAP+) has no NIR: it can only receive a facture
  hors télétransmission (« Créer un client professionnel vous permet de facturer une
  société »).
- « Facturer à » completes a hors-télétransmission invoice (aide eS-KAP+: « Créer ensuite une
  facture Hors télétransmission puis compléter le champ Facturer à »): on an FSE it would be
  ignored by the caisse, so it is refused there.
- No tiers payant on a paper invoice: nobody would pay the AMO/AMC share.
- An FSE names the assuré by his NIR: without it the caisse cannot process it (the anonymous
  minor of santé sexuelle gets a fictitious NIR, see ``sante_sexuelle``).
"""

from __future__ import annotations

from openfse.domain.controls.diagnostic import Diagnostic, blocking
from openfse.domain.controls.facts import ControlInput


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    found: list[Diagnostic] = []
    if ci.beneficiary.is_company and not draft.hors_teletransmission:
        found.append(blocking(
            "client_professionnel_teletransmission",
            "Un client professionnel n'a pas de NIR : facturez-le « hors télétransmission ».",
            "hors_teletransmission"))
    if draft.bill_to is not None and not draft.hors_teletransmission:
        found.append(blocking(
            "facturer_a_hors_teletransmission",
            "« Facturer à » ne s'emploie que pour une facture hors télétransmission.",
            "bill_to"))
    tiers_payant = draft.pricing.tiers_payant
    if draft.hors_teletransmission and (tiers_payant.amo or tiers_payant.amc):
        found.append(blocking(
            "tiers_payant_hors_teletransmission",
            "Pas de tiers payant sur une facture hors télétransmission : aucun organisme "
            "ne la recevra.",
            "tiers_payant"))
    if (not draft.hors_teletransmission and not draft.anonymous_minor
            and not ci.beneficiary.is_company and not ci.beneficiary.has_nir):
        found.append(blocking(
            "nir_manquant",
            "Le patient n'a pas de numéro de sécurité sociale (NIR) : complétez son dossier "
            "ou facturez hors télétransmission.",
            "patient_id"))
    return found
