"""The engine's working state: one ``Line`` per act and the invoice-wide ``Context``.

The pipeline (``engine.py``) is a sequence of small rule steps, each filling or adjusting some
fields of the lines, in the order a biller would work: value the act, qualify the expense, pick
the AMO rate, apply the participations, evaluate the complementary share, take the manual
overrides, settle the patient share. These two classes are mutable on purpose and never leave
the engine: the result is rebuilt as frozen values (``result.py``). Mutable slots objects keep
the hot path cheap (the benchmark target is 20,000 invoices per second on one core).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from openfse.domain.pricing.codes import Exo, Grid, Qualificatif
from openfse.domain.pricing.draft import ActDraft, InvoiceDraft
from openfse.domain.pricing.result import Warning
from openfse.domain.pricing.tariffs import TariffSource
from openfse.money import ZERO
from openfse.referentials.regulatory import RegulatorySnapshot


class ActKind(StrEnum):
    """What an act line is, for the rules that count acts (PF, franchise, majorations)."""

    ACTE = "acte"  # a consultation, visit, technical act or forfait
    MAJORATION = "majoration"  # night, Sunday, age, coordination… added to an act
    DEPLACEMENT = "deplacement"  # MD, ID, IFD… travel indemnity
    IK = "ik"  # indemnité kilométrique


class RateReason(StrEnum):
    """Why an act got its AMO rate (decides which later rules apply to it)."""

    NOT_REIMBURSABLE = "non_remboursable"  # qualificatif N or G
    AT = "accident_du_travail"
    MATERNITE = "maternite"
    SMG = "soins_medicaux_gratuits"
    AME = "ame"
    VICTIME_ATTENTAT = "victime_attentat"  # CSS L169-2: exonération du ticket modérateur
    EXO = "exoneration"  # exo 3 / 5 / 7 / 9 on the act or invoice
    ALD = "ald"  # exo 4, soins en rapport avec l'ALD
    PREVENTION_ENFANT = "examen_obligatoire_enfant"  # COx at 100 %
    EBD_EXO = "ebd_exoneration_prevention"  # examen bucco-dentaire without AMC: exo 7
    EBD_COFINANCEMENT = "ebd_cofinancement"  # examen bucco-dentaire 60 % AMO / 40 % AMC
    ALSACE_MOSELLE = "regime_local_alsace_moselle"
    BASE = "taux_normal"

    @property
    def standard(self) -> bool:
        """A ticket modérateur is due (subject to forfait 24 € and hors-parcours rules)."""
        return self is RateReason.BASE or self is RateReason.ALSACE_MOSELLE


class Line:
    """Working state of one act."""

    __slots__ = (
        "index",
        "draft",
        "on",
        "params",
        "kind",
        "grid",
        "quantity",
        "coefficient",
        "unit_price",
        "modifiers",
        "modifier_percent",
        "modifier_amount",
        "before_association",
        "association_code",
        "association_rate",
        "base",
        "qualificatif",
        "br",
        "depassement",
        "honoraires",
        "exo",
        "reason",
        "taux",
        "amo",
        "amo_in_parcours",
        "amc_dr",
        "amc",
        "forfait_24",
        "pf",
        "franchise",
        "patient",
    )

    def __init__(self, index: int, draft: ActDraft, on: date, params: RegulatorySnapshot):
        self.index = index
        self.draft = draft
        self.on = on
        self.params = params
        self.kind = ActKind.ACTE
        self.grid: Grid | None = None
        self.quantity = 1
        self.coefficient = draft.coefficient
        self.unit_price = ZERO
        self.modifiers: tuple[str, ...] = ()
        self.modifier_percent = ZERO  # Σ percentage points of the CCAM modifiers
        self.modifier_amount = ZERO  # Σ euros of the CCAM modifiers
        self.before_association = ZERO  # CCAM: PU with modifiers, the ranking amount
        self.association_code: int | None = None
        self.association_rate = Decimal(1)
        self.base = ZERO  # the act's tariff amount (quantity included)
        self.qualificatif: Qualificatif | None = draft.qualificatif
        self.br = ZERO
        self.depassement = ZERO
        self.honoraires = ZERO
        self.exo: Exo | None = None
        self.reason = RateReason.BASE
        self.taux = ZERO
        self.amo = ZERO
        self.amo_in_parcours = ZERO  # AMO before the hors-parcours majoration
        self.amc_dr = ZERO  # dépense réelle an AMC contrat responsable may cover
        self.amc = ZERO
        self.forfait_24 = ZERO
        self.pf = ZERO
        self.franchise = ZERO
        self.patient = ZERO


class Context:
    """The invoice being priced: the draft, the tariffs and the warnings gathered so far."""

    __slots__ = ("draft", "tariffs", "params", "warnings")

    def __init__(self, draft: InvoiceDraft, tariffs: TariffSource, params: RegulatorySnapshot):
        self.draft = draft
        self.tariffs = tariffs
        self.params = params  # parameters at date_soins (acts carry their own date's)
        self.warnings: list[Warning] = []

    def warn(self, code: str, message_fr: str, act_index: int | None = None) -> None:
        self.warnings.append(Warning(code, message_fr, act_index))
