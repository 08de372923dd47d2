"""Invoices (FSE and factures hors télétransmission), their acts, attachments and payments, and
the per-professional counter that numbers them.

- ``invoice``: the header as validated (every field of the desk's screens), the totals per
  payer, the priced document as JSON (``pricing_snapshot``), the lifecycle (status, signatures,
  lot, transmission, payment or reject, cancellation/deletion instants). A cancellation is an
  ``invoice`` row of kind ``cancellation`` pointing at the invoice it cancels (``cancels_id``).
- ``invoice_act``: each priced line, its inputs (manual amounts included) and its shares.
- ``invoice_attachment``: the photo or scan of the ordonnance (kept for SCOR).
- ``payment``: payments received, editable later (manuel eS-KAP+ « Modifier une facture »).
- ``share_transfer``: an organism's share left to the patient after its reject (« Facturer au
  patient », openfse.services.transmission.handle_reject): it moves that amount of the dues
  from the organism to the patient in the invoice's balance; never changed once written.
- ``invoice_number_counter``: the last number given per billing professional; incremented in
  the validating transaction (``openfse.services.numbering``), so numbers are gapless.

**Frozen in the database.** Once an invoice leaves ``draft``, triggers refuse any change to its
content — every column except the lifecycle ones listed in ``INVOICE_MUTABLE_COLUMNS`` — and
any insert, update or delete of its acts and attachments; a validated invoice cannot be
deleted either (``openfse.store.migrations.frozen_rows``). A column added to ``invoice`` is
frozen unless added to that list. Money is integer cents (``MoneyCents``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Registers the frozen-rows guard operations and their autogenerate comparator.
import openfse.store.migrations.frozen_rows  # noqa: F401
from openfse.domain.invoice import (
    Complement,
    EntentePrealableCode,
    InvoiceKind,
    InvoiceStatus,
    MedecinTraitantDeclaration,
    SecureMode,
)
from openfse.domain.payment import Payer, PaymentKind
from openfse.domain.shares import ShareDecisionKind
from openfse.store.base import Base, CabinetScoped, MoneyCents
from openfse.store.models.common import (
    IntId,
    Timestamps,
    str_enum,
    tenant_fk,
    tenant_unique,
)
from openfse.store.models.types import ScaledDecimal, UtcDateTime

UNFROZEN = [InvoiceStatus.DRAFT.value]
# What may still change on a validated invoice: its life, never its content. (The number
# and validated_at are set by the draft → validated update itself, while still a draft.)
INVOICE_MUTABLE_COLUMNS = [
    "status",
    "signed_at",
    "cps_signature",
    "vitale_secured_at",
    "vitale_serial",
    "vitale_signature",
    "lot_ref",
    "sent_at",
    "acknowledged_at",
    "paid_at",
    "rejected_at",
    "rejection_reason",
    "cancelled_at",
    "deleted_at",
    "updated_at",
]


class Invoice(IntId, Timestamps, CabinetScoped, Base):
    """One invoice (or cancellation document) of a professional to a patient."""

    __tablename__ = "invoice"
    __table_args__ = (
        tenant_unique(),
        tenant_fk("professional_id", "professional"),
        tenant_fk("billing_professional_id", "professional"),
        tenant_fk("patient_id", "patient"),
        tenant_fk("bill_to_patient_id", "patient"),
        ForeignKeyConstraint(["cancels_id", "cabinet_id"], ["invoice.id", "invoice.cabinet_id"]),
        ForeignKeyConstraint(["replaces_id", "cabinet_id"], ["invoice.id", "invoice.cabinet_id"]),
        # Gapless and unique per billing professional (cancellations share the sequence).
        UniqueConstraint("cabinet_id", "billing_professional_id", "number",
                         name="uq_invoice_billing_number"),
        UniqueConstraint("cancels_id", name="uq_invoice_cancels_id"),
        UniqueConstraint("replaces_id", name="uq_invoice_replaces_id"),  # replaced once
        CheckConstraint("number IS NULL OR number BETWEEN 1 AND 999999999", name="number"),
        CheckConstraint("status = 'draft' OR number IS NOT NULL", name="numbered"),
        CheckConstraint("(kind = 'cancellation') = (cancels_id IS NOT NULL)",
                        name="cancellation_link"),
        Index("ix_invoice_cabinet_date", "cabinet_id", "date_soins"),
        Index("ix_invoice_cabinet_patient", "cabinet_id", "patient_id"),
        Index("ix_invoice_cabinet_status", "cabinet_id", "status"),
        Index("ix_invoice_cabinet_assure_nir", "cabinet_id", "assure_nir"),
        {"info": {"frozen_rows": {"column": "status", "unfrozen": UNFROZEN,
                                  "mutable": INVOICE_MUTABLE_COLUMNS}}},
    )

    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind, "invoice_kind"),
                                              default=InvoiceKind.INVOICE)
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus, "invoice_status"),
                                                  default=InvoiceStatus.DRAFT)
    number: Mapped[int | None]
    # Who did the care (exécutant) and under whose numéro de facturation it is billed: the
    # titulaire replaced that day for a remplaçant (docs/protocols.md §1.2). Numbering follows the
    # billing professional.
    professional_id: Mapped[int] = mapped_column(index=True)
    billing_professional_id: Mapped[int] = mapped_column(index=True)
    patient_id: Mapped[int]
    profession: Mapped[str] = mapped_column(String(32))  # pricing contract value
    date_soins: Mapped[date]
    # The beneficiary as billed: NIR of the ouvrant droit (the fictitious one for an anonymous
    # minor), birth date text and rang (they identify the beneficiary on a family card).
    assure_nir: Mapped[str | None] = mapped_column(String(15))
    beneficiary_birth_date_text: Mapped[str | None] = mapped_column(String(8))
    beneficiary_rank: Mapped[int | None] = mapped_column(SmallInteger)

    # « Soins réalisés et prescription »
    a_domicile: Mapped[bool] = mapped_column(default=False)
    prescription: Mapped[bool] = mapped_column(default=False)
    prescription_date: Mapped[date | None]
    prescriber_id: Mapped[int | None] = mapped_column(ForeignKey("prescriber.id"))
    # « Assurances »
    nature_assurance: Mapped[str] = mapped_column(String(16))
    accident_droit_commun: Mapped[bool] = mapped_column(default=False)
    accident_date: Mapped[date | None]
    maternite_date: Mapped[date | None]
    at_identifiant: Mapped[str | None] = mapped_column(String(9))
    at_code: Mapped[str | None] = mapped_column(String(2))
    at_organisme: Mapped[str | None] = mapped_column(String(9))
    at_date: Mapped[date | None]
    smg_amount: Mapped[Decimal | None] = mapped_column(MoneyCents)
    exo: Mapped[str | None] = mapped_column(String(1))
    soins_en_rapport_ald: Mapped[bool] = mapped_column(default=False)
    forcage_ald: Mapped[bool] = mapped_column(default=False)
    parcours: Mapped[str | None] = mapped_column(String(40))
    declaration_medecin_traitant: Mapped[MedecinTraitantDeclaration | None] = mapped_column(
        str_enum(MedecinTraitantDeclaration, "medecin_traitant_declaration"))
    # « Règlement »: mutuelle, Inter-AMC convention, tiers payant (as applied by the engine)
    # The patient's mutuelle chosen at the time (no foreign key: the mutuelle may be deleted
    # later, the invoice keeps what was billed in the amc_* columns).
    amc_coverage_id: Mapped[int | None]
    amc_number: Mapped[str | None] = mapped_column(String(10))
    amc_formula: Mapped[str | None] = mapped_column(String(3))
    amc_parameter: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    amc_gestion: Mapped[str | None] = mapped_column(String(8))
    amc_contrat_responsable: Mapped[bool | None]
    amc_convention_type: Mapped[str | None] = mapped_column(String(10))
    amc_csr: Mapped[str | None] = mapped_column(String(10))
    tiers_payant_amo: Mapped[bool] = mapped_column(default=False)
    tiers_payant_amc: Mapped[bool] = mapped_column(default=False)
    # « Spécificités et sécurisation »
    secure_mode: Mapped[SecureMode] = mapped_column(str_enum(SecureMode, "secure_mode"))
    entente_code: Mapped[EntentePrealableCode | None] = mapped_column(
        str_enum(EntentePrealableCode, "entente_prealable_code"))
    entente_date: Mapped[date | None]
    victime_attentat: Mapped[bool] = mapped_column(default=False)
    prevention_commune: Mapped[bool] = mapped_column(default=False)
    sante_sexuelle: Mapped[bool] = mapped_column(default=False)
    anonymous_minor: Mapped[bool] = mapped_column(default=False)
    exo_per_act: Mapped[bool] = mapped_column(default=False)
    group_identical: Mapped[bool] = mapped_column(default=False)
    amo_service_code: Mapped[str | None] = mapped_column(String(3))
    amo_service_start: Mapped[date | None]
    amo_service_end: Mapped[date | None]
    # Hors télétransmission and « Facturer à »
    hors_teletransmission: Mapped[bool] = mapped_column(default=False)
    bill_to_name: Mapped[str | None] = mapped_column(String(200))
    bill_to_address: Mapped[str | None] = mapped_column(Text)
    bill_to_siret: Mapped[str | None] = mapped_column(String(14))
    bill_to_patient_id: Mapped[int | None]

    # Totals (récapitulatif) and what each payer owes the professional (résumé).
    total: Mapped[Decimal] = mapped_column(MoneyCents)
    total_br: Mapped[Decimal] = mapped_column(MoneyCents)
    amo: Mapped[Decimal] = mapped_column(MoneyCents)  # « Total Caisse » (gross)
    amc: Mapped[Decimal] = mapped_column(MoneyCents)  # « Total Mutuelle »
    patient_share: Mapped[Decimal] = mapped_column(MoneyCents)  # « Total Assuré »
    participation_forfaitaire: Mapped[Decimal] = mapped_column(MoneyCents)
    franchise: Mapped[Decimal] = mapped_column(MoneyCents)
    due_amo: Mapped[Decimal] = mapped_column(MoneyCents)  # « Montant AMO »
    due_amc: Mapped[Decimal] = mapped_column(MoneyCents)  # « Montant AMC »
    due_patient: Mapped[Decimal] = mapped_column(MoneyCents)  # « Montant patient »
    pricing_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    diagnostics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    # Cancellation: the document points at the invoice it cancels.
    cancels_id: Mapped[int | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # « Corriger et refacturer »: the rejected (then cancelled) invoice this one replaces.
    replaces_id: Mapped[int | None]

    # Lifecycle (mutable after validation)
    validated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cps_signature: Mapped[str | None] = mapped_column(Text)  # hex of the CPS signature
    vitale_secured_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    vitale_serial: Mapped[str | None] = mapped_column(String(20))
    # hex of the carte Vitale's signature of the contenu signé (its part in securing)
    vitale_signature: Mapped[str | None] = mapped_column(Text)
    lot_ref: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rejected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    acts: Mapped[list[InvoiceAct]] = relationship(
        back_populates="invoice", order_by="InvoiceAct.position", cascade="all, delete-orphan",
        passive_deletes=True)
    attachments: Mapped[list[InvoiceAttachment]] = relationship(
        back_populates="invoice", order_by="InvoiceAttachment.id", cascade="all, delete-orphan",
        passive_deletes=True)
    payments: Mapped[list[InvoicePayment]] = relationship(
        back_populates="invoice", order_by="InvoicePayment.id", cascade="all, delete-orphan",
        passive_deletes=True)
    share_transfers: Mapped[list[ShareTransfer]] = relationship(
        back_populates="invoice", order_by="ShareTransfer.id", cascade="all, delete-orphan",
        passive_deletes=True)
    share_decisions: Mapped[list[ShareDecision]] = relationship(
        order_by="ShareDecision.id", cascade="all, delete-orphan", passive_deletes=True)


class InvoiceAct(IntId, CabinetScoped, Base):
    """One priced line of an invoice, in billing order."""

    __tablename__ = "invoice_act"
    __table_args__ = (
        tenant_fk("invoice_id", "invoice", ondelete="CASCADE"),
        UniqueConstraint("invoice_id", "position", name="uq_invoice_act_position"),
        CheckConstraint("quantity >= 1", name="quantity"),
        {"info": {"frozen_with_parent": {"parent": "invoice", "key": "invoice_id",
                                         "column": "status", "unfrozen": UNFROZEN}}},
    )

    invoice_id: Mapped[int] = mapped_column(index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    # What was typed (the engine's act, docs/formats/price.md)
    code: Mapped[str] = mapped_column(String(16))
    nomenclature: Mapped[str] = mapped_column(String(4))
    act_date: Mapped[date]
    quantity: Mapped[int]
    coefficient: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    unit_price_typed: Mapped[Decimal | None] = mapped_column(MoneyCents)
    modifiers: Mapped[list[Any]] = mapped_column(JSON, default=list)  # typed, as JSON
    association_code: Mapped[int | None] = mapped_column(SmallInteger)
    qualificatif: Mapped[str | None] = mapped_column(String(1))
    depassement: Mapped[Decimal] = mapped_column(MoneyCents)
    total_amount_typed: Mapped[Decimal | None] = mapped_column(MoneyCents)
    exo: Mapped[str | None] = mapped_column(String(1))
    soins_en_rapport_ald: Mapped[bool | None]
    activity: Mapped[int] = mapped_column(SmallInteger, default=1)
    phase: Mapped[int] = mapped_column(SmallInteger, default=0)
    grille: Mapped[str | None] = mapped_column(String(32))
    supplement_charge: Mapped[Decimal] = mapped_column(MoneyCents)
    remboursement_exceptionnel: Mapped[bool] = mapped_column(default=False)
    distance_km: Mapped[Decimal | None] = mapped_column(ScaledDecimal(1))
    prevention_ebd: Mapped[bool] = mapped_column(default=False)
    amo_override: Mapped[Decimal | None] = mapped_column(MoneyCents)
    amc_override: Mapped[Decimal | None] = mapped_column(MoneyCents)
    regroupement: Mapped[str | None] = mapped_column(String(3))
    serie: Mapped[bool] = mapped_column(default=False)
    complement: Mapped[Complement | None] = mapped_column(str_enum(Complement, "complement"))
    entente_prealable: Mapped[bool] = mapped_column(default=False)
    # What the engine computed
    unit_price: Mapped[Decimal] = mapped_column(MoneyCents)
    applied_modifiers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    applied_association_code: Mapped[int | None] = mapped_column(SmallInteger)
    applied_exo: Mapped[str | None] = mapped_column(String(1))
    br: Mapped[Decimal] = mapped_column(MoneyCents)
    honoraires: Mapped[Decimal] = mapped_column(MoneyCents)
    taux_amo: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    amo: Mapped[Decimal] = mapped_column(MoneyCents)
    amc: Mapped[Decimal] = mapped_column(MoneyCents)
    patient_share: Mapped[Decimal] = mapped_column(MoneyCents)
    forfait_24: Mapped[Decimal] = mapped_column(MoneyCents)
    participation_forfaitaire: Mapped[Decimal] = mapped_column(MoneyCents)
    franchise: Mapped[Decimal] = mapped_column(MoneyCents)

    invoice: Mapped[Invoice] = relationship(back_populates="acts")


class InvoiceAttachment(IntId, CabinetScoped, Base):
    """A file joined to an invoice (the ordonnance), stored in the database with it."""

    __tablename__ = "invoice_attachment"
    __table_args__ = (
        tenant_fk("invoice_id", "invoice", ondelete="CASCADE"),
        {"info": {"frozen_with_parent": {"parent": "invoice", "key": "invoice_id",
                                         "column": "status", "unfrozen": UNFROZEN}}},
    )

    # The journal records that a file was joined, not its bytes.
    __journal_redacted__: ClassVar[frozenset[str]] = frozenset({"content"})

    invoice_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20), default="ordonnance")
    media_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    invoice: Mapped[Invoice] = relationship(back_populates="attachments")


class InvoicePayment(IntId, Timestamps, CabinetScoped, Base):
    """A payment received for an invoice (editable: « Mode de paiements de la facture »)."""

    __tablename__ = "payment"
    __table_args__ = (
        tenant_fk("invoice_id", "invoice", ondelete="CASCADE"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    invoice_id: Mapped[int] = mapped_column(index=True)
    payer: Mapped[Payer] = mapped_column(str_enum(Payer, "payer"), default=Payer.PATIENT)
    kind: Mapped[PaymentKind] = mapped_column(str_enum(PaymentKind, "payment_kind"))
    amount: Mapped[Decimal] = mapped_column(MoneyCents)
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(60), default="")
    payer_name: Mapped[str] = mapped_column(String(200), default="")

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class ShareTransfer(IntId, Timestamps, CabinetScoped, Base):
    """The share of an organism (AMO or AMC) that rejected the invoice, now due by the patient
    (« Facturer au patient »): ``balance_of`` moves ``amount`` from that payer's due to the
    patient's."""

    __tablename__ = "share_transfer"
    __table_args__ = (
        tenant_fk("invoice_id", "invoice", ondelete="CASCADE"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("payer IN ('amo', 'amc')", name="organism_share"),
        # One reject is billed to the patient once.
        UniqueConstraint("return_line_id", name="uq_share_transfer_return_line"),
    )

    invoice_id: Mapped[int] = mapped_column(index=True)
    payer: Mapped[Payer] = mapped_column(str_enum(Payer, "payer"))  # the share moved
    amount: Mapped[Decimal] = mapped_column(MoneyCents)
    reason: Mapped[str] = mapped_column(String(250))  # the reject: code and label
    return_line_id: Mapped[int | None]  # the payment-return line of the reject

    invoice: Mapped[Invoice] = relationship(back_populates="share_transfers")


class ShareDecision(IntId, Timestamps, CabinetScoped, Base):
    """What a person decided about one payer's share (docs/money-states.md §3): claimed on
    paper (``paper_claim``: the share is then « Réclamée ») or written off (``write_off``:
    ``amount`` given up, the share « Abandonnée »). Never changed once written; journaled."""

    __tablename__ = "share_decision"
    __table_args__ = (
        tenant_fk("invoice_id", "invoice", ondelete="CASCADE"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    invoice_id: Mapped[int] = mapped_column(index=True)
    payer: Mapped[Payer] = mapped_column(str_enum(Payer, "payer"))
    kind: Mapped[ShareDecisionKind] = mapped_column(
        str_enum(ShareDecisionKind, "share_decision_kind"))
    amount: Mapped[Decimal] = mapped_column(MoneyCents)
    note: Mapped[str] = mapped_column(String(250), default="")  # why (a write-off's reason)
    decided_on: Mapped[date]  # the cabinet's day


class InvoiceNumberCounter(Base):
    """The last invoice number given to a billing professional (numéro de facture, 9 digits)."""

    __tablename__ = "invoice_number_counter"
    __table_args__ = (
        tenant_fk("professional_id", "professional"),
        CheckConstraint("last_number BETWEEN 0 AND 999999999", name="last_number"),
    )

    # The primary key is (cabinet, professional): one row, the row the validations lock.
    cabinet_id: Mapped[int] = mapped_column(ForeignKey("cabinet.id", ondelete="RESTRICT"),
                                            primary_key=True)
    professional_id: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)
