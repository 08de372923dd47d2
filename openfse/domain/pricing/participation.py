"""Participation forfaitaire (médecins) and franchise médicale (auxiliaires médicaux).

Both are amounts the patient bears that the AMO deducts from what it pays (or recovers later
under tiers payant): the engine reports them per act and in total, ``amo_net = amo_brut − PF −
franchise``; the FSE shows the gross AMO (manuel eS-KAP+: C 23 → AMO 16.10). Yearly caps (50 € each)
need the patient's history and are out of the engine's scope.

Participation forfaitaire (docs/rules.md §D.4, CSS L160-13 II): 2 € since 15/05/2024 (1 € before)
per act of a médecin — consultations, visits, technical acts; not on majorations nor travel
indemnities — at most 4 per day per professional per patient (M). Not due by
chirurgiens-dentistes, sages-femmes, auxiliaires médicaux.

Franchise (D.5, CSS L160-13 III): 1 € since 31/03/2024 (0.50 € before) per paramedical act,
at most 4 € per day per professional (2 € before, M).

Exempt persons (D.4, D.5): under 18 on 1 January (the age at the date of care when the birth
date is unknown), assurance maternité, C2S, AME, soins médicaux gratuits, victims of terrorism.
Still due for ALD, invalidité and AT/MP (PF: M for AT). Never more than the act's AMO share.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from openfse.domain.pricing.codes import NatureAssurance, Profession
from openfse.domain.pricing.work import ActKind, Context, Line


def exemption(ctx: Context) -> str | None:
    """Why the patient owes neither PF nor franchise, or None."""
    draft = ctx.draft
    patient = draft.patient
    age = patient.age_1er_janvier if patient.age_1er_janvier is not None else patient.age
    if age is not None and age < ctx.params.minor_age:
        return "mineur"
    if draft.nature_assurance is NatureAssurance.MATERNITE or patient.maternite:
        return "maternite"
    if patient.c2s:
        return "c2s"
    if patient.ame:
        return "ame"
    if draft.nature_assurance is NatureAssurance.SMG:
        return "soins_medicaux_gratuits"
    if patient.victime_attentat:
        return "victime_attentat"
    return None


def apply(ctx: Context, lines: list[Line]) -> None:
    profession = ctx.draft.profession
    if profession is Profession.MEDECIN:
        if exemption(ctx) is None:
            _participation_forfaitaire(lines)
    elif profession.is_auxiliaire and exemption(ctx) is None:
        _franchise(lines)


def _participation_forfaitaire(lines: list[Line]) -> None:
    # D.4: one PF per act (not per majoration or travel line), at most pf_max_per_day PF per
    # day; never more than the act's AMO share.
    counts: dict[date, int] = {}
    for line in lines:
        if line.kind is not ActKind.ACTE or line.amo <= 0:
            continue
        count = counts.get(line.on, 0)
        if count < line.params.pf_max_per_day:
            line.pf = min(line.params.pf_amount, line.amo)
            counts[line.on] = count + 1


def _franchise(lines: list[Line]) -> None:
    # D.5: one franchise per paramedical act, within the daily ceiling per professional.
    left: dict[date, Decimal] = {}
    for line in lines:
        if line.kind is not ActKind.ACTE or line.amo <= 0:
            continue
        params = line.params
        budget = left.get(line.on, params.franchise_daily_ceiling)
        amount = min(params.franchise_amount, budget, line.amo)
        if amount > 0:
            line.franchise = amount
            left[line.on] = budget - amount
