"""Two implementations that must agree on right invoices (issue 11 point 6): whatever invoice
the product's engine prices from a valid draft, written by the product's lot codec, the
simulated caisse's own reader reads the same values back and its own tariff tables find
nothing to refuse. (Where they disagree on a wrong invoice, the caisse says so:
tests/unit/transmission/test_caisse_tariffs.py.)"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from test_pricing_strategies import drafts

from openfse.adapters.transmission.lot_file import LotFile
from openfse.domain.pricing.errors import DraftError
from openfse.domain.transmission import Destination, DestinationKind, LotContent, LotKind, LotRef
from openfse.errors import OpenFSEError
from openfse.simulators.caisse.tariffs import amounts_problem
from openfse.simulators.caisse.wire import parse_lot
from openfse.simulators.synthetic_lots import priced_record, synthetic_nir

BIRTH = date(1980, 1, 1)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts())
def test_the_caisse_reads_what_the_product_writes_and_agrees_on_its_prices(
        doc: dict[str, Any]) -> None:
    document = json.loads(json.dumps(doc, default=str))  # as sent: decimals as text
    care = date.fromisoformat(document["date_soins"])
    try:
        record = priced_record("000000001", draft=document, care_date=care,
                               nir=synthetic_nir(1, BIRTH), birth_date=BIRTH)
    except (DraftError, OpenFSEError):
        return  # a draft the engine refuses never reaches a lot
    lot = LotContent(LotRef("751000126", care, 1), LotKind.FSE,
                     Destination(DestinationKind.AMO, "017519881"), (record,))
    built = LotFile.build(lot)

    content, digest = parse_lot(built.data)

    assert digest == built.sha256 and content.lot_id == lot.lot_id
    [read] = content.invoices
    assert (read.number, read.nir, read.care_date, read.total, read.amo, read.amc,
            read.patient, read.participations, read.requested) == (
        record.number, record.nir, record.care_date, record.total, record.amo, record.amc,
        record.patient, record.participations, record.requested)
    assert [(a.code, a.coefficient, a.base, a.rate, a.amo) for a in read.acts] == [
        (a.code, a.coefficient, a.base, a.rate, a.amo) for a in record.acts]
    assert amounts_problem(read) == "", (amounts_problem(read), document["acts"])
    assert read.total >= Decimal(0)
