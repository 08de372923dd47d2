"""Favourite care ("soins favoris", manuel eS-KAP+): a labelled set of act lines a professional
bills often, copied into an invoice in one keystroke.

An act line holds what the act editor lets the user set: code (NGAP letter key, COx code or
CCAM code) and its nomenclature, with quantity and coefficient, CCAM activity/phase/modifiers,
an optional unit price override ("tarification"), the qualificatif de dépense and an
indemnité forfaitaire (IFD…). Coefficients keep up to three decimals, like the pricing
contract (docs/formats/price.md).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openfse.store.base import Base, CabinetScoped, MoneyCents
from openfse.store.models.common import (
    IntId,
    SearchKeyed,
    Timestamps,
    search_column_type,
    tenant_fk,
    tenant_unique,
)
from openfse.store.models.types import ScaledDecimal


class Favourite(IntId, Timestamps, SearchKeyed, CabinetScoped, Base):
    """A named favourite, owned by the professional who created it (NULL: whole cabinet)."""

    __tablename__ = "favourite"
    __table_args__ = (
        tenant_unique(),
        tenant_fk("professional_id", "professional", ondelete="CASCADE"),
        Index("ix_favourite_cabinet_search", "cabinet_id", "search_label"),
    )
    __search_keys__ = {"search_label": ("label",)}

    professional_id: Mapped[int | None] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(String(200))
    search_label: Mapped[str] = mapped_column(search_column_type(200))

    acts: Mapped[list[FavouriteAct]] = relationship(
        back_populates="favourite", cascade="all, delete-orphan", passive_deletes=True,
        order_by="FavouriteAct.position")


class FavouriteAct(IntId, CabinetScoped, Base):
    """One act line of a favourite, in display order."""

    __tablename__ = "favourite_act"
    __table_args__ = (
        tenant_fk("favourite_id", "favourite", ondelete="CASCADE"),
        CheckConstraint("quantity >= 1", name="quantity"),
        CheckConstraint("nomenclature IN ('NGAP', 'CCAM', 'COX')", name="nomenclature"),
    )

    favourite_id: Mapped[int] = mapped_column(index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    code: Mapped[str] = mapped_column(String(13))  # "AMI", "C", "AFLB001"…
    nomenclature: Mapped[str] = mapped_column(String(4), default="NGAP")  # NGAP | CCAM | COX
    quantity: Mapped[int] = mapped_column(SmallInteger, default=1)
    coefficient: Mapped[Decimal | None] = mapped_column(ScaledDecimal(3))  # NGAP, e.g. 4.5
    activity: Mapped[str | None] = mapped_column(String(1))  # CCAM activité
    phase: Mapped[str | None] = mapped_column(String(1))  # CCAM phase
    modifiers: Mapped[str | None] = mapped_column(String(4))  # CCAM, up to 4 letters
    unit_price: Mapped[Decimal | None] = mapped_column(MoneyCents)  # tarification override
    qualificatif_depense: Mapped[str | None] = mapped_column(String(1))
    travel_allowance_code: Mapped[str | None] = mapped_column(String(4))  # IFD, IFA…

    favourite: Mapped[Favourite] = relationship(back_populates="acts")
