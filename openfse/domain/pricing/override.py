"""Manual AMO / AMC amounts per act, and the patient share that follows.

manuel eS-KAP+ « Détails de l'acte »: from the summary the professional may « Changer le montant
AMO » and « Changer le montant AMC » of an act; « toute modification impacte directement le
calcul du reste à charge du patient ». The manual shows the consequence: AMO of the C raised from
16.10 to 19 → « Total Assuré : -2.9 € » until the AMC is lowered. So:

- an override replaces the computed amount as typed (the other share is not recomputed);
- the patient share is always ``honoraires − AMO − AMC``, hence the invariant
  AMO + AMC + patient = honoraires holds exactly, overrides included;
- a negative patient share is kept and reported as a warning, never hidden; an AMO above the
  BR is reported too.
"""

from __future__ import annotations

from openfse.domain.pricing.work import Context, Line


def apply(ctx: Context, lines: list[Line]) -> None:
    for line in lines:
        override = line.draft.override
        if override is None:
            continue
        if override.amo is not None:
            line.amo = override.amo
            if override.amo > line.br:
                ctx.warn(
                    "amo_superieure_base",
                    f"Montant AMO saisi ({override.amo} €) supérieur à la base de remboursement "
                    f"({line.br} €).",
                    line.index,
                )
        if override.amc is not None:
            line.amc = override.amc


def settle_patient_share(ctx: Context, lines: list[Line]) -> None:
    for line in lines:
        line.patient = line.honoraires - line.amo - line.amc
        if line.patient < 0:
            ctx.warn(
                "part_patient_negative",
                f"Part patient négative ({line.patient} €) : les montants AMO et AMC dépassent "
                f"le montant facturé de l'acte ({line.honoraires} €).",
                line.index,
            )
