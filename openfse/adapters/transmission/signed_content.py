"""The « contenu signé » of an invoice: what its CPS signature covers, carried in the lot.

The CPS signs an invoice when the professional signs it at the desk, before anyone knows the
lot it will travel in (``openfse.services.invoicing.signed_content``: canonical JSON of the
invoice's identity and amounts). The lot carries those exact bytes next to the signature
(``SIG`` field 3, docs/formats/lot.md §3), so the insurer can (1) verify the signature over
them and (2) check that they say what the ``FAC`` line says: an invoice altered after its
signature is refused (A15), whatever was changed.

The contract is a JSON object whose keys ``numero``, ``nir``, ``date``, ``mode``, ``total``,
``amo`` and ``amc`` hold the invoice number (9 digits), the NIR, the date of care (ISO), the
mode de sécurisation and the amounts (decimal text); other keys may follow (ignored here).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from openfse.domain.transmission import InvoiceRecord

__all__ = ["disagreements", "signed_document"]

# (key, French name, value of the FAC line as the JSON holds it)
_FIELDS: tuple[tuple[str, str, Callable[[InvoiceRecord], object]], ...] = (
    ("numero", "numéro de facture", lambda r: r.number),
    ("nir", "NIR", lambda r: r.nir),
    ("date", "date des soins", lambda r: r.care_date),
    ("mode", "mode de sécurisation", lambda r: r.secure_mode),
    ("total", "total", lambda r: r.total),
    ("amo", "part AMO", lambda r: r.amo),
    ("amc", "part AMC", lambda r: r.amc),
)


def signed_document(record: InvoiceRecord) -> bytes:
    """A contenu signé for ``record`` (synthetic lots and tests; the desk's comes from
    ``invoicing.signed_content``, which follows the same contract)."""
    document = {key: _text(value(record)) for key, _, value in _FIELDS}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def disagreements(content: bytes, record: InvoiceRecord) -> list[str]:
    """The fields where ``content`` (the signed bytes) and the ``FAC`` line differ, named in
    French; ``["contenu signé illisible"]`` when the bytes are not such a JSON object."""
    try:
        document = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ["contenu signé illisible"]
    if not isinstance(document, dict):
        return ["contenu signé illisible"]
    return [name for key, name, value in _FIELDS
            if not _same(document.get(key), value(record))]


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _same(signed: object, sent: object) -> bool:
    if not isinstance(signed, str):
        return False
    if isinstance(sent, Decimal):
        try:
            return Decimal(signed) == sent
        except InvalidOperation:
            return False
    return signed == _text(sent)
