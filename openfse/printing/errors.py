"""Errors of the printing layer.

Two things can go wrong when a document is asked for: the data handed to the view model
cannot be printed as is (a NIR with a wrong key, totals that do not add up…) — the caller
must fix the data, no PDF is made — or the PDF engine itself is missing or fails on this
machine. Both carry a French message for the user and a machine code for the API.
"""

from __future__ import annotations

from openfse.errors import InvalidInput, OpenFSEError


class InvalidPrintData(InvalidInput):
    """A value of a document's view model is invalid; ``field`` is its dotted path
    (``patient.nir``, ``lines[3].amount``…). Raised before any rendering."""

    code = "printing.invalid_data"


class PrintingUnavailable(OpenFSEError):
    """The PDF engine (WeasyPrint and its system libraries, the DejaVu fonts) cannot be used
    on this machine, or failed while laying the document out."""

    code = "printing.unavailable"


__all__ = ["InvalidPrintData", "PrintingUnavailable"]
