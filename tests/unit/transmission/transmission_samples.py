"""Small, hand-checkable transmission values for the unit tests (a plain module, unique name).

The sample invoice is a GP consultation G on 2026-03-02 under tiers payant AMO:
honoraires 30.00, base 30.00 at 70 % → AMO 21.00 (30 × 0.70), patient 9.00 (30 − 21),
participation forfaitaire 2.00 (deducted from the insured, not from the tiers payant here),
requested from the caisse 21.00 (the AMO share: tiers payant AMO only).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.transmission import (
    ActLine,
    Arl,
    ArlStatus,
    Destination,
    DestinationKind,
    InvoiceRecord,
    LotContent,
    LotKind,
    LotRef,
    PaymentReturn,
    PaymentStatus,
    Reason,
    ReturnStatement,
    ScorPiece,
)

PS = "751000126"  # cps_titulaire situation 1 (75100012, key 6)
ORGANISME = "017519881"
CARE = date(2026, 3, 2)
CREATED = date(2026, 3, 3)
MARTIN_NIR = "178047511501217"  # MARTIN PAUL, born 1978-04-12, rang 1 (ADRi data set)
D = Decimal


def act(**changes: Any) -> ActLine:
    base = ActLine(
        date=CARE,
        nomenclature=Nomenclature.NGAP,
        code="G",
        quantity=1,
        coefficient=D("1"),
        honoraires=D("30.00"),
        base=D("30.00"),
        rate=D("70.00"),
        amo=D("21.00"),
        amc=D("0.00"),
    )
    return replace(base, **changes)


def invoice(number: str = "000000123", **changes: Any) -> InvoiceRecord:
    base = InvoiceRecord(
        number=number,
        nir=MARTIN_NIR,
        birth_date="19780412",
        rang=1,
        organisme=ORGANISME,
        care_date=CARE,
        invoiced_on=CARE,
        secure_mode="sesam_sans_vitale",
        tiers_payant_amo=True,
        tiers_payant_amc=False,
        acts=(act(),),
        total=D("30.00"),
        amo=D("21.00"),
        amc=D("0.00"),
        patient=D("9.00"),
        participations=D("2.00"),
        requested=D("21.00"),
        cps_signature=b"\x01\x02\x03",
    )
    return replace(base, **changes)


def lot(*invoices: InvoiceRecord, number: int = 7, kind: LotKind = LotKind.FSE) -> LotContent:
    destination = (
        Destination(DestinationKind.AMC, "98532001")
        if kind is LotKind.DRE
        else Destination(DestinationKind.AMO, ORGANISME)
    )
    return LotContent(
        LotRef(PS, CREATED, number), kind, destination, invoices=invoices or (invoice(),)
    )


PDF = b"%PDF-1.4\n% scanned ordonnance\n"


def scor_lot(*pieces: ScorPiece, number: int = 8) -> LotContent:
    pieces = pieces or (ScorPiece("000000123", "application/pdf", 300, PDF),)
    return LotContent(
        LotRef(PS, CREATED, number),
        LotKind.SCOR,
        Destination(DestinationKind.AMO, ORGANISME),
        pieces=pieces,
    )


def arl(**changes: Any) -> Arl:
    base = Arl(
        reference="ARL20260305000001",
        issuer=ORGANISME,
        received_on=date(2026, 3, 5),
        status=ArlStatus.NEGATIVE,
        lot=LotRef(PS, CREATED, 7),
        lot_sha256="ab" * 32,
        message_ref="<lot.751000126-20260303-007.abababababababab@openfse>",
        invoice_count=1,
        reasons=(Reason("A13", "Lot transmis en avance | soins du 2026-03-09", "000000123"),),
    )
    return replace(base, **changes)


def paid_line(number: str = "000000123", **changes: Any) -> PaymentReturn:
    base = PaymentReturn(
        lot=LotRef(PS, CREATED, 7),
        invoice_number=number,
        nir=MARTIN_NIR,
        care_date=CARE,
        status=PaymentStatus.PAID,
        requested=D("21.00"),
        paid=D("21.00"),
        payment_date=date(2026, 3, 7),
    )
    return replace(base, **changes)


def rejected_line(number: str = "000000124") -> PaymentReturn:
    return paid_line(
        number,
        status=PaymentStatus.REJECTED,
        paid=D("0.00"),
        payment_date=None,
        reason=Reason("R03", "Droits AMO fermés à la date des soins"),
    )


def statement(*lines: PaymentReturn, **changes: Any) -> ReturnStatement:
    base = ReturnStatement(
        reference="RSP20260307000001",
        issuer=ORGANISME,
        ps_number=PS,
        issued_on=date(2026, 3, 7),
        transfer_reference="VIR20260307000001",
        lines=lines or (paid_line(), rejected_line()),
    )
    return replace(base, **changes)
