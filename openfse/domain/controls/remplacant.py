"""Remplaçant: he bills, under the numéro de facturation of the titulaire he replaces, only
the days of his replacement calendar (docs/protocols.md §1.2: « a remplaçant bills under the
replaced PS's billing number »; manuel eS-KAP+ « Remplaçant »). A day outside the calendar has no
titulaire to bill for: refused.
"""

from __future__ import annotations

from openfse.domain.controls.diagnostic import Diagnostic, blocking
from openfse.domain.controls.facts import ControlInput


def check(ci: ControlInput) -> list[Diagnostic]:
    if not ci.professional.remplacant:
        return []
    return [
        blocking(
            "remplacant_hors_calendrier",
            f"Le {day:%d/%m/%Y} ne figure pas au calendrier de remplacement : un remplaçant "
            "ne facture que les jours où il remplace un titulaire.",
            "date_soins")
        for day in sorted(set(ci.draft.act_dates()))
        if not ci.is_replacing(day)
    ]
