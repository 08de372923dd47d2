"""Parcours de soins coordonnés: the hors-parcours majoration of the ticket modérateur.

A patient who consults a physician outside the parcours (no médecin traitant declared, or not
referred by him) is reimbursed 40 points less: 70 % → 30 % (CSS L162-5-3; docs/rules.md §D.1,
D.3, H), in Alsace-Moselle 90 % → 50 % (L). The parcours concerns physicians only, and
patients of 16 or more; docs/formats/price.md lists the situations that are *in* the parcours
(médecin traitant, adressé, urgence, hors résidence, généraliste récemment installé, zone
sous-médicalisée, accès direct spécifique, moins de 16 ans).

Cap (docs/rules.md §D.3, confidence **L**): the SNDS documentation caps the majoration at 40 % of
the G tariff per act (10.60 € with G 26.50, 12.00 € with G 30). It changes nothing for a G; for
a dearer act the cap applies and the user is told to check.

The majoration applies to acts at the standard rate only (exonerated care is not concerned —
reading L). ``amo_in_parcours`` keeps the AMO before the majoration: a contrat responsable must
not cover the majoration (``amc.py``); the C2S covers it.
"""

from __future__ import annotations

from decimal import Decimal

from openfse.domain.pricing.codes import Parcours, Profession
from openfse.domain.pricing.work import Context, Line
from openfse.money import round_cents

_HUNDRED = Decimal(100)

# docs/formats/price.md `parcours` = acces_direct: gynécologie, ophtalmologie, psychiatrie (16–25
# y), stomatologie… (docs/rules.md §D.3). Other specialities are warned about.
ACCES_DIRECT_SPECIALITES = frozenset(
    {
        "gynecologie",
        "gynecologie_medicale",
        "gynecologie_obstetrique",
        "ophtalmologie",
        "psychiatrie",
        "neuropsychiatrie",
        "stomatologie",
        "chirurgie_maxillo_faciale_et_stomatologie",
    }
)


def apply(ctx: Context, lines: list[Line]) -> None:
    draft = ctx.draft
    if draft.profession is not Profession.MEDECIN:
        return
    parcours = draft.patient.parcours
    if parcours is None:
        ctx.warn(
            "parcours_non_renseigne",
            "Situation au regard du parcours de soins non renseignée : facture traitée comme "
            "dans le parcours.",
        )
        return
    if parcours is Parcours.ACCES_DIRECT:
        specialite = draft.ps.specialite
        if specialite is not None and specialite not in ACCES_DIRECT_SPECIALITES:
            ctx.warn(
                "acces_direct_specialite",
                f"Accès direct spécifique déclaré pour la spécialité {specialite}, qui n'en "
                "bénéficie pas : à vérifier.",
            )
        return
    if parcours is not Parcours.HORS_PARCOURS:
        return
    age = draft.patient.age
    if age is not None and age < ctx.params.parcours_age_limit:
        ctx.warn(
            "hors_parcours_mineur",
            f"Patient de moins de {ctx.params.parcours_age_limit} ans : le parcours de soins ne "
            "s'applique pas, pas de majoration hors parcours.",
        )
        return
    for line in lines:
        if line.reason.standard and line.br > 0:
            _majorer(ctx, line)


def _majorer(ctx: Context, line: Line) -> None:
    params = line.params
    points = params.hors_parcours_points
    majoration = round_cents(line.br * points / _HUNDRED)
    g_value = ctx.tariffs.ngap(Profession.MEDECIN, "G", line.on)
    if g_value is not None:
        cap = round_cents(g_value * params.hors_parcours_cap_ratio_of_g)
        if majoration > cap:
            ctx.warn(
                "hors_parcours_plafond",
                f"Majoration hors parcours plafonnée à {cap} € (40 % du G) au lieu de "
                f"{majoration} € : plafond à confiance faible, à vérifier.",
                line.index,
            )
            majoration = cap
    majoration = min(majoration, line.amo)
    line.amo -= majoration
    line.taux -= points
