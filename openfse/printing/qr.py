"""The optional 2D code of a printed document: a QR code carrying the document's reference
(who bills, which invoice — never health data), drawn as SVG by zxing-cpp and embedded as an
image, so it stays sharp at any print resolution and is read back by any phone or scanner
(https://github.com/zxing-cpp/zxing-cpp)."""

from __future__ import annotations

import base64

import zxingcpp

__all__ = ["qr_data_uri"]


def qr_data_uri(text: str) -> str:
    """A ``data:`` URI of the QR code of ``text`` as SVG, quiet zone included.

    Embedding it as an image (not inline markup) keeps the generated SVG out of the HTML
    parser: nothing in it can alter the document.
    """
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    svg = zxingcpp.write_barcode_to_svg(barcode, add_quiet_zones=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
