"""The real PDFs: WeasyPrint renders the sample documents, poppler-utils reads them back.

Checked: the PDF is valid and A4, ``pdftotext`` finds names, NIR, amounts in French form and
the invoice number, ``pdffonts`` shows only embedded fonts, a 40-act sheet runs over several
pages repeating its header, the QR code decodes to the document's reference. PNG previews
are rendered at 60 dpi (``pdftoppm -png -r 60``) into the test's tmp dir and one of each
document is kept in ``tests/e2e/artifacts/print-*.png`` for a person to look at.

Skipped with the reason when poppler-utils or the PDF engine is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from openfse.money import format_eur
from openfse.printing import PrintingUnavailable, render_care_sheet, render_receipt, samples
from openfse.printing.documents import CareSheet, PaperMode, Receipt

ARTIFACTS = Path(__file__).resolve().parents[1] / "e2e" / "artifacts"
POPPLER = ("pdftotext", "pdffonts", "pdfinfo", "pdftoppm")


@pytest.fixture(scope="module", autouse=True)
def _poppler() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"poppler-utils missing ({', '.join(missing)}): apt-get install "
                    "poppler-utils")


def _run(*command: str | Path) -> str:
    return subprocess.run([str(part) for part in command], check=True, capture_output=True,
                          text=True, timeout=60).stdout


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("printing")


class Rendered:
    """A document, its PDF on disk and what poppler reads in it."""

    def __init__(self, document: CareSheet | Receipt, pdf: bytes, path: Path) -> None:
        self.document = document
        self.pdf = pdf
        self.path = path
        path.write_bytes(pdf)

    def text(self, page: int | None = None) -> str:
        """The text poppler extracts, blanks collapsed (a cell wrapped on two lines reads as
        one sentence)."""
        pages = ("-f", str(page), "-l", str(page)) if page is not None else ()
        return " ".join(_run("pdftotext", "-enc", "UTF-8", *pages, self.path, "-").split())

    def info(self) -> dict[str, str]:
        rows = (line.partition(":") for line in _run("pdfinfo", self.path).splitlines())
        return {key.strip(): value.strip() for key, _, value in rows}

    @property
    def pages(self) -> int:
        return int(self.info()["Pages"])

    def png(self, dpi: int, prefix: str, page: int = 1) -> Path:
        out = self.path.with_name(prefix)
        _run("pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
             "-singlefile", self.path, out)
        return out.with_suffix(".png")


def _render(document: CareSheet | Receipt, path: Path) -> Rendered:
    try:
        if isinstance(document, CareSheet):
            return Rendered(document, render_care_sheet(document), path)
        return Rendered(document, render_receipt(document), path)
    except PrintingUnavailable as error:
        pytest.skip(f"PDF engine unavailable: {error.message}")


@pytest.fixture(scope="module")
def degraded(workdir: Path) -> Rendered:
    return _render(samples.sample_care_sheet(), workdir / "degrade.pdf")


@pytest.fixture(scope="module")
def long_sheet(workdir: Path) -> Rendered:
    return _render(samples.sample_nurse_care_sheet(40), workdir / "long.pdf")


@pytest.fixture(scope="module")
def note(workdir: Path) -> Rendered:
    return _render(samples.sample_receipt(), workdir / "note.pdf")


@pytest.fixture(scope="module")
def company_note(workdir: Path) -> Rendered:
    return _render(samples.sample_company_receipt(), workdir / "note-entreprise.pdf")


@pytest.fixture(scope="module")
def all_rendered(degraded: Rendered, long_sheet: Rendered, note: Rendered,
                 company_note: Rendered) -> tuple[Rendered, ...]:
    return (degraded, long_sheet, note, company_note)


# ------------------------------------------------------------------------------- validity


def test_pdfs_are_valid_a4_documents_with_french_titles(all_rendered: tuple[Rendered, ...]
                                                        ) -> None:
    for rendered in all_rendered:
        assert rendered.pdf.startswith(b"%PDF-") and rendered.pdf.rstrip().endswith(b"%%EOF")
        info = rendered.info()
        # A4 = 210 × 297 mm = 595.276 × 841.89 pt.
        assert info["Page size"].startswith("595.") and " x 841.8" in info["Page size"]
        assert info["Title"] in ("Feuille de soins — mode dégradé", "Note d'honoraires")
        assert info["Author"] == "openfse"


def test_fonts_are_embedded(all_rendered: tuple[Rendered, ...]) -> None:
    for rendered in all_rendered:
        rows = _run("pdffonts", rendered.path).splitlines()[2:]  # after the 2 header lines
        assert rows, "no font in the PDF"
        for row in rows:
            columns = row.split()
            # name type encoding emb sub uni object ID: emb and sub are the 4th/3rd from end.
            assert "DejaVu" in columns[0], row
            assert columns[-5] == "yes", f"font not embedded: {row}"


# ------------------------------------------------------------------------------- contents


def test_care_sheet_text(degraded: Rendered) -> None:
    sheet = degraded.document
    assert isinstance(sheet, CareSheet)
    text = degraded.text()
    assert degraded.pages == 1
    assert "Feuille de soins — mode dégradé" in text
    assert "TÉLÉTRANSMISSION EN MODE « DÉGRADÉ »" in text  # uppercased by the stylesheet
    for expected in ("MARTIN Sophie", "MARTIN Paul", "LEGRAND Pierre", "000001434",
                     "1 78 04 75 115 012", "17", "01 751 9881", "Mutuelle des Œuvres Sociales",
                     "00/13/1984",  # lunar birth date, digit for digit
                     "75 1 00012 6", "99900012347", "10/03/2026", "DEQP003",
                     "Médecin traitant (déclaré ou"):
        assert expected in text, expected
    # G 30,00 + ECG 14,77 = 44,77 €; AMO 31,34 € in tiers payant → 13,43 € paid at the desk.
    for amount in ("30,00 €", "14,77 €", "44,77 €", "31,34 €", "13,43 €"):
        assert amount in text, amount
    assert format_eur(sheet.shares.total) == "44,77 €"
    assert "SIGNATURE DU PRATICIEN" in text and "SIGNATURE DE L'ASSURÉ(E) OU DU PATIENT" in text
    assert "Page 1 / 1" in text


def test_paper_mode_sheet(workdir: Path) -> None:
    rendered = _render(samples.sample_care_sheet(PaperMode.PAPIER, with_qr=False),
                       workdir / "papier.pdf")
    text = rendered.text()
    assert "Feuille de soins — papier" in text
    assert "Aucune feuille de soins électronique n'a été transmise" in text
    assert "DÉGRADÉ" not in text


def test_forty_acts_run_over_pages_repeating_the_header(long_sheet: Rendered) -> None:
    sheet = long_sheet.document
    assert isinstance(sheet, CareSheet) and len(sheet.lines) == 40
    pages = long_sheet.pages
    assert pages > 1
    for page in range(2, pages + 1):
        text = long_sheet.text(page)
        # The running header: document, number, patient and NIR on every following page…
        assert "Feuille de soins — mode dégradé · Facture n° 000002087" in text
        assert "MARTIN Paul · NIR 1 78 04 75 115 012 17 (suite)" in text
        # … and the table's column headings repeated above the continued acts.
        assert "CODE ACTE" in text and "MONTANT" in text
        assert f"Page {page} / {pages}" in text
    last = long_sheet.text(pages)
    assert "Montant total (40 actes)" in last
    assert format_eur(sheet.shares.total) in last
    assert "SIGNATURE DU PRATICIEN" in last
    assert "Dr Pierre LEGRAND" in long_sheet.text(1)  # the prescription
    every_page = long_sheet.text()
    assert every_page.count("IFD") >= 13


def test_receipt_text(note: Rendered) -> None:
    text = note.text()
    for expected in ("Note d'honoraires", "000001434", "FACTURER À", "Sophie MARTIN",
                     "Consultation du médecin généraliste", "Carte bancaire", "Espèces",
                     "Ticket 004512", "ACQUITTÉE", "Reste à payer", "SIRET 81234567800019",
                     "TVA non applicable"):
        assert expected in text, expected
    for amount in ("44,77 €", "31,34 €", "13,43 €", "8,43 €", "5,00 €", "0,00 €"):
        assert amount in text, amount


def test_company_receipt_has_thousands_grouped(company_note: Rendered) -> None:
    text = company_note.text()
    # 15 × 82,30 € = 1 234,50 €; 1 000,00 € received by transfer → 234,50 € left.
    for expected in ("Transports Girard & Fils — Service des Œuvres sociales",
                     "Soins délivrés à".upper(), "Paul MARTIN", "1 234,50 €", "1 000,00 €",
                     "234,50 €", "Virement", "VIR 2026-03-0192", "Non remboursable"):
        assert expected in text, expected
    assert "ACQUITTÉE" not in text


def test_qr_code_decodes_to_the_reference(degraded: Rendered) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    image_module = pytest.importorskip("PIL.Image")
    png = degraded.png(150, "qr-scan")
    with image_module.open(png) as image:
        found = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    assert found == ["OPENFSE FSP 751000126 000001434"]


# ------------------------------------------------------------------------------- previews


def test_png_previews(degraded: Rendered, long_sheet: Rendered, note: Rendered,
                      company_note: Rendered) -> None:
    """60 dpi previews of every page; one of each document kept under tests/e2e/artifacts."""
    kept = {
        "print-feuille-de-soins.png": degraded.png(60, "preview-degrade"),
        "print-feuille-de-soins-suite.png": long_sheet.png(60, "preview-long-2", page=2),
        "print-note-honoraires.png": note.png(60, "preview-note"),
        "print-note-honoraires-entreprise.png": company_note.png(60, "preview-entreprise"),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, png in kept.items():
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        # 60 dpi A4 = 496.1 × 701.6 px (poppler rounds up): the IHDR chunk holds the size.
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) in ((496, 702), (497, 702)), name
        shutil.copyfile(png, ARTIFACTS / name)
