"""The simulated caisse's own check of the common amounts, table-driven, as a liquidation
service checks an FSE line against its tariff tables — independently of the product's pricing
engine, so that a wrong price in the product is refused here (R05) instead of agreed with.

What is checked, per ``ACT`` line of an FSE or DRE (lot.md §3), in mainland France:

- the **base de remboursement** of the common NGAP acts = letter-key value × coefficient ×
  quantity, or half of it (a second act of the session at 50 %, NGAP, Première partie,
  article 11 B « Actes multiples au cours de la même séance »), or the honoraires when the
  professional billed less than the tariff (but not the tariff of another period: a table not
  updated), or nothing (an act the caisse does not pay);
- for those acts, the **taux AMO** is one of the rates the caisse applies: 70 % (honoraires
  médicaux), 60 % (auxiliaires médicaux), 90 % (régime local d'Alsace-Moselle), 100 %
  (exonération: ALD, maternité, AT, C2S/AME…) — art. R.160-5 CSS and L.160-14 CSS — or 0 %
  (not paid by the AMO: soins médicaux gratuits, a prestation it does not cover), or 30 / 50 %
  (hors parcours de soins: 40 points less, art. L.162-5-3 CSS);
- the **part AMO** of the line is at most base × taux, rounded to the cent (less when a
  participation is taken on it: the forfait of 24 € on a heavy session, art. R.160-16 CSS);
- on the invoice, the **participations** (participation forfaitaire of 2 € per medical act,
  franchise of 1 € per paramedical act, art. L.160-13 CSS, amounts since 15/05/2024 and
  31/03/2024, ameli.fr « Participation forfaitaire et franchise médicale ») are at most those
  amounts per act.

Acts the table does not list (CCAM, rare NGAP codes, overseas caisses whose tariffs differ)
are not priced here: the caisse only checks what it knows, and says exactly what disagrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from openfse.simulators.caisse.wire import ActLine, InvoiceRecord

__all__ = ["KEY_VALUES", "amounts_problem"]

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One letter-key value in force from ``start`` (inclusive) to ``end`` (exclusive)."""

    code: str
    value: Decimal
    start: date
    end: date | None
    medical: bool  # participation forfaitaire (medical) or franchise (paramedical)


# Mainland values (sources: ameli.fr « Tarifs conventionnels des médecins généralistes »
# — G/GS/VG 30 € since 22/12/2024, MD 10 €; « Tarifs conventionnels des infirmiers » — AMI and
# AMX 3,15 €, AIS 2,65 €, IFD 2,75 € since 28/01/2024; « Tarifs conventionnels des
# masseurs-kinésithérapeutes » — AMK 2,21 € since 22/02/2024 (avenant 7).
KEY_VALUES: tuple[KeyValue, ...] = (
    KeyValue("G", Decimal("25.00"), date(2017, 5, 1), date(2023, 11, 1), True),
    KeyValue("G", Decimal("26.50"), date(2023, 11, 1), date(2024, 12, 22), True),
    KeyValue("G", Decimal("30.00"), date(2024, 12, 22), None, True),
    KeyValue("GS", Decimal("26.50"), date(2023, 11, 1), date(2024, 12, 22), True),
    KeyValue("GS", Decimal("30.00"), date(2024, 12, 22), None, True),
    KeyValue("VG", Decimal("30.00"), date(2024, 12, 22), None, True),
    KeyValue("VGS", Decimal("30.00"), date(2024, 12, 22), None, True),
    KeyValue("MD", Decimal("10.00"), date(2024, 1, 1), None, True),
    KeyValue("AMI", Decimal("3.15"), date(2009, 4, 15), None, False),
    KeyValue("AMX", Decimal("3.15"), date(2020, 1, 1), None, False),
    KeyValue("AIS", Decimal("2.65"), date(2009, 4, 15), None, False),
    KeyValue("IFD", Decimal("2.75"), date(2024, 1, 28), None, False),  # infirmier
    KeyValue("IFD", Decimal("2.50"), date(2024, 1, 1), None, False),  # masseur-kiné
    KeyValue("AMK", Decimal("2.21"), date(2024, 2, 22), None, False),
)
# Rates the caisse pays (percent): R.160-5 CSS (70 / 60), régime local (90), exonération (100).
# Hors parcours de soins, 40 points less: 70 → 30 %, régime local 90 → 50 % (art. L.162-5-3
# CSS).
RATES = frozenset({Decimal(rate) for rate in (0, 30, 50, 60, 70, 90, 100)})
PARTICIPATION_FORFAITAIRE = Decimal("2.00")  # per medical act, since 15/05/2024
FRANCHISE = Decimal("1.00")  # per paramedical act, since 31/03/2024
_OVERSEAS_CAISSES = ("971", "972", "973", "974", "976")


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _eur(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",") + " €"


def key_values(code: str, on: date) -> list[KeyValue]:
    """The values of ``code`` in force on ``on`` (one per profession that bills it)."""
    return [k for k in KEY_VALUES
            if k.code == code and k.start <= on and (k.end is None or on < k.end)]


def amounts_problem(invoice: InvoiceRecord) -> str:
    """What disagrees with the tables, in French ("" when nothing the caisse knows does)."""
    if invoice.organisme[2:5] in _OVERSEAS_CAISSES:
        return ""  # overseas letter-key values differ: not in this table
    most_participations = Decimal("0.00")
    for act in invoice.acts:
        problem = _act_problem(act)
        if problem:
            return problem
        known = key_values(act.code, act.date) if act.nomenclature == "NGAP" else []
        if known and act.code not in ("MD", "IFD"):
            most_participations += PARTICIPATION_FORFAITAIRE if known[0].medical else FRANCHISE
        elif not known:
            most_participations += PARTICIPATION_FORFAITAIRE  # unknown act: the larger amount
    if invoice.participations > most_participations:
        return (f"participations {_eur(invoice.participations)}, au plus "
                f"{_eur(most_participations)} pour ces actes")
    return ""


def _act_problem(act: ActLine) -> str:
    known = key_values(act.code, act.date) if act.nomenclature == "NGAP" else []
    if not known:
        return ""  # CCAM (forfait 24 €, associations…) and rare codes: not this table's
    if act.rate not in RATES:
        return f"acte {act.code} : taux AMO {act.rate} % inconnu de la caisse"
    most_amo = _round(act.base * act.rate / 100)
    if act.amo > most_amo:
        return (f"acte {act.code} : part AMO {_eur(act.amo)}, au plus {_eur(most_amo)} "
                f"({act.rate} % de {_eur(act.base)})")
    fulls = [_round(k.value * act.coefficient * act.quantity) for k in known]
    allowed = {Decimal("0.00"), *fulls, *(_round(full / 2) for full in fulls)}
    # The tariff of another period is the classic error (a table not updated), even when the
    # honoraires say the same; otherwise billing under the tariff is the professional's right.
    stale = {_round(k.value * act.coefficient * act.quantity)
             for k in KEY_VALUES if k.code == act.code and k not in known}
    if act.base in allowed or (act.base == act.honoraires and act.base < max(fulls)
                               and act.base not in stale):
        return ""
    return (f"acte {act.code} : base {_eur(act.base)}, tarif {_eur(fulls[0])} "
            f"({act.coefficient} × {_eur(known[0].value)})")
