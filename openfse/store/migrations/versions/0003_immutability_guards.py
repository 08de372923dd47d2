"""immutability guards on every SQL path (issue 12)

The journal and validated invoices were guarded against UPDATE, DELETE and (journal only)
TRUNCATE. This revision closes the other ways in (``openfse.store.migrations.guard_sql``):

- SQLite ``REPLACE`` / ``INSERT OR REPLACE`` / ``UPDATE OR REPLACE``: a row colliding on a unique
  key with a journal line, a frozen invoice or one of its acts or attachments is refused (the
  rows REPLACE deletes fire no delete trigger unless ``recursive_triggers`` is on, a
  per-connection setting the ``sqlite3`` prompt leaves off);
- PostgreSQL ``TRUNCATE`` (``TRUNCATE invoice CASCADE``, ``TRUNCATE patient CASCADE``…): a
  truncate trigger on the invoice tables refuses while they hold frozen rows.

Each operation installs or replaces its guard, whatever an older version left.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

from alembic import op

from openfse.store.migrations import append_only, frozen_rows

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INVOICE_KEYS = [["cabinet_id", "billing_professional_id", "number"], ["cancels_id"], ["id"],
                ["replaces_id"]]
# The columns of invoice at this revision (all but the lifecycle ones, as in 0001).
INVOICE_FROZEN = [
    "id", "kind", "number", "professional_id", "billing_professional_id", "patient_id",
    "profession", "date_soins", "assure_nir", "beneficiary_birth_date_text",
    "beneficiary_rank", "a_domicile", "prescription", "prescription_date", "prescriber_id",
    "nature_assurance", "accident_droit_commun", "accident_date", "maternite_date",
    "at_identifiant", "at_code", "at_organisme", "at_date", "smg_amount", "exo",
    "soins_en_rapport_ald", "forcage_ald", "parcours", "declaration_medecin_traitant",
    "amc_coverage_id", "amc_number", "amc_formula", "amc_parameter", "amc_gestion",
    "amc_contrat_responsable", "amc_convention_type", "amc_csr", "tiers_payant_amo",
    "tiers_payant_amc", "secure_mode", "entente_code", "entente_date", "victime_attentat",
    "prevention_commune", "sante_sexuelle", "anonymous_minor", "exo_per_act",
    "group_identical", "amo_service_code", "amo_service_start", "amo_service_end",
    "hors_teletransmission", "bill_to_name", "bill_to_address", "bill_to_siret",
    "bill_to_patient_id", "total", "total_br", "amo", "amc", "patient_share",
    "participation_forfaitaire", "franchise", "due_amo", "due_amc", "due_patient",
    "pricing_snapshot", "diagnostics", "cancels_id", "cancel_reason", "replaces_id",
    "validated_at", "cabinet_id", "created_at",
]


def upgrade() -> None:
    op.invoke(append_only.CreateAppendOnlyGuardOp("journal", keys=[["id"]]))
    _invoice_guards(with_keys=True)


def downgrade() -> None:
    # Back to guards without the unique-key check (the operations are today's code: the
    # PostgreSQL truncate triggers stay, which only refuses more).
    op.invoke(append_only.CreateAppendOnlyGuardOp("journal", keys=[]))
    _invoice_guards(with_keys=False)


def _invoice_guards(*, with_keys: bool) -> None:
    def keys(*values: list[str]) -> list[list[str]]:
        return list(values) if with_keys else []

    op.invoke(frozen_rows.CreateFrozenGuardOp(
        "invoice", column="status", unfrozen=["draft"], frozen=INVOICE_FROZEN,
        keys=keys(*INVOICE_KEYS)))
    op.invoke(frozen_rows.CreateFrozenGuardOp(
        "invoice_act", column="status", unfrozen=["draft"], parent="invoice", key="invoice_id",
        keys=keys(["id"], ["invoice_id", "position"])))
    op.invoke(frozen_rows.CreateFrozenGuardOp(
        "invoice_attachment", column="status", unfrozen=["draft"], parent="invoice",
        key="invoice_id", keys=keys(["id"])))
