"""Rights on the date of care: the caisse rejects care given outside the AMO rights period,
and an AMC in tiers payant does not pay outside its contract period.

- AMO: every act date must fall in a period of the patient's AMO coverage (card, ADRi,
  attestation), or in the « Forçage du service AMO » dates typed on the invoice (manuel eS-KAP+:
  « permet de saisir manuellement les droits du patient »). No AMO rights known at all
  is a warning: the card or ADRi may simply not have been read yet.
- AMC: the mutuelle chosen from the patient file must cover the date of care; refused when the
  AMC is asked to pay (tiers payant AMC), a warning otherwise.

Not checked for a facture hors télétransmission, a company, or the anonymous minor (rights of
an anonymous patient are not in the file).
"""

from __future__ import annotations

from datetime import date

from openfse.domain.controls.diagnostic import Diagnostic, blocking, warning
from openfse.domain.controls.facts import ControlInput


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    if draft.hors_teletransmission or draft.anonymous_minor or ci.beneficiary.is_company:
        return []
    found: list[Diagnostic] = []
    forcing = draft.amo_service
    periods = ci.beneficiary.amo_rights
    if not periods and forcing is None:
        found.append(warning(
            "droits_amo_inconnus",
            "Aucun droit AMO connu pour ce patient : lisez sa carte Vitale, interrogez ADRi "
            "ou saisissez ses droits (« Forçage du service AMO »).",
            "patient_id"))
    else:
        for day in sorted(set(draft.act_dates())):
            if any(p.covers(day) for p in periods) or (forcing is not None
                                                        and forcing.covers(day)):
                continue
            found.append(blocking(
                "droits_amo_fermes",
                f"Droits AMO fermés au {day:%d/%m/%Y} : mettez à jour les droits du patient "
                "(carte Vitale, ADRi) ou forcez le service AMO.",
                "date_soins"))
    found.extend(_amc(ci, draft.date_soins))
    return found


def _amc(ci: ControlInput, day: date) -> list[Diagnostic]:
    choice = ci.draft.amc_choice
    if choice is None or choice.coverage_id is None:
        return []
    period = ci.beneficiary.amc_period(choice.coverage_id)
    if period is None:
        return [blocking("mutuelle_inconnue",
                         "La mutuelle choisie n'appartient pas au dossier de ce patient.",
                         "amc_choice.coverage_id")]
    if period.covers(day):
        return []
    message = (f"Droits de la mutuelle fermés au {day:%d/%m/%Y} : renouvelez-les ou "
               "choisissez une autre mutuelle.")
    if ci.draft.pricing.tiers_payant.amc:
        return [blocking("droits_amc_fermes", message, "amc_choice.coverage_id")]
    return [warning("droits_amc_fermes", message, "amc_choice.coverage_id")]
