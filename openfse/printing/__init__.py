"""PDFs printed by openfse: the paper feuille de soins (mode dégradé or papier) and the note
d'honoraires. Build a view model (``documents``; ``builders`` maps the pricing result into it),
then render it::

    from openfse.printing import render_care_sheet, render_receipt
    pdf: bytes = render_care_sheet(sheet)

See ``docs/printing.md``.
"""

from openfse.printing.documents import (
    ActLine,
    Address,
    AmcOrganism,
    AmoOrganism,
    Cabinet,
    CareSheet,
    Company,
    Insured,
    PaperMode,
    Patient,
    Prescription,
    Professional,
    Receipt,
    ReceiptPayment,
    ReceiptShare,
    Shares,
    WorkAccident,
)
from openfse.printing.errors import InvalidPrintData, PrintingUnavailable
from openfse.printing.render import (
    care_sheet_html,
    receipt_html,
    render_care_sheet,
    render_receipt,
)

__all__ = [
    "ActLine",
    "Address",
    "AmcOrganism",
    "AmoOrganism",
    "Cabinet",
    "CareSheet",
    "Company",
    "InvalidPrintData",
    "Insured",
    "PaperMode",
    "Patient",
    "Prescription",
    "PrintingUnavailable",
    "Professional",
    "Receipt",
    "ReceiptPayment",
    "ReceiptShare",
    "Shares",
    "WorkAccident",
    "care_sheet_html",
    "receipt_html",
    "render_care_sheet",
    "render_receipt",
]
