"""Read the 2D code of a scanned or photographed attestation de tiers payant AMC.

Dossier LOGOSw: "Possibilité de scanner le QR Code si l'attestation AMC du patient présente un QR
Code"; the harmonised Inter-AMC attestation carries a DataMatrix (sintia.fr/node/84). zxing-cpp
finds DataMatrix and QR codes in any orientation, also in a blurred/noisy scan;
the payload is parsed by :mod:`openfse.adapters.teleservices.attestation_format`.
"""

from __future__ import annotations

import io
import warnings
from datetime import date

import zxingcpp
from PIL import Image, UnidentifiedImageError

from openfse.adapters.teleservices.attestation_format import (
    AttestationError,
    AttestationExpired,
    AttestationMalformed,
    AttestationNoCode,
    AttestationNotAmc,
    AttestationNotYetValid,
    AttestationUnreadableImage,
    parse_attestation_payload,
)
from openfse.domain.rights import AmcAttestation

_FORMATS = zxingcpp.barcode_formats_from_str("DataMatrix,QRCode")
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # a phone photo is a few MB


def _open_image(image: bytes | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    if not isinstance(image, (bytes, bytearray)) or not image:
        raise AttestationUnreadableImage("Aucune image reçue.")
    if len(image) > MAX_IMAGE_BYTES:
        raise AttestationUnreadableImage("Image trop volumineuse (20 Mo au plus).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(image))
            opened.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AttestationUnreadableImage(
            "Fichier illisible comme image (formats acceptés : PNG, JPEG…)."
        ) from None
    except (OSError, ValueError, SyntaxError):  # truncated or corrupt file
        raise AttestationUnreadableImage("Image tronquée ou corrompue.") from None
    return opened


def read_codes(image: bytes | Image.Image) -> list[str]:
    """Texts of every DataMatrix / QR code found on the image (possibly none)."""
    picture = _open_image(image).convert("L")
    found = zxingcpp.read_barcodes(picture, formats=_FORMATS, text_mode=zxingcpp.TextMode.Plain)
    return [code.text for code in found if code.valid]


def decode_attestation(image: bytes | Image.Image, *, on: date | None = None) -> AmcAttestation:
    """The attestation on the image; with ``on``, also check it is valid that day.

    Raises AttestationUnreadableImage, AttestationNoCode, AttestationNotAmc,
    AttestationMalformed, AttestationExpired, AttestationNotYetValid.
    """
    texts = read_codes(image)
    if not texts:
        raise AttestationNoCode()
    # Several codes on one page (a URL QR code next to the DataMatrix…): take the attestation;
    # if none is one, report the most telling problem.
    problem: AttestationError = AttestationNotAmc()
    for text in texts:
        try:
            attestation = parse_attestation_payload(text)
        except AttestationMalformed as error:
            problem = error
            continue
        except AttestationNotAmc as error:
            if not isinstance(problem, AttestationMalformed):
                problem = error
            continue
        break
    else:
        raise problem
    if on is not None and not attestation.valid_on(on):
        if attestation.validity.ended_before(on):
            raise AttestationExpired(attestation, on)
        raise AttestationNotYetValid(attestation, on)
    return attestation
