"""Family links between patient files (dossier LOGOSw, « Famille - Liens familiaux »).

One row links two files of the same cabinet: ``relation`` says what ``relative`` is to
``patient`` (« DEMONSTRATION Patrick — Le frère »). The inverse is not stored: seen from the
relative's file, an ``enfant`` link reads ``parent`` (``FamilyRelation.inverse``), so a link
can never disagree with its mirror. A pair of files has at most one link, whichever way round
(checked by the service; the database forbids the same direction twice and self-links).
"""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import IntId, Timestamps, str_enum, tenant_fk


class FamilyRelation(enum.StrEnum):
    """What the relative is to the patient (dossier LOGOSw shows « Le frère », « Lui-même »)."""

    CONJOINT = "conjoint"
    ENFANT = "enfant"
    PARENT = "parent"
    FRERE_SOEUR = "frere_soeur"
    GRAND_PARENT = "grand_parent"
    PETIT_ENFANT = "petit_enfant"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def inverse(self) -> FamilyRelation:
        """The relation read from the other file (my child's parent is me)."""
        return _INVERSES.get(self, self)


_LABELS = {
    FamilyRelation.CONJOINT: "Conjoint(e)",
    FamilyRelation.ENFANT: "Enfant",
    FamilyRelation.PARENT: "Parent",
    FamilyRelation.FRERE_SOEUR: "Frère ou sœur",
    FamilyRelation.GRAND_PARENT: "Grand-parent",
    FamilyRelation.PETIT_ENFANT: "Petit-enfant",
    FamilyRelation.AUTRE: "Autre lien",
}
_INVERSES = {
    FamilyRelation.ENFANT: FamilyRelation.PARENT,
    FamilyRelation.PARENT: FamilyRelation.ENFANT,
    FamilyRelation.GRAND_PARENT: FamilyRelation.PETIT_ENFANT,
    FamilyRelation.PETIT_ENFANT: FamilyRelation.GRAND_PARENT,
}


class FamilyLink(IntId, Timestamps, CabinetScoped, Base):
    """``relative`` is the ``relation`` of ``patient``; both files belong to the cabinet."""

    __tablename__ = "family_link"
    __table_args__ = (
        # Deleting either file removes the link (the service journals it first).
        tenant_fk("patient_id", "patient", ondelete="CASCADE"),
        tenant_fk("relative_id", "patient", ondelete="CASCADE"),
        UniqueConstraint("cabinet_id", "patient_id", "relative_id",
                         name="uq_family_link_cabinet_pair"),
        CheckConstraint("patient_id <> relative_id", name="not_self"),
    )

    patient_id: Mapped[int] = mapped_column(index=True)
    relative_id: Mapped[int] = mapped_column(index=True)
    relation: Mapped[FamilyRelation] = mapped_column(str_enum(FamilyRelation, "family_relation"))
