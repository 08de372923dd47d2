"""Rendering: view model → HTML (Jinja2 templates in ``templates/``) → PDF (WeasyPrint).

The templates are plain HTML with a print stylesheet (A4, ``@page`` margins, page X / Y
counters, a running header repeated on every page after the first, table headers repeated
when the acts overflow). Text is set in DejaVu Sans, found through fontconfig and embedded
(subset) in the PDF, so accents, « œ » and « € » print on any reader.

WeasyPrint is imported on first use: it takes about a second to load, which the web and CLI
start-up should not pay until someone prints.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from openfse.printing.documents import CareSheet, PaperMode, Receipt
from openfse.printing.errors import InvalidPrintData, PrintingUnavailable
from openfse.printing.formatting import FILTERS
from openfse.printing.qr import qr_data_uri
from openfse.referentials import codes

__all__ = ["care_sheet_html", "receipt_html", "render_care_sheet", "render_receipt"]

PDF_AUTHOR = "openfse"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("openfse.printing", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a misspelt field fails the tests instead of printing ""
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def care_sheet_html(sheet: CareSheet) -> str:
    """The HTML of the feuille de soins (what the PDF is made from; handy for review)."""
    _require(sheet, CareSheet, "feuille de soins")
    return _environment().get_template("care_sheet.html").render(
        sheet=sheet,
        title=f"Feuille de soins — {sheet.mode.heading}",
        degraded=sheet.mode is PaperMode.DEGRADE,
        nature_label=sheet.label_of(codes.NATURE_ASSURANCE, sheet.nature),
        exoneration_label=sheet.label_of(codes.EXONERATION, sheet.exoneration),
        parcours_label=sheet.label_of(codes.PARCOURS, sheet.parcours),
        qualificatifs=_qualificatif_labels(sheet),
        qr=qr_data_uri(sheet.reference) if sheet.with_qr else "",
        author=PDF_AUTHOR,
    )


def receipt_html(receipt: Receipt) -> str:
    """The HTML of the note d'honoraires."""
    _require(receipt, Receipt, "note d'honoraires")
    return _environment().get_template("receipt.html").render(
        receipt=receipt,
        title="Note d'honoraires",
        qr=qr_data_uri(receipt.reference) if receipt.with_qr else "",
        author=PDF_AUTHOR,
    )


def render_care_sheet(sheet: CareSheet) -> bytes:
    """The feuille de soins as a PDF (A4, one or more pages).

    Raises:
        InvalidPrintData: ``sheet`` is not a ``CareSheet``.
        PrintingUnavailable: the PDF engine cannot run on this machine.
    """
    return _pdf(care_sheet_html(sheet))


def render_receipt(receipt: Receipt) -> bytes:
    """The note d'honoraires as a PDF (A4, one or more pages).

    Raises:
        InvalidPrintData: ``receipt`` is not a ``Receipt``.
        PrintingUnavailable: the PDF engine cannot run on this machine.
    """
    return _pdf(receipt_html(receipt))


def _require(document: object, kind: type, name: str) -> None:
    # The view models check themselves when built; anything else never reaches the engine.
    if not isinstance(document, kind):
        raise InvalidPrintData(f"Document à imprimer invalide : {name} attendue.",
                               field="document")


def _qualificatif_labels(sheet: CareSheet) -> list[tuple[str, str]]:
    """The qualificatifs used on the sheet with their meaning, for the legend under the
    acts (the caisse reads « E », the patient needs « Exigence particulière du patient »)."""
    used = sorted({line.qualificatif for line in sheet.lines if line.qualificatif})
    return [(code, sheet.label_of(codes.QUALIFICATIF_DEPENSE, code)) for code in used]


def _pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as error:  # OSError: a system library is missing
        raise PrintingUnavailable(
            "Impression PDF indisponible sur ce poste : le moteur WeasyPrint ou ses "
            f"bibliothèques système manquent ({error}).") from error
    try:
        # A fresh font configuration per document (WeasyPrint's default): sharing one saves
        # under 5 % and is not safe across the web server's threads.
        document: Any = HTML(string=html)
        pdf: bytes = document.write_pdf()
    except Exception as error:  # the engine's own failures have no common base class
        raise PrintingUnavailable(
            f"Le document PDF n'a pas pu être mis en page ({type(error).__name__}).") from error
    return pdf
