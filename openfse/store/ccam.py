"""Tables of the imported CCAM, and save/load of a :class:`CcamCatalog`.

The CCAM is national reference data published by the Assurance Maladie, identical for every
cabinet: these tables are deliberately **not** cabinet-scoped (no ``cabinet_id``, no foreign
key to ``cabinet``), unlike the billing data.

- ``ccam_version``: one row per imported file (version label, applicable date, import time,
  source file name, SHA-256). The SHA-256 is unique: importing the same file twice is a no-op.
- ``ccam_act``, ``ccam_line`` (code × activity × phase), ``ccam_line_tariff`` (per grid and
  period, price in integer cents or NULL for "Non pris en charge"), ``ccam_modifier`` and
  ``ccam_modifier_value`` (per grid: euros in cents, or a percentage kept as exact text).

Tariffs keep their history: a newer version is merged into the stored catalogue by
:meth:`CcamCatalog.merge` (older prices end the day before the new version applies) and the
merged catalogue replaces the stored one, in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from openfse.domain.clock import system_time
from openfse.referentials.ccam import (
    CcamAct,
    CcamCatalog,
    CcamDataError,
    CcamLine,
    CcamModifier,
    CcamTariff,
    ModifierValue,
    ModifierVariant,
)
from openfse.store.base import Base, MoneyCents

__all__ = [
    "CCAM_TABLES",
    "CcamActRow",
    "CcamLineRow",
    "CcamLineTariffRow",
    "CcamModifierRow",
    "CcamModifierValueRow",
    "CcamVersionInfo",
    "CcamVersionRow",
    "SaveOutcome",
    "ccam_versions",
    "latest_version_id",
    "load_catalog",
    "save_catalog",
]


class CcamVersionRow(Base):
    __tablename__ = "ccam_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(40))
    applicable: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)


class CcamActRow(Base):
    __tablename__ = "ccam_act"

    code: Mapped[str] = mapped_column(String(7), primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    chapter: Mapped[str] = mapped_column(String(16))
    chapter_label: Mapped[str] = mapped_column(Text)
    regroupement: Mapped[str] = mapped_column(String(8))
    exo_tm: Mapped[str] = mapped_column(String(8))
    remb_sous_conditions: Mapped[bool] = mapped_column(Boolean)
    accord_prealable: Mapped[bool] = mapped_column(Boolean)
    modifiers: Mapped[list[str]] = mapped_column(JSON)
    associated_codes: Mapped[list[str]] = mapped_column(JSON)
    notes: Mapped[list[str]] = mapped_column(JSON)


class CcamLineRow(Base):
    __tablename__ = "ccam_line"
    __table_args__ = (ForeignKeyConstraint(["code"], ["ccam_act.code"], ondelete="CASCADE"),)

    code: Mapped[str] = mapped_column(String(7), primary_key=True)
    activity: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    phase: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    regroupement: Mapped[str] = mapped_column(String(8))
    exo_tm: Mapped[str] = mapped_column(String(8))
    remb_sous_conditions: Mapped[bool] = mapped_column(Boolean)
    accord_prealable: Mapped[bool] = mapped_column(Boolean)


class CcamLineTariffRow(Base):
    __tablename__ = "ccam_line_tariff"
    __table_args__ = (
        ForeignKeyConstraint(
            ["code", "activity", "phase"],
            ["ccam_line.code", "ccam_line.activity", "ccam_line.phase"],
            ondelete="CASCADE",
        ),
    )

    code: Mapped[str] = mapped_column(String(7), primary_key=True)
    activity: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    phase: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    grid: Mapped[str] = mapped_column(String(32), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    end: Mapped[date | None] = mapped_column(Date)
    # NULL = "Non pris en charge"
    price: Mapped[Decimal | None] = mapped_column(MoneyCents)


class CcamModifierRow(Base):
    __tablename__ = "ccam_modifier"

    code: Mapped[str] = mapped_column(String(1), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    end: Mapped[date | None] = mapped_column(Date)
    label: Mapped[str] = mapped_column(Text)
    # [{"label": …, "values": {grid: {"kind": "amount"|"percent", "value": "50.00"}}}]
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class CcamModifierValueRow(Base):
    __tablename__ = "ccam_modifier_value"
    __table_args__ = (
        ForeignKeyConstraint(
            ["code", "start"], ["ccam_modifier.code", "ccam_modifier.start"], ondelete="CASCADE"
        ),
        CheckConstraint("(amount IS NULL) <> (percent IS NULL)", name="amount_or_percent"),
    )

    code: Mapped[str] = mapped_column(String(1), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    grid: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[Decimal | None] = mapped_column(MoneyCents)
    # Percentage points as exact decimal text ("15.7"): not money, and NUMERIC is a float
    # on SQLite (sqlite.org/datatype3.html).
    percent: Mapped[str | None] = mapped_column(String(16))


def _table(row: type[Base]) -> Table:
    return cast(Table, row.__table__)


# Parents first: create in this order, delete in reverse.
CCAM_TABLES: tuple[Table, ...] = tuple(
    _table(row)
    for row in (
        CcamVersionRow,
        CcamActRow,
        CcamLineRow,
        CcamLineTariffRow,
        CcamModifierRow,
        CcamModifierValueRow,
    )
)


@dataclass(frozen=True, slots=True)
class CcamVersionInfo:
    id: int
    version: str
    applicable: date
    imported_at: datetime
    source_name: str
    sha256: str


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """What :func:`save_catalog` did: the stored catalogue, or nothing for a known file."""

    skipped_duplicate: bool
    catalog: CcamCatalog | None


def save_catalog(
    session: Session,
    catalog: CcamCatalog,
    *,
    source_name: str,
    sha256: str,
    imported_at: datetime | None = None,
) -> SaveOutcome:
    """Store an imported CCAM version, merged with the stored one, in the current transaction.

    A file already imported (same SHA-256) changes nothing. Otherwise the stored catalogue is
    merged with ``catalog`` (raises :class:`CcamVersionOrderError` if ``catalog`` is older)
    and replaces the rows. The caller commits (e.g. ``with session.begin():``).
    """
    known = session.scalar(select(CcamVersionRow.id).where(CcamVersionRow.sha256 == sha256))
    if known is not None:
        return SaveOutcome(skipped_duplicate=True, catalog=None)
    applicable = catalog.applicable
    if applicable is None:
        raise CcamDataError("La CCAM importée ne contient aucun tarif : rien à enregistrer")
    current = load_catalog(session)
    merged = catalog if current is None else current.merge(catalog)
    for table in reversed(CCAM_TABLES[1:]):
        session.execute(delete(table))
    _insert_catalog(session, merged)
    session.add(
        CcamVersionRow(
            version=catalog.version,
            applicable=applicable,
            imported_at=imported_at or system_time(),
            source_name=source_name,
            sha256=sha256,
        )
    )
    session.flush()
    return SaveOutcome(skipped_duplicate=False, catalog=merged)


def _insert_catalog(session: Session, catalog: CcamCatalog) -> None:
    acts: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    tariffs: list[dict[str, Any]] = []
    for act in catalog.acts:
        acts.append(
            {
                "code": act.code,
                "label": act.label,
                "chapter": act.chapter,
                "chapter_label": act.chapter_label,
                "regroupement": act.regroupement,
                "exo_tm": act.exo_tm,
                "remb_sous_conditions": act.remb_sous_conditions,
                "accord_prealable": act.accord_prealable,
                "modifiers": list(act.modifiers),
                "associated_codes": list(act.associated_codes),
                "notes": list(act.notes),
            }
        )
        for line in act.lines:
            key = {"code": act.code, "activity": line.activity, "phase": line.phase}
            lines.append(
                key
                | {
                    "label": line.label,
                    "regroupement": line.regroupement,
                    "exo_tm": line.exo_tm,
                    "remb_sous_conditions": line.remb_sous_conditions,
                    "accord_prealable": line.accord_prealable,
                }
            )
            tariffs.extend(
                key | {"grid": t.grid, "start": t.start, "end": t.end, "price": t.price}
                for t in line.tariffs
            )
    modifiers: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    for modifier in catalog.modifiers:
        key = {"code": modifier.code, "start": modifier.start}
        modifiers.append(
            key
            | {
                "end": modifier.end,
                "label": modifier.label,
                "variants": [_variant_json(v) for v in modifier.variants],
            }
        )
        values.extend(key | {"grid": grid} | _value_columns(value)
                      for grid, value in modifier.grid_values.items())  # fmt: skip
    for row_class, rows in (
        (CcamActRow, acts),
        (CcamLineRow, lines),
        (CcamLineTariffRow, tariffs),
        (CcamModifierRow, modifiers),
        (CcamModifierValueRow, values),
    ):
        if rows:
            # Core insert of the table (not the ORM class): one executemany, no unit of work.
            session.execute(insert(_table(row_class)), rows)


def _value_columns(value: ModifierValue) -> dict[str, Any]:
    if value.kind == "amount":
        return {"amount": value.value, "percent": None}
    return {"amount": None, "percent": f"{value.value:f}"}


def _value_from_columns(amount: Decimal | None, percent: str | None) -> ModifierValue:
    if percent is not None:
        return ModifierValue("percent", Decimal(percent))
    assert amount is not None  # guaranteed by the amount_or_percent check constraint
    return ModifierValue("amount", amount)


def _variant_json(variant: ModifierVariant) -> dict[str, Any]:
    return {
        "label": variant.label,
        "values": {
            grid: {"kind": value.kind, "value": f"{value.value:f}"}
            for grid, value in variant.grid_values.items()
        },
    }


def _variant_from_json(data: dict[str, Any]) -> ModifierVariant:
    return ModifierVariant(
        label=str(data["label"]),
        grid_values={
            grid: ModifierValue(value["kind"], Decimal(value["value"]))
            for grid, value in data["values"].items()
        },
    )


def load_catalog(session: Session) -> CcamCatalog | None:
    """The stored CCAM (every version merged), or None when no CCAM was imported."""
    latest = session.execute(
        select(CcamVersionRow.version)
        .order_by(CcamVersionRow.applicable.desc(), CcamVersionRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is None:
        return None
    tariffs: dict[tuple[str, int, int], list[CcamTariff]] = defaultdict(list)
    for row in session.execute(select(_table(CcamLineTariffRow))):
        tariffs[(row.code, row.activity, row.phase)].append(
            CcamTariff(row.grid, row.price, row.start, row.end)
        )
    lines: dict[str, list[CcamLine]] = defaultdict(list)
    for row in session.execute(select(_table(CcamLineRow))):
        key = (row.code, row.activity, row.phase)
        lines[row.code].append(
            CcamLine(
                activity=row.activity,
                phase=row.phase,
                label=row.label,
                tariffs=tuple(tariffs.get(key, ())),
                regroupement=row.regroupement,
                exo_tm=row.exo_tm,
                remb_sous_conditions=row.remb_sous_conditions,
                accord_prealable=row.accord_prealable,
            )
        )
    acts = [
        CcamAct(
            code=row.code,
            label=row.label,
            chapter=row.chapter,
            chapter_label=row.chapter_label,
            regroupement=row.regroupement,
            exo_tm=row.exo_tm,
            remb_sous_conditions=row.remb_sous_conditions,
            accord_prealable=row.accord_prealable,
            modifiers=tuple(row.modifiers),
            associated_codes=tuple(row.associated_codes),
            lines=tuple(lines.get(row.code, ())),
            notes=tuple(row.notes),
        )
        for row in session.execute(select(_table(CcamActRow)))
    ]
    return CcamCatalog(version=latest, acts=tuple(acts), modifiers=_load_modifiers(session))


def _load_modifiers(session: Session) -> tuple[CcamModifier, ...]:
    values: dict[tuple[str, date], dict[str, ModifierValue]] = defaultdict(dict)
    for row in session.execute(select(_table(CcamModifierValueRow))):
        values[(row.code, row.start)][row.grid] = _value_from_columns(row.amount, row.percent)
    modifiers: list[CcamModifier] = []
    for row in session.execute(select(_table(CcamModifierRow))):
        modifiers.append(
            CcamModifier(
                code=row.code,
                label=row.label,
                grid_values=values.get((row.code, row.start), {}),
                start=row.start,
                end=row.end,
                variants=tuple(_variant_from_json(v) for v in row.variants),
            )
        )
    return tuple(modifiers)


def ccam_versions(session: Session) -> list[CcamVersionInfo]:
    """Imported CCAM files, most recent version first."""
    rows = session.scalars(
        select(CcamVersionRow).order_by(CcamVersionRow.applicable.desc(), CcamVersionRow.id.desc())
    )
    return [
        CcamVersionInfo(r.id, r.version, r.applicable, r.imported_at, r.source_name, r.sha256)
        for r in rows
    ]


def latest_version_id(session: Session) -> int | None:
    """Id of the last import: a cheap way to know whether a cached catalogue is stale."""
    return session.scalar(select(CcamVersionRow.id).order_by(CcamVersionRow.id.desc()).limit(1))
