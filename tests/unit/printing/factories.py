"""Small valid documents for the printing tests, built by hand (no engine) so that every
amount is visible in the test that uses it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from openfse.printing.documents import (
    ActLine,
    AmoOrganism,
    Cabinet,
    CareSheet,
    PaperMode,
    Patient,
    Professional,
    Receipt,
    Shares,
)

DAY = date(2026, 3, 10)
NIR = "178047511501217"  # Paul MARTIN, test card vitale_famille (key 17)


def professional(**changes: object) -> Professional:
    values: dict[str, object] = {
        "last_name": "LEGRAND", "first_name": "Pierre", "profession": "medecin",
        "billing_number": "751000126", "rpps": "99900012347",
    }
    values.update(changes)
    return Professional(**values)  # type: ignore[arg-type]


def patient(**changes: object) -> Patient:
    values: dict[str, object] = {
        "last_name": "MARTIN", "first_name": "Paul", "nir": NIR, "birth_date": "19780412",
        "amo": AmoOrganism("017519881"),
    }
    values.update(changes)
    return Patient(**values)  # type: ignore[arg-type]


def consultation(amount: str = "30.00") -> ActLine:
    return ActLine(DAY, "G", Decimal(amount))


def sheet(**changes: object) -> CareSheet:
    """G 30,00 € : AMO 70 % = 21,00 €, AMC 9,00 €, assuré 0,00 €; no tiers payant."""
    values: dict[str, object] = {
        "mode": PaperMode.DEGRADE, "invoice_number": "1434", "issued_on": DAY,
        "professional": professional(), "patient": patient(), "lines": (consultation(),),
        "shares": Shares(Decimal("30.00"), Decimal("21.00"), Decimal("9.00"), Decimal("0.00")),
    }
    values.update(changes)
    return CareSheet(**values)  # type: ignore[arg-type]


def receipt(**changes: object) -> Receipt:
    values: dict[str, object] = {
        "invoice_number": "1434", "issued_on": DAY, "cabinet": Cabinet("Cabinet Legrand"),
        "professional": professional(), "patient_last_name": "MARTIN",
        "patient_first_name": "Paul", "lines": (consultation(),), "total": Decimal("30.00"),
    }
    values.update(changes)
    return Receipt(**values)  # type: ignore[arg-type]
