"""Attestation de tiers payant 2D codes: images made with zxing-cpp, decoded back.

Includes a "scan": the DataMatrix pasted on a page, rotated, blurred, noisy, saved as JPEG.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter

from openfse.adapters.teleservices.attestation import decode_attestation, read_codes
from openfse.adapters.teleservices.attestation_format import (
    AttestationExpired,
    AttestationMalformed,
    AttestationNoCode,
    AttestationNotAmc,
    AttestationNotYetValid,
    AttestationUnreadableImage,
    format_attestation_payload,
    parse_attestation_payload,
)
from openfse.domain.rights import AmcAttestation
from openfse.periods import Period
from openfse.services.teleservices import read_attestation

# The manuel eS-KAP+ attestation: ALMERYS 98532001, "Typ conv / CSR AL/001", adhérent 75822319.
ALMERYS = AmcAttestation(
    amc_number="98532001",
    convention_type="AL",
    csr="001",
    member_number="75822319",
    validity=Period(date(2026, 1, 1), date(2026, 12, 31)),
    formula="012",
)
PAYLOAD = format_attestation_payload(ALMERYS)


def code_image(text: str, fmt: zxingcpp.BarcodeFormat, scale: int = 6) -> Image.Image:
    buffer = memoryview(zxingcpp.create_barcode(text, fmt).to_image(scale=scale))
    height, width = buffer.shape
    return Image.frombytes("L", (width, height), bytes(buffer))


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def scanned_page(code: Image.Image, angle: float = -7.0) -> bytes:
    """A 1200×900 page with text and the code, rotated, blurred, noisy, as a JPEG."""
    page = Image.new("L", (1200, 900), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 60), "ATTESTATION DE TIERS PAYANT - Almerys", fill=0)
    draw.text((60, 90), "Numero AMC 98532001  Typ conv / CSR AL/001", fill=0)
    page.paste(code, (700, 350))
    page = page.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(1.2))
    noise = Image.effect_noise(page.size, 25)
    page = Image.blend(page, noise, 0.25)
    out = io.BytesIO()
    page.save(out, format="JPEG", quality=70)
    return out.getvalue()


@pytest.mark.parametrize("fmt", [zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.QRCode])
def test_datamatrix_and_qr_decode_into_the_five_fields(fmt: zxingcpp.BarcodeFormat) -> None:
    attestation = decode_attestation(png(code_image(PAYLOAD, fmt)))
    assert attestation.amc_number == "98532001"
    assert (attestation.convention_type, attestation.csr) == ("AL", "001")
    assert attestation.member_number == "75822319"
    assert (attestation.valid_from, attestation.valid_to) == (date(2026, 1, 1), date(2026, 12, 31))
    assert attestation.formula == "012"
    assert attestation.raw == PAYLOAD


def test_pil_image_is_accepted_directly() -> None:
    image = code_image(PAYLOAD, zxingcpp.BarcodeFormat.DataMatrix)
    assert decode_attestation(image).amc_number == "98532001"


@pytest.mark.parametrize("angle", [-7.0, 13.0, 90.0])
def test_rotated_blurred_noisy_scan_is_decoded(angle: float) -> None:
    scan = scanned_page(code_image(PAYLOAD, zxingcpp.BarcodeFormat.DataMatrix, scale=5), angle)
    assert decode_attestation(scan, on=date(2026, 7, 1)) == parse_attestation_payload(PAYLOAD)


def test_service_reads_the_attestation_bytes() -> None:
    attestation = read_attestation(png(code_image(PAYLOAD, zxingcpp.BarcodeFormat.QRCode)))
    assert attestation.member_number == "75822319"


def test_attestation_is_found_among_several_codes() -> None:
    page = Image.new("L", (900, 400), 255)
    page.paste(code_image("https://www.almerys.example/", zxingcpp.BarcodeFormat.QRCode), (20, 20))
    page.paste(code_image(PAYLOAD, zxingcpp.BarcodeFormat.DataMatrix), (500, 40))
    assert len(read_codes(png(page))) == 2
    assert decode_attestation(png(page)).csr == "001"


def test_blank_image_has_no_code() -> None:
    with pytest.raises(AttestationNoCode) as error:
        decode_attestation(png(Image.new("L", (400, 300), 255)))
    assert error.value.code == "attestation_no_code"
    assert "Aucun code 2D" in error.value.message


def test_other_code_is_not_an_amc_attestation() -> None:
    url = png(code_image("https://www.ameli.fr/", zxingcpp.BarcodeFormat.QRCode))
    with pytest.raises(AttestationNotAmc) as error:
        decode_attestation(url)
    assert "pas une attestation de tiers payant AMC" in error.value.message


def test_attestation_missing_a_field_is_malformed() -> None:
    incomplete = PAYLOAD.replace("|ADH=75822319", "")
    with pytest.raises(AttestationMalformed) as error:
        decode_attestation(png(code_image(incomplete, zxingcpp.BarcodeFormat.DataMatrix)))
    assert error.value.field == "adh"
    assert "numéro d'adhérent absent" in error.value.message


def test_expired_attestation_is_refused_on_the_day_after() -> None:
    # Valid 01/01/2026 → 31/12/2026: accepted on the 31st, expired on 2027-01-01.
    image = png(code_image(PAYLOAD, zxingcpp.BarcodeFormat.DataMatrix))
    assert decode_attestation(image, on=date(2026, 12, 31)).valid_on(date(2026, 12, 31))
    with pytest.raises(AttestationExpired) as error:
        decode_attestation(image, on=date(2027, 1, 1))
    assert error.value.attestation.amc_number == "98532001"
    assert "expirée" in error.value.message and "31/12/2026" in error.value.message


def test_attestation_not_yet_valid() -> None:
    with pytest.raises(AttestationNotYetValid):
        decode_attestation(
            png(code_image(PAYLOAD, zxingcpp.BarcodeFormat.QRCode)), on=date(2025, 12, 31)
        )


@pytest.mark.parametrize("data", [b"", b"not an image", png(Image.new("L", (10, 10)))[:40]])
def test_unreadable_image_is_a_typed_error(data: bytes) -> None:
    with pytest.raises(AttestationUnreadableImage):
        decode_attestation(data)


# --------------------------------------------------------------------------- payload tolerance


@pytest.mark.parametrize(
    "payload",
    [
        "IAMC1|AMC=98532001|TC=AL|CSR=001|ADH=75822319|DU=20260101|AU=20261231",
        "IAMC1\x1dAMC=98532001\x1dTC=AL\x1dCSR=001\x1dADH=75822319\x1dDU=20260101\x1dAU=20261231",
        "iamc1;numAMC: 98532001;TypConv=AL;CRS=001;N°Adh=75822319;Début=01/01/2026;Fin=31/12/2026",
        "AMC=98532001\nTC/CSR=AL/001\nADH=75822319\nPERIODE=20260101-20261231",
        "AMC=98532001|TC=al|CSR=001|ADH=758 223 19|PERIODE=01/01/2026 au 31/12/2026|X=1|libre",
        "IAMC1|AMC=98532001|TC=AL|CSR=001|ADH=75822319|DU=2026-01-01|AU=2026-12-31|NOM=Dupont",
    ],
)
def test_payload_parser_is_tolerant(payload: str) -> None:
    parsed = parse_attestation_payload(payload)
    assert (parsed.amc_number, parsed.convention_type, parsed.csr, parsed.member_number) == (
        "98532001",
        "AL",
        "001",
        "75822319",
    )
    assert parsed.validity == Period(date(2026, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("payload", "error_type", "field"),
    [
        ("bonjour", AttestationNotAmc, None),
        ("IAMC2|AMC=98532001", AttestationNotAmc, None),
        ("AMC=98532001", AttestationNotAmc, None),  # a lone number is not an attestation
        ("IAMC1|AMC=98532001|TC=AL|CSR=001|ADH=1|DU=20260101", AttestationMalformed, "au"),
        ("IAMC1|AMC=985|TC=AL|CSR=001|ADH=1|DU=20260101|AU=20261231", AttestationMalformed, "amc"),
        (
            "IAMC1|AMC=98532001|TC=ALX|CSR=001|ADH=1|DU=20260101|AU=20261231",
            AttestationMalformed,
            "tc",
        ),
        (
            "IAMC1|AMC=98532001|TC=AL|CSR=001|ADH=1|DU=20261301|AU=20261231",
            AttestationMalformed,
            "du",
        ),
        (
            "IAMC1|AMC=98532001|TC=AL|CSR=001|ADH=1|DU=20261231|AU=20260101",
            AttestationMalformed,
            "au",
        ),
        ("IAMC1|AMC=98532001|AMC=98532002|TC=AL", AttestationMalformed, "amc"),
        ("IAMC1|AMC=98532001|TC/CSR=AL|ADH=1|DU=20260101|AU=20261231", AttestationMalformed, "tc"),
        (
            "IAMC1|AMC=98532001|TC=AL|TC/CSR=VM/001|CSR=001|ADH=1|PERIODE=2026",
            AttestationMalformed,
            "tc",
        ),
    ],
)
def test_payload_errors_are_typed_and_name_the_field(
    payload: str, error_type: type[Exception], field: str | None
) -> None:
    with pytest.raises(error_type) as error:
        parse_attestation_payload(payload)
    if field is not None:
        assert error.value.field == field  # type: ignore[attr-defined]


def test_format_refuses_an_attestation_without_end_date() -> None:
    open_ended = AmcAttestation("98532001", "AL", "001", "1", Period(date(2026, 1, 1)))
    with pytest.raises(ValueError):
        format_attestation_payload(open_ended)
