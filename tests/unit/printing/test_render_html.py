"""The HTML the PDFs are made from (no PDF engine needed): what is printed where, escaping,
and the errors raised instead of a document."""

from __future__ import annotations

import base64
import builtins
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest

from openfse.printing import render
from openfse.printing.documents import (
    ActLine,
    Insured,
    PaperMode,
    Prescription,
    ReceiptPayment,
    WorkAccident,
)
from openfse.printing.errors import InvalidPrintData, PrintingUnavailable

from .factories import DAY, patient, receipt, sheet


def _text(html: str) -> str:
    """The visible text, tags dropped and blanks collapsed; a field's label is followed by
    « : » as the stylesheet adds it (``dt::after``)."""
    without_style = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    without_style = without_style.replace("</dt>", " : ")
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", without_style)).split())


def test_degraded_sheet_says_so_and_shows_every_section() -> None:
    html = render.care_sheet_html(sheet(tiers_payant_amo=True, amount_received=Decimal("9.00")))
    text = _text(html)
    assert "<title>Feuille de soins — mode dégradé</title>" in html
    assert "Télétransmission en mode « dégradé »" in text
    for section in ("Identification du praticien", "Personne recevant les soins et assuré(e)",
                    "Conditions de prise en charge des soins", "Prescription",
                    "Actes effectués", "Montants et paiement", "Signature du praticien",
                    "Signature de l'assuré(e) ou du patient"):
        assert section in text
    # Order of the official form: praticien, patient, conditions, prescription, actes, paiement.
    positions = [text.index(s) for s in ("Identification du praticien", "Personne recevant",
                                         "Conditions de prise", "Actes effectués",
                                         "Montants et paiement", "Signature du praticien")]
    assert positions == sorted(positions)
    assert "1 78 04 75 115 012" in text and "clé 17" in text
    assert "Facture n° 000001434" in text
    assert "☒ L'assuré(e) n'a pas payé la part obligatoire" in text
    assert "☐ L'assuré(e) n'a pas payé la part complémentaire" in text
    assert "avoir reçu la somme de 9,00 €" in text
    assert "Soins effectués sans prescription" in text


def test_paper_sheet_has_its_own_title_and_notice() -> None:
    html = render.care_sheet_html(sheet(mode=PaperMode.PAPIER))
    assert "<title>Feuille de soins — papier</title>" in html
    assert "Aucune feuille de soins électronique n'a été transmise" in _text(html)
    assert "mode « dégradé »" not in _text(html)


def test_conditions_print_their_labels() -> None:
    html = render.care_sheet_html(sheet(
        nature="at", accident_travail=WorkAccident(date(2026, 3, 2), "020105342"),
        exoneration="4", parcours="adresse_par_mt", medecin_traitant="Dr Anne ROUX",
        prescription=Prescription("Dr Anne ROUX", date(2026, 3, 1),
                                  prescriber_id="10001347698"),
        patient=patient(insured=Insured("MARTIN", "Paul"), first_name="Léa",
                        birth_date="20150315", rank=2),
    ))
    text = _text(html)
    assert "Nature de l'assurance : Accident du travail / maladie professionnelle" in text
    assert "Date de l'accident du travail : 02/03/2026" in text
    assert "N° de l'accident du travail : 020105342" in text
    assert "Soins en rapport avec une affection de longue durée (ALD)" in text
    assert "Patient orienté par le médecin traitant" in text
    assert "Médecin traitant : Dr Anne ROUX" in text
    assert "Identifiant du prescripteur : 10001347698" in text
    assert "Date de la prescription : 01/03/2026" in text
    assert "Assuré(e) ouvrant droit" in text
    assert "Rang : 2" in text


def test_lines_show_coefficients_depassements_and_the_qualificatif_legend() -> None:
    lines = (ActLine(DAY, "C", Decimal("55.00"), depassement=Decimal("25.00"),
                     qualificatif="D"),
             ActLine(DAY, "AMI", Decimal("4.73"), coefficient=Decimal("1.50")))
    html = render.care_sheet_html(sheet(lines=lines, shares=sheet().shares.__class__(
        Decimal("59.73"), Decimal("21.00"), Decimal("9.00"), Decimal("29.73"))))
    text = _text(html)
    assert "25,00 € 55,00 €" in text
    assert "AMI 1,5" in text
    assert "Qualificatifs de dépense : D = Dépassement d'honoraires." in text
    assert "Montant total (2 actes) 59,73 €" in text


def test_user_text_is_escaped() -> None:
    html = render.care_sheet_html(sheet(patient=patient(last_name="<b>O'HARA & FILS</b>")))
    assert "&lt;b&gt;O&#39;HARA &amp; FILS&lt;/b&gt;" in html
    assert "<b>O'HARA" not in html


def test_the_qr_code_is_an_embedded_svg_of_the_reference_or_absent() -> None:
    html = render.care_sheet_html(sheet())
    match = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    assert match is not None
    svg = base64.b64decode(match.group(1)).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "data:image/svg" not in render.care_sheet_html(sheet(with_qr=False))


def test_receipt_shows_addressee_payments_and_balance() -> None:
    text = _text(render.receipt_html(receipt(
        payments=(ReceiptPayment(DAY, "cheque", Decimal("35.00"), "n° 1234567"),))))
    assert "Facturer à Paul MARTIN" in text
    assert "Chèque n° 1234567 35,00 €" in text
    assert "Trop-perçu à rembourser 5,00 €" in text
    assert "ACQUITTÉE" not in text
    assert "TVA non applicable, article 261-4-1° du code général des impôts." in text


def test_settled_receipt_is_stamped() -> None:
    text = _text(render.receipt_html(receipt(
        payments=(ReceiptPayment(DAY, "especes", Decimal("30.00")),))))
    assert "Reste à payer 0,00 €" in text
    assert "ACQUITTÉE" in text


def test_only_view_models_are_rendered() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        render.render_care_sheet(receipt())  # type: ignore[arg-type]
    assert excinfo.value.message == "Document à imprimer invalide : feuille de soins attendue."
    with pytest.raises(InvalidPrintData):
        render.render_receipt({"total": "30"})  # type: ignore[arg-type]


def test_a_missing_pdf_engine_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def refuse_weasyprint(name: str, *args: object, **kwargs: object) -> object:
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", refuse_weasyprint)
    with pytest.raises(PrintingUnavailable) as excinfo:
        render.render_care_sheet(sheet())
    assert excinfo.value.code == "printing.unavailable"
    assert excinfo.value.message.startswith("Impression PDF indisponible sur ce poste")
