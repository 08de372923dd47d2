"""Dates: an invoice bills care already given, after its prescription and its accident.

- Care in the future (the date of the invoice or of an act after today): the FSE « constate »
  care that was given (docs/protocols.md §1.1); the caisse rejects it, and the desk has usually
  typed the wrong year.
- A prescription dated after the care it prescribes, an accident (de droit commun or du
  travail) after the care it caused, an entente préalable « obtained » in the future: each is a
  typing error the caisse would reject.
"""

from __future__ import annotations

from datetime import date

from openfse.domain.controls.diagnostic import Diagnostic, act_field, blocking
from openfse.domain.controls.facts import ControlInput


def _fr(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def check(ci: ControlInput) -> list[Diagnostic]:
    draft = ci.draft
    found: list[Diagnostic] = []
    if draft.date_soins > ci.today:
        found.append(blocking(
            "date_future",
            f"La date des soins ({_fr(draft.date_soins)}) est postérieure à aujourd'hui "
            f"({_fr(ci.today)}) : une facture porte sur des soins déjà réalisés.",
            "date_soins"))
    for index, act in enumerate(draft.pricing.acts):
        if act.date is not None and act.date > ci.today:
            found.append(blocking(
                "date_future",
                f"Acte {act.code} daté du {_fr(act.date)}, postérieur à aujourd'hui.",
                act_field(index, "date")))
    first_care = min(draft.act_dates(), default=draft.date_soins)
    prescription = draft.prescription
    if prescription is not None and prescription.date is not None \
            and prescription.date > first_care:
        found.append(blocking(
            "prescription_apres_soins",
            f"La prescription du {_fr(prescription.date)} est postérieure aux soins du "
            f"{_fr(first_care)}.",
            "prescription.date"))
    if draft.accident_droit_commun and draft.accident_date is not None \
            and draft.accident_date > first_care:
        found.append(blocking(
            "accident_apres_soins",
            f"L'accident du {_fr(draft.accident_date)} est postérieur aux soins du "
            f"{_fr(first_care)}.",
            "accident_date"))
    at = draft.accident_travail
    if at is not None and at.date is not None and at.date > first_care:
        found.append(blocking(
            "accident_apres_soins",
            f"L'accident du travail du {_fr(at.date)} est postérieur aux soins du "
            f"{_fr(first_care)}.",
            "accident_travail.date"))
    entente = draft.entente_prealable
    if entente is not None and entente.date is not None and entente.date > ci.today:
        found.append(blocking(
            "entente_future",
            f"Date d'entente préalable ({_fr(entente.date)}) postérieure à aujourd'hui.",
            "entente_prealable.date"))
    return found
