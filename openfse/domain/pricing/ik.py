"""Indemnités kilométriques: billable kilometres from the one-way distance (NGAP art. 13 C).

« Lorsque la résidence du malade et le domicile professionnel … ne sont pas situés dans la même
agglomération … les frais de déplacement sont remboursés sur la base d'une indemnité
kilométrique, sous déduction d'un nombre de kilomètres fixé à 2 sur le trajet tant aller que
retour dans les zones de plaine, à 1 en montagne. » (docs/rules.md §A.4, confidence H.)

So the billable quantity of an IK line is ``2 × one-way distance − 2 × abattement``: 7 km in
plaine gives 2 × 7 − 4 = 10 km; 0 when the patient lives within the abattement. The same
abattement applies to every profession; the value per km differs (tariffs). IKS (à pied / à
ski) is taken as montagne (confidence L).

Infirmiers have a daily ceiling (avenant 6, 31/03/2020: km 1–299 of the day paid 100 %, 300–399
at 50 %, 400 and more at 0 %). It spans every invoice of the day, which one invoice cannot see:
the engine only warns when a single invoice already passes the full-rate band.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from openfse.domain.pricing.codes import IkZone, Profession
from openfse.domain.pricing.errors import DraftError, act_field
from openfse.domain.pricing.work import ActKind, Context, Line
from openfse.referentials.regulatory import RegulatorySnapshot

ZONE_OF_CODE: dict[str, IkZone] = {
    "IK": IkZone.PLAINE,
    "IKM": IkZone.MONTAGNE,
    "IKS": IkZone.PIED_SKI,
}

_TWO = Decimal(2)


def billable_km(one_way_km: Decimal, zone: IkZone, params: RegulatorySnapshot) -> int:
    """NGAP art. 13 C: round trip minus the abattement of each way, never below zero.

    Kilometres are billed as whole units: a fractional distance is rounded half-up at the end.

    >>> from datetime import date
    >>> from openfse.referentials.regulatory import snapshot
    >>> billable_km(Decimal(7), IkZone.PLAINE, snapshot(date(2025, 3, 3)))
    10
    >>> billable_km(Decimal(7), IkZone.MONTAGNE, snapshot(date(2025, 3, 3)))
    12
    >>> billable_km(Decimal("1.5"), IkZone.PLAINE, snapshot(date(2025, 3, 3)))
    0
    """
    abattement = params.ik_abattement_each_way[zone]
    km = _TWO * one_way_km - _TWO * abattement
    if km <= 0:
        return 0
    return int(km.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quantity_from_distance(ctx: Context, line: Line) -> int:
    """The billable km of a line given with ``distance_km`` (refused on other lines)."""
    distance = line.draft.distance_km
    assert distance is not None
    zone = ZONE_OF_CODE.get(line.draft.code)
    if zone is None:
        raise DraftError(
            act_field(line.index, "distance_km"),
            f"distance_km only applies to IK, IKM and IKS lines, not to {line.draft.code}",
            f"La distance ne s'applique qu'aux indemnités kilométriques (IK, IKM, IKS), "
            f"pas à {line.draft.code}.",
        )
    km = billable_km(distance, zone, line.params)
    typed = line.draft.quantity
    if typed is not None and typed != km:
        raise DraftError(
            act_field(line.index, "quantity"),
            f"quantity {typed} contradicts distance_km {distance}: {km} billable km "
            "(NGAP art. 13 C abattement); give one or the other",
            f"La quantité {typed} contredit la distance de {distance} km : {km} km facturables "
            "après abattement (NGAP art. 13 C).",
        )
    if km == 0:
        ctx.warn(
            "ik_non_due",
            f"Distance de {distance} km : aucune indemnité kilométrique n'est due après "
            "l'abattement (NGAP art. 13 C).",
            line.index,
        )
    return km


def check_infirmier_daily_ceiling(ctx: Context, lines: list[Line]) -> None:
    """Warn when one nurse invoice alone exceeds the full-rate IK band of the day."""
    if ctx.draft.profession is not Profession.INFIRMIER:
        return
    limit = ctx.params.infirmier_ik_daily_full_km
    if limit is None:
        return
    total = sum(line.quantity for line in lines if line.kind is ActKind.IK)
    if total > limit:
        ctx.warn(
            "ik_plafond_journalier",
            f"{total} km d'indemnités kilométriques sur cette facture : au-delà de {limit} km "
            "par jour, les IK des infirmiers sont réduites (50 % de 300 à 399 km, 0 au-delà). "
            "Le plafond porte sur toute la journée : à vérifier.",
        )
