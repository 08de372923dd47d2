"""What comes back from the insurers: read an ARL or a payment-return file by its header."""

from __future__ import annotations

from openfse.adapters.transmission import arl_file, returns_file
from openfse.adapters.transmission.errors import UnknownFormat
from openfse.adapters.transmission.framing import format_id_of
from openfse.domain.transmission import Arl, ReturnStatement

__all__ = ["IncomingDocument", "read_document"]

IncomingDocument = Arl | ReturnStatement


def read_document(data: bytes) -> IncomingDocument:
    """Parse an incoming file: an ARL or a payment return.

    Raises:
        TransmissionFormatError: not one of them, or not valid (the line is named).
    """
    kind = format_id_of(data)
    if kind == arl_file.FORMAT_ID:
        return arl_file.parse_arl(data)
    if kind == returns_file.FORMAT_ID:
        return returns_file.parse_returns(data)
    raise UnknownFormat(
        f"fichier de retour inconnu (en-tête attendu {arl_file.FORMAT_ID} "
        f"ou {returns_file.FORMAT_ID}).",
        line=1,
    )
