"""Dated regulatory parameters of the pricing engine (rates, participations, thresholds).

Each parameter is a decimal value valid over a period, with its public source and a confidence
level (H official or concordant sources, M one good secondary source, L inferred — verify
before relying on it), read from ``data/regulatory.csv`` through the shared
:class:`~openfse.referentials._dated.DatedTable` mechanism. Examples of what changes with the
date of care (docs/rules.md §0, D):

- participation forfaitaire 1 € → 2 € on 15/05/2024; franchise 0.50 € → 1 € on 31/03/2024;
- forfait « actes lourds » 18 € → 24 € on 01/01/2019 (threshold 120 € or coefficient 60);
- AMO rate of dentists 70 % → 60 % on 15/10/2023; EBD co-financing 60/40 from 01/04/2025.

>>> from datetime import date
>>> value("participation_forfaitaire.amount", date(2024, 5, 14))
Decimal('1.00')
>>> snapshot(date(2024, 5, 15)).pf_amount
Decimal('2.00')
>>> snapshot(date(2023, 10, 15)).amo_rates["chirurgien_dentiste"]
Decimal('60')

``snapshot(on)`` resolves every parameter for one date once (cached): the engine reads plain
attributes in its hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache, lru_cache
from types import MappingProxyType

from openfse.errors import UnknownTariff
from openfse.referentials._dated import (
    DatedTable,
    ReferentialDataError,
    format_date,
    parse_date,
    parse_optional_date,
    read_data_rows,
)

__all__ = [
    "Confidence",
    "RegulatoryParameter",
    "RegulatorySnapshot",
    "parameter",
    "parameters",
    "snapshot",
    "value",
]

DATA_FILE = "regulatory.csv"

# Professions whose AMO rate the data file must give (docs/formats/price.md `profession` values).
PROFESSIONS = (
    "medecin",
    "infirmier",
    "masseur_kinesitherapeute",
    "sage_femme",
    "chirurgien_dentiste",
    "orthophoniste",
    "orthoptiste",
    "pedicure_podologue",
)
IK_ZONES = ("plaine", "montagne", "pied_ski")


class Confidence(StrEnum):
    HIGH = "H"
    MEDIUM = "M"
    LOW = "L"


@dataclass(frozen=True, slots=True)
class RegulatoryParameter:
    key: str
    value: Decimal
    start: date  # inclusive
    end: date | None  # exclusive; None = still in force
    confidence: Confidence
    source: str
    note: str


@cache
def _table() -> DatedTable[str, RegulatoryParameter]:
    rows = []
    for number, row in enumerate(read_data_rows(DATA_FILE), start=1):
        where = f"{DATA_FILE}, enregistrement {number}"
        try:
            amount = Decimal(row["value"])
            confidence = Confidence(row["confidence"])
        except (InvalidOperation, ValueError):
            raise ReferentialDataError(f"{where} : valeur ou confiance invalide.") from None
        rows.append(
            RegulatoryParameter(
                key=row["key"],
                value=amount,
                start=parse_date(row["start"], where=where),
                end=parse_optional_date(row["end"], where=where),
                confidence=confidence,
                source=row["source"],
                note=row["note"],
            )
        )
    return DatedTable(rows, key=lambda parameter: parameter.key, name=DATA_FILE)


def parameters() -> tuple[RegulatoryParameter, ...]:
    """Every period of every parameter (for documentation and tests)."""
    return tuple(_table().rows())


def parameter(key: str, on: date) -> RegulatoryParameter | None:
    """The period of ``key`` in force on ``on`` (with its source and confidence), or None."""
    return _table().at(key, on)


def value(key: str, on: date) -> Decimal:
    """The value of ``key`` on ``on``.

    Raises:
        UnknownTariff: no value of this parameter is in force on that date.
    """
    found = _table().at(key, on)
    if found is None:
        raise UnknownTariff(
            f"Paramètre réglementaire {key} inconnu au {format_date(on)}.", field="date_soins"
        )
    return found.value


def _optional(key: str, on: date) -> Decimal | None:
    found = _table().at(key, on)
    return None if found is None else found.value


@dataclass(frozen=True, slots=True)
class RegulatorySnapshot:
    """Every parameter the engine needs, resolved for one date of care."""

    on: date
    pf_amount: Decimal
    pf_max_per_day: int
    franchise_amount: Decimal
    franchise_daily_ceiling: Decimal
    forfait_amount: Decimal
    forfait_threshold_amount: Decimal
    forfait_threshold_coefficient: Decimal
    amo_rates: Mapping[str, Decimal]  # profession → percent
    alsace_moselle_rate: Decimal
    cox_rate: Decimal
    exonere_rate: Decimal
    ebd_with_amc_rate: Decimal
    ebd_exo_min_age: int | None  # None before the 01/04/2025 co-financing
    ebd_exo_max_age: int | None
    hors_parcours_points: Decimal
    hors_parcours_cap_ratio_of_g: Decimal
    da_max_ratio: Decimal
    parcours_age_limit: int
    minor_age: int
    ik_abattement_each_way: Mapping[str, Decimal]  # zone → km
    infirmier_ik_daily_full_km: int | None


@lru_cache(maxsize=4096)
def snapshot(on: date) -> RegulatorySnapshot:
    """All parameters in force on ``on``, cached per date.

    Raises:
        UnknownTariff: the date is before the oldest period the data file covers.
    """
    ebd_min = _optional("ebd.exo_prevention_min_age", on)
    ebd_max = _optional("ebd.exo_prevention_max_age", on)
    ik_full = _optional("ik.infirmier.daily_full_rate_km", on)
    return RegulatorySnapshot(
        on=on,
        pf_amount=value("participation_forfaitaire.amount", on),
        pf_max_per_day=int(value("participation_forfaitaire.max_per_day", on)),
        franchise_amount=value("franchise.paramedical_act.amount", on),
        franchise_daily_ceiling=value("franchise.paramedical_act.daily_ceiling", on),
        forfait_amount=value("forfait_actes_lourds.amount", on),
        forfait_threshold_amount=value("forfait_actes_lourds.threshold_amount", on),
        forfait_threshold_coefficient=value("forfait_actes_lourds.threshold_coefficient", on),
        amo_rates=MappingProxyType(
            {profession: value(f"amo_rate.{profession}", on) for profession in PROFESSIONS}
        ),
        alsace_moselle_rate=value("amo_rate.alsace_moselle", on),
        cox_rate=value("amo_rate.examens_obligatoires_enfant", on),
        exonere_rate=value("amo_rate.exonere", on),
        ebd_with_amc_rate=value("amo_rate.ebd_with_amc", on),
        ebd_exo_min_age=None if ebd_min is None else int(ebd_min),
        ebd_exo_max_age=None if ebd_max is None else int(ebd_max),
        hors_parcours_points=value("hors_parcours.majoration_points", on),
        hors_parcours_cap_ratio_of_g=value("hors_parcours.cap_ratio_of_g", on),
        da_max_ratio=value("hors_parcours.depassement_autorise_max_ratio", on),
        parcours_age_limit=int(value("parcours.age_limit", on)),
        minor_age=int(value("exemption.minor_age", on)),
        ik_abattement_each_way=MappingProxyType(
            {zone: value(f"ik.abattement_km_each_way.{zone}", on) for zone in IK_ZONES}
        ),
        infirmier_ik_daily_full_km=None if ik_full is None else int(ik_full),
    )
