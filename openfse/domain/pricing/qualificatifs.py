"""Qualificatif de la dépense, dépassement and manual total: from tariff to amount billed.

manuel eS-KAP+ « Qualificatif de dépense » and « Montant total », docs/formats/price.md
``qualificatif``:

- none — the amount billed is the tariff, the BR (base de remboursement) is the tariff;
- A (dépassement autorisé), E (exigence particulière), D (dépassement d'honoraires secteur 2) —
  the dépassement is billed above the BR; the AMO reimburses the BR only, the AMC per its
  formula and contract (``amc.py``);
- N (non remboursable) — billed, BR = 0: no AMO share;
- G (gratuit) — nothing is billed, every amount is 0;
- « Montant total » typed by hand (automatic total unticked) — « le total doit inclure la
  somme des actes et du dépassement »: the dépassement is what exceeds the tariff; a total
  below the tariff lowers the BR to the total (the caisse never reimburses more than the
  amount billed), with a warning.

Checks that only warn (the professional may have a reason, the caisse decides): a dépassement
without qualificatif from a secteur 1 non-OPTAM physician; DA (A) outside the hors-parcours
case or above 17.5 % of the tariff (docs/rules.md §D.3, confidence L); any dépassement for a
C2S or AME patient other than an exigence particulière (tarifs opposables, docs/rules.md §B.5).
"""

from __future__ import annotations

from decimal import Decimal

from openfse.domain.pricing.codes import Parcours, Profession, Qualificatif
from openfse.domain.pricing.errors import DraftError, act_field
from openfse.domain.pricing.work import Context, Line
from openfse.money import ZERO, round_cents


def apply(ctx: Context, lines: list[Line]) -> None:
    for line in lines:
        qualificatif = line.qualificatif
        if qualificatif is Qualificatif.G:
            _gratuit(ctx, line)
            continue
        br, depassement = _split_total(ctx, line)
        if qualificatif is Qualificatif.N:
            line.br = ZERO
            line.depassement = ZERO
            line.honoraires = br + depassement
            continue
        line.br = br
        line.depassement = depassement
        line.honoraires = br + depassement
        if depassement > 0:
            _check_depassement(ctx, line)


def _gratuit(ctx: Context, line: Line) -> None:
    draft = line.draft
    if draft.depassement or draft.total_amount:
        ctx.warn(
            "acte_gratuit",
            "Acte gratuit (qualificatif G) : les montants saisis sont ignorés.",
            line.index,
        )
    line.br = line.depassement = line.honoraires = ZERO


def _split_total(ctx: Context, line: Line) -> tuple[Decimal, Decimal]:
    """(tariff part, dépassement) of the amount billed, from the dépassement or a manual total."""
    draft = line.draft
    tariff = line.base
    total = draft.total_amount
    if total is None:
        return tariff, draft.depassement
    if draft.depassement and total != tariff + draft.depassement:
        raise DraftError(
            act_field(line.index, "total_amount"),
            f"total_amount {total} contradicts the tariff {tariff} plus depassement "
            f"{draft.depassement}; give one or the other",
            f"Le montant total {total} € ne correspond pas au tarif {tariff} € augmenté du "
            f"dépassement {draft.depassement} €.",
        )
    if total >= tariff:
        return tariff, total - tariff
    ctx.warn(
        "montant_total_inferieur_tarif",
        f"Montant total {total} € inférieur au tarif {tariff} € : la base de remboursement est "
        "ramenée au montant facturé.",
        line.index,
    )
    return total, ZERO


def _check_depassement(ctx: Context, line: Line) -> None:
    draft = ctx.draft
    qualificatif = line.qualificatif
    patient = draft.patient
    if (patient.c2s or patient.ame) and qualificatif is not Qualificatif.E:
        ctx.warn(
            "depassement_tarif_opposable",
            "Dépassement facturé à un bénéficiaire de la C2S ou de l'AME : les tarifs "
            "opposables s'imposent (sauf exigence particulière du patient).",
            line.index,
        )
    if qualificatif is None and draft.profession is Profession.MEDECIN:
        if draft.ps.secteur == 1 and not draft.ps.optam:
            ctx.warn(
                "depassement_sans_qualificatif",
                "Dépassement d'un médecin de secteur 1 sans qualificatif : seuls un dépassement "
                "autorisé (A) ou une exigence particulière (E) sont possibles.",
                line.index,
            )
    elif qualificatif is Qualificatif.A:
        if patient.parcours is not Parcours.HORS_PARCOURS:
            ctx.warn(
                "depassement_autorise_hors_parcours",
                "Le dépassement autorisé (A) ne concerne que les patients hors parcours de soins.",
                line.index,
            )
        ceiling = round_cents(line.br * line.params.da_max_ratio)
        if line.depassement > ceiling:
            ctx.warn(
                "depassement_autorise_plafond",
                f"Dépassement autorisé de {line.depassement} € au-delà de 17,5 % du tarif "
                f"({ceiling} €) : plafond à vérifier (règle à confiance faible).",
                line.index,
            )
