"""The pricing engine: values acts and splits them between AMO, AMC and patient (pure).

Entry points:

- ``price(draft, tariffs) -> PricedInvoice`` — the engine (``engine.py``);
- ``price_document(doc, tariffs=None) -> dict`` — the JSON contract of ``openfse price``
  (``contract.py``, docs/formats/price.md), with ``parse_draft``, ``priced_to_json``, ``dumps``;
- ``DraftError`` — the only error: ``field`` is the JSON path of the culprit;
- ``TariffSource`` / ``ReferentialTariffs`` — where tariffs come from (``tariffs.py``).
"""

from openfse.domain.pricing.contract import dumps, parse_draft, price_document, priced_to_json
from openfse.domain.pricing.draft import (
    ActDraft,
    AmcContract,
    AmountOverride,
    InvoiceDraft,
    ModifierDraft,
    PatientContext,
    PsContext,
    TiersPayant,
)
from openfse.domain.pricing.engine import price
from openfse.domain.pricing.errors import DraftError
from openfse.domain.pricing.result import Payments, PricedAct, PricedInvoice, Warning
from openfse.domain.pricing.tariffs import ReferentialTariffs, TariffSource

__all__ = [
    "ActDraft",
    "AmcContract",
    "AmountOverride",
    "DraftError",
    "InvoiceDraft",
    "ModifierDraft",
    "PatientContext",
    "Payments",
    "PricedAct",
    "PricedInvoice",
    "PsContext",
    "ReferentialTariffs",
    "TariffSource",
    "TiersPayant",
    "Warning",
    "dumps",
    "parse_draft",
    "price",
    "price_document",
    "priced_to_json",
]
