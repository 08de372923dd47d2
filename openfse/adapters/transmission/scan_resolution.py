"""The resolution of a scanned justificatif, read from the file (SCOR: 150 dpi at least,
docs/protocols.md §2).

- JPEG and PNG: the density the scanner wrote (JFIF / EXIF, PNG ``pHYs``), read by Pillow,
  which also checks the file is a readable image.
- PDF: a scanner's PDF is one image per page; its resolution is the image's pixels over the
  page's size in points (72 per inch): ``/Width`` of the largest image over the first
  ``/MediaBox``. Objects inside compressed object streams are not read: such a PDF has no
  resolution we can tell, and the desk says so (rescan) rather than guess.

``None`` means « unknown »: the piece is not sent (the insurer would refuse it anyway).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from PIL import Image, UnidentifiedImageError

__all__ = ["scan_dpi"]

_MEDIA_BOX = re.compile(
    rb"/MediaBox\s*\[\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s+(-?[0-9.]+)\s+(-?[0-9.]+)\s*\]")
_IMAGE = re.compile(rb"/Subtype\s*/Image")
_WIDTH = re.compile(rb"/Width\s+([0-9]{1,6})\b")
# How far around « /Subtype /Image » its dictionary's /Width may be.
_DICTIONARY_REACH = 400


def scan_dpi(media_type: str, content: bytes) -> int | None:
    """The resolution in dots per inch of a PDF, JPEG or PNG scan, or None if unknown."""
    reader = _READERS.get(media_type)
    return None if reader is None else reader(content)


def _image_dpi(expected: str) -> Callable[[bytes], int | None]:
    def read(content: bytes) -> int | None:
        try:
            with Image.open(io.BytesIO(content)) as image:
                found, density = image.format, image.info.get("dpi")
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return None
        # A file of another format than its type says is refused by the insurer (A20).
        return _density(density) if found == expected else None

    return read


def _density(density: object) -> int | None:
    if not isinstance(density, tuple) or not density:
        return None
    try:
        # The lower of the two axes: a scan is as fine as its coarser direction.
        return _whole(min(Decimal(str(float(axis))) for axis in density))
    except (InvalidOperation, TypeError, ValueError):
        return None


def _pdf_dpi(content: bytes) -> int | None:
    if not content.startswith(b"%PDF-"):
        return None
    box = _MEDIA_BOX.search(content)
    if box is None:
        return None
    try:
        x0, _, x1, _ = (Decimal(value.decode("ascii")) for value in box.groups())
    except InvalidOperation:
        return None
    page_points = abs(x1 - x0)
    widths = []
    for image in _IMAGE.finditer(content):
        around = content[max(0, image.start() - _DICTIONARY_REACH):image.end()
                         + _DICTIONARY_REACH]
        widths += [int(width) for width in _WIDTH.findall(around)]
    if not widths or page_points <= 0:
        return None
    return _whole(Decimal(max(widths)) * 72 / page_points)


def _whole(dpi: Decimal) -> int | None:
    value = int(dpi.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return value if 1 <= value <= 9999 else None


_READERS: dict[str, Callable[[bytes], int | None]] = {
    "image/jpeg": _image_dpi("JPEG"),
    "image/png": _image_dpi("PNG"),
    "application/pdf": _pdf_dpi,
}
