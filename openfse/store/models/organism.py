"""The cabinet's own lists of AMO and AMC organisms ("fiches organisme", manuel eS-KAP+).

They start as copies of the reference lists (``openfse.referentials``) and the desk may edit
them: an address, a routing field, a comment. ``user_edited`` marks a row a re-import of the
reference must not overwrite.
"""

from __future__ import annotations

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import (
    Address,
    AmcGestion,
    IntId,
    SearchKeyed,
    Timestamps,
    search_column_type,
    str_enum,
    tenant_unique,
)


class OrganismFiche(IntId, Timestamps, Address, SearchKeyed, CabinetScoped):
    """Columns common to both fiches: contact details, state, name search key."""

    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    comment: Mapped[str | None] = mapped_column(Text)
    favourite: Mapped[bool] = mapped_column(default=False)  # shown first in pickers
    active: Mapped[bool] = mapped_column(default=True)
    user_edited: Mapped[bool] = mapped_column(default=False)
    search_name: Mapped[str] = mapped_column(search_column_type(200))


class AmoOrganism(OrganismFiche, Base):
    """An AMO organism: régime + caisse + centre (e.g. 01 349 9881)."""

    __tablename__ = "amo_organism"
    __table_args__ = (
        UniqueConstraint("cabinet_id", "regime", "caisse", "centre",
                         name="uq_amo_organism_cabinet_code"),
        Index("ix_amo_organism_cabinet_search", "cabinet_id", "search_name"),
    )
    __search_keys__ = {"search_name": ("name",)}

    regime: Mapped[str] = mapped_column(String(2))
    caisse: Mapped[str] = mapped_column(String(3))
    centre: Mapped[str] = mapped_column(String(4))
    flux: Mapped[str | None] = mapped_column(String(20))  # transmission flow (manuel eS-KAP+)
    destination_type: Mapped[str | None] = mapped_column(String(2))  # "type destinataire"


class AmcOrganism(OrganismFiche, Base):
    """An AMC organism (mutuelle, assureur, institution de prévoyance) and its routing."""

    __tablename__ = "amc_organism"
    __table_args__ = (
        tenant_unique(),
        UniqueConstraint("cabinet_id", "number", name="uq_amc_organism_cabinet_number"),
        Index("ix_amc_organism_cabinet_search", "cabinet_id", "search_name"),
    )
    __search_keys__ = {"search_name": ("name",)}

    number: Mapped[str] = mapped_column(String(10))  # numéro AMC (or NRM)
    gestion: Mapped[AmcGestion] = mapped_column(str_enum(AmcGestion, "amc_gestion"))
    contract_type: Mapped[str | None] = mapped_column(String(2))  # "89" reserved for C2S
    # Inter-AMC routing (annuaire AMC): type de convention, critère secondaire de routage,
    # routing code, host and domain of the AMC's online services.
    convention_type: Mapped[str | None] = mapped_column(String(10))
    csr: Mapped[str | None] = mapped_column(String(10))
    routing_code: Mapped[str | None] = mapped_column(String(10))
    host_id: Mapped[str | None] = mapped_column(String(64))
    domain: Mapped[str | None] = mapped_column(String(128))
    fax: Mapped[str | None] = mapped_column(String(20))
    contact: Mapped[str | None] = mapped_column(String(200))
    verified: Mapped[bool] = mapped_column(default=False)  # checked against a real attestation
