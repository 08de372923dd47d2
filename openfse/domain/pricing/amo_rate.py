"""AMO rate of each act: nature d'assurance, exonérations, prevention, régime local.

First match wins (docs/rules.md §D.1, D.2; rates are dated parameters in
``openfse.referentials.regulatory``):

1. qualificatif N or G — nothing to reimburse (0 %);
2. invoice situation at 100 %: accident du travail / maladie professionnelle, assurance
   maternité (6th month → 12 days after delivery), soins médicaux gratuits, AME (H),
   victims of terrorism (CSS L169-2, H);
3. exonération code of the act (or of the invoice): 3, 5, 7, 9 → 100 %; 4 → 100 % as ALD;
   ``"0"`` says explicitly « pas d'exonération » and disables the automatic ones below;
4. ALD: patient in ALD and soins en rapport avec l'ALD → 100 % (exo 4, H);
5. examen bucco-dentaire (BDA… from 01/04/2025, or acts flagged as consecutive care):
   with a complementary cover (AMC or C2S) 60 % AMO + 40 % AMC; without one, exo 7 prevention
   → 100 % for 3 to 24 years (dossier LOGOSw, H); before the co-financing: 100 %;
6. COx (examens obligatoires de l'enfant) → 100 % (A.2, M);
7. régime local d'Alsace-Moselle → 90 % (M; 90 % for auxiliaires and dentists too is L);
8. otherwise the profession's rate on the date: médecins and sages-femmes 70 %,
   auxiliaires 60 %, dentists 60 % since 15/10/2023 (70 % before).

The hors-parcours majoration and the 24 € forfait change the *amount* afterwards
(``hors_parcours.py``, ``forfait_24.py``) for the acts whose reason is ``standard``.
"""

from __future__ import annotations

from decimal import Decimal

from openfse.domain.pricing.codes import (
    Exo,
    NatureAssurance,
    Nomenclature,
    Qualificatif,
    SortantC2S,
)
from openfse.domain.pricing.draft import InvoiceDraft
from openfse.domain.pricing.work import Context, Line, RateReason
from openfse.money import ZERO

# Examen bucco-dentaire codes (docs/rules.md §A.8: from 01/04/2025) and their predecessors.
EBD_CODES = frozenset({"BDA", "BDB", "BDD", "BDP", "BDH", "BDE", "BDC", "BR2", "BR4", "BRP", "BDX"})
_EXONERATING = frozenset({Exo.SOINS_PARTICULIERS, Exo.ASSURE_EXONERE, Exo.PREVENTION, Exo.FSV})


def has_complementary(draft: InvoiceDraft) -> bool:
    """A complementary cover pays the TM: an AMC contract, the C2S or a C2S contrat de sortie."""
    patient = draft.patient
    return draft.amc is not None or patient.c2s or patient.sortant_c2s is SortantC2S.CONTRAT_SORTIE


def invoice_reason(draft: InvoiceDraft) -> RateReason | None:
    """The situations that put the whole invoice at 100 %."""
    nature = draft.nature_assurance
    patient = draft.patient
    if nature is NatureAssurance.AT or patient.at_mp:
        return RateReason.AT
    if nature is NatureAssurance.MATERNITE or patient.maternite:
        return RateReason.MATERNITE
    if nature is NatureAssurance.SMG:
        return RateReason.SMG
    if patient.ame:
        return RateReason.AME
    if patient.victime_attentat:
        # Victims of terrorism: care at 100 %, exonération du ticket modérateur (Code de la
        # sécurité sociale art. L169-1 and L169-2, Légifrance; loi n° 2015-1702 art. 49).
        return RateReason.VICTIME_ATTENTAT
    return None


def assign(ctx: Context, lines: list[Line]) -> None:
    """Set ``reason``, ``exo`` and ``taux`` (percent) of every line."""
    draft = ctx.draft
    whole_invoice = invoice_reason(draft)
    complementary = has_complementary(draft)
    for line in lines:
        if line.qualificatif is Qualificatif.N or line.qualificatif is Qualificatif.G:
            line.reason = RateReason.NOT_REIMBURSABLE
            line.taux = ZERO
            line.exo = line.draft.exo if line.draft.exo is not None else draft.exo
            continue
        reason, exo = _reason(ctx, line, whole_invoice, complementary)
        line.reason = reason
        line.exo = exo
        line.taux = _rate(ctx, line, reason)


def _reason(
    ctx: Context, line: Line, whole_invoice: RateReason | None, complementary: bool
) -> tuple[RateReason, Exo | None]:
    draft = ctx.draft
    act = line.draft
    exo = act.exo if act.exo is not None else draft.exo
    if whole_invoice is not None:
        return whole_invoice, exo
    if exo in _EXONERATING:
        return RateReason.EXO, exo
    if exo is Exo.ALD:
        if not draft.patient.ald:
            ctx.warn(
                "exoneration_ald_sans_ald",
                "Exonération ALD (exo 4) sur un patient sans ALD déclarée : à vérifier.",
                line.index,
            )
        return RateReason.ALD, exo
    automatic = exo is None
    related = act.soins_en_rapport_ald
    if related is None:
        related = draft.soins_en_rapport_ald
    if related and automatic:
        if draft.patient.ald:
            return RateReason.ALD, Exo.ALD
        ctx.warn(
            "soins_ald_sans_ald",
            "Soins déclarés en rapport avec une ALD, mais le patient n'a pas d'ALD : taux normal.",
            line.index,
        )
    if act.prevention_ebd or (act.nomenclature is Nomenclature.NGAP and act.code in EBD_CODES):
        ebd = _ebd_reason(ctx, line, complementary, automatic)
        if ebd is not None:
            return ebd, (Exo.PREVENTION if ebd is RateReason.EBD_EXO else exo)
    if act.nomenclature is Nomenclature.COX:
        return RateReason.PREVENTION_ENFANT, exo
    if draft.patient.regime_local_alsace_moselle:
        return RateReason.ALSACE_MOSELLE, exo
    return RateReason.BASE, exo


def _ebd_reason(
    ctx: Context, line: Line, complementary: bool, automatic: bool
) -> RateReason | None:
    params = line.params
    low, high = params.ebd_exo_min_age, params.ebd_exo_max_age
    if low is None or high is None:  # before the 01/04/2025 co-financing: M'T dents at 100 %
        return RateReason.EBD_EXO if automatic else None
    if complementary:
        return RateReason.EBD_COFINANCEMENT
    if not automatic:
        return None
    age = ctx.draft.patient.age
    if age is None:
        ctx.warn(
            "age_inconnu",
            f"Examen bucco-dentaire sans complémentaire : exonération prévention appliquée en "
            f"supposant un patient de {low} à {high} ans (âge non renseigné).",
            line.index,
        )
        return RateReason.EBD_EXO
    if low <= age <= high:
        return RateReason.EBD_EXO
    return None


def _rate(ctx: Context, line: Line, reason: RateReason) -> Decimal:
    params = line.params
    if reason is RateReason.BASE:
        return params.amo_rates[ctx.draft.profession]
    if reason is RateReason.ALSACE_MOSELLE:
        return params.alsace_moselle_rate
    if reason is RateReason.EBD_COFINANCEMENT:
        return params.ebd_with_amc_rate
    if reason is RateReason.PREVENTION_ENFANT:
        return params.cox_rate
    return params.exonere_rate
