"""CCAM association codes: several technical acts in one session.

manuel eS-KAP+ « Code association » (confidence H):

    1  acte de tarif le plus élevé, geste complémentaire, supplément — 100 %
    2  acte associé — 50 %
    3  acte associé — 75 % (derogation, e.g. multiple recent traumatic lesions)
    4  acte spécifique facturé à 100 % dans la même séance (derogation)
    5  acte à 100 % réalisé à des moments distincts de la même journée

Ranking rule when the codes are absent (docs/rules.md §B.2, M): in a session (the CCAM acts of
one day here) the act with the highest tariff — after the grid and the modifiers — gets 1, the
next ones 2. The standard rule bills at most two acts (1 + 2): a third act without a derogation
code (3, 4, 5) is still priced at 50 % but flagged. A lone CCAM act needs no code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.pricing.work import Context, Line

RATES: dict[int, Decimal] = {
    1: Decimal(1),
    2: Decimal("0.5"),
    3: Decimal("0.75"),
    4: Decimal(1),
    5: Decimal(1),
}
STANDARD = frozenset({1, 2})


def assign(ctx: Context, lines: list[Line]) -> None:
    """Give every CCAM line its association code and rate (see the module docstring)."""
    sessions: dict[date, list[Line]] = {}
    for line in lines:
        if line.draft.nomenclature is Nomenclature.CCAM:
            sessions.setdefault(line.on, []).append(line)
    for session in sessions.values():
        _assign_session(ctx, session)


def _assign_session(ctx: Context, session: list[Line]) -> None:
    for line in session:
        line.association_code = line.draft.association_code
    if len(session) == 1:
        line = session[0]
        if line.association_code is not None:
            line.association_rate = RATES[line.association_code]
        return
    missing = [line for line in session if line.association_code is None]
    if missing:
        # Highest tariff first; ties keep the order of entry (sorted is stable).
        missing.sort(key=lambda line: line.before_association, reverse=True)
        has_principal = any(line.association_code == 1 for line in session)
        for line in missing:
            line.association_code = 2 if has_principal else 1
            has_principal = True
            ctx.warn(
                "code_association_attribue",
                f"Code association {line.association_code} attribué à {line.draft.code} "
                "(règle du tarif le plus élevé).",
                line.index,
            )
    standard = [line for line in session if line.association_code in STANDARD]
    principal = [line for line in standard if line.association_code == 1]
    for line in standard:
        if line.association_code == 2 and any(
            line.before_association > first.before_association for first in principal
        ):
            ctx.warn(
                "code_association_ordre",
                f"{line.draft.code} a un tarif supérieur à l'acte en code 1 : l'acte de tarif le "
                "plus élevé doit porter le code 1.",
                line.index,
            )
    standard.sort(key=lambda line: line.index)
    for extra in standard[2:]:
        ctx.warn(
            "troisieme_acte_sans_derogation",
            f"{extra.draft.code} : la règle générale d'association ne facture que deux actes ; "
            "un acte supplémentaire demande un code dérogatoire (3, 4 ou 5).",
            extra.index,
        )
    for line in session:
        assert line.association_code is not None
        line.association_rate = RATES[line.association_code]
