"""SCOR: the resolution of a scanned ordonnance read from the file (150 dpi at least,
docs/protocols.md §2): JPEG/PNG densities written by the scanner, a PDF's image over its page."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from openfse.adapters.transmission.scan_resolution import scan_dpi


def image(kind: str, dpi: tuple[int, int] | None) -> bytes:
    out = io.BytesIO()
    extra = {} if dpi is None else {"dpi": dpi}
    Image.new("L", (40, 60), 255).save(out, kind, **extra)
    return out.getvalue()


def pdf(width_px: int, page_points: str = "595.28") -> bytes:
    """A scanner's one-page PDF: an A4 page (595.28 pt wide) holding one image."""
    return (b"%PDF-1.4\n1 0 obj << /Type /Page /MediaBox [0 0 " + page_points.encode()
            + b" 841.89] /Resources << /XObject << /Im0 2 0 R >> >> >> endobj\n"
            b"2 0 obj << /Type /XObject /Subtype /Image /Width " + str(width_px).encode()
            + b" /Height 3508 /BitsPerComponent 8 /ColorSpace /DeviceGray /Length 0 >>\n"
            b"stream\nendstream endobj\n%%EOF\n")


@pytest.mark.parametrize(
    ("media_type", "content", "dpi"),
    [
        ("image/jpeg", image("JPEG", (200, 200)), 200),
        ("image/jpeg", image("JPEG", (300, 150)), 150),  # the coarser direction counts
        ("image/jpeg", image("JPEG", (96, 96)), 96),
        ("image/png", image("PNG", (300, 300)), 300),
        # A4 is 8.27 in wide: 2480 pixels are 300 dpi, 1240 are 150, 827 are 100.
        ("application/pdf", pdf(2480), 300),
        ("application/pdf", pdf(1240), 150),
        ("application/pdf", pdf(827), 100),
    ],
)
def test_the_resolution_is_read_from_the_scan(media_type: str, content: bytes, dpi: int) -> None:
    assert scan_dpi(media_type, content) == dpi


@pytest.mark.parametrize(
    ("media_type", "content"),
    [
        ("image/jpeg", image("JPEG", None)),  # no density written: unknown, never guessed
        ("image/png", image("PNG", None)),
        ("image/jpeg", b"\xff\xd8\xff\xe0 not really a JPEG"),
        ("image/jpeg", image("JPEG", (200, 200))[:40]),  # truncated
        ("image/png", image("JPEG", (200, 200))),  # a JPEG said to be a PNG
        ("application/pdf", b"%PDF-1.4\n% no page, no image\n"),
        ("application/pdf", pdf(2480).replace(b"/Subtype /Image", b"/Subtype /Form")),
        ("application/pdf", pdf(2480, "0")),  # a page of no width
        ("application/pdf", b"not a PDF /MediaBox [0 0 595 842] /Subtype /Image /Width 2480"),
        ("image/gif", b"GIF89a"),
    ],
)
def test_an_unknown_resolution_is_none(media_type: str, content: bytes) -> None:
    assert scan_dpi(media_type, content) is None
