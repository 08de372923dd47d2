"""The view models refuse data that cannot be printed, with a French message naming the
field, and compute what the documents show (due at the desk, balance of a note)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from openfse.printing.documents import (
    ActLine,
    Address,
    AmcOrganism,
    AmoOrganism,
    Company,
    Insured,
    PaperMode,
    Prescription,
    ReceiptPayment,
    ReceiptShare,
    Shares,
    WorkAccident,
)
from openfse.printing.errors import InvalidPrintData

from .factories import DAY, consultation, patient, professional, receipt, sheet


def _error(excinfo: pytest.ExceptionInfo[InvalidPrintData]) -> InvalidPrintData:
    error = excinfo.value
    assert error.code == "printing.invalid_data"
    return error


# ---------------------------------------------------------------------------- identities


def test_nir_with_a_wrong_key_is_refused_with_the_nir_error_in_french() -> None:
    # 1 78 04 75 115 012 → key 97 − (1780475115012 mod 97) = 17; 12 is wrong.
    with pytest.raises(InvalidPrintData) as excinfo:
        patient(nir="178047511501212")
    error = _error(excinfo)
    assert error.field == "patient.nir"
    assert error.message == ("NIR de l'assuré(e) : Clé du NIR incorrecte : 12 saisie, "
                             "17 attendue.")


def test_the_nir_is_printed_as_on_the_card_with_its_key_apart() -> None:
    printed = patient(nir="1 78 04 75 115 012 17")
    assert (printed.nir_body, printed.nir_key) == ("1 78 04 75 115 012", "17")


@pytest.mark.parametrize(
    ("birth", "printed"),
    [
        ("19841300", "00/13/1984"),  # lunar: month 13, day 00 (test card vitale_famille)
        ("00/00/1979", "00/00/1979"),
        ("1985-03-12", "12/03/1985"),
        (date(2015, 3, 15), "15/03/2015"),
    ],
)
def test_birth_dates_are_printed_digit_for_digit(birth: object, printed: str) -> None:
    assert patient(birth_date=birth).birth_date_printed == printed


def test_an_unreadable_birth_date_is_refused() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        patient(birth_date="12.03.85")
    assert _error(excinfo).field == "patient.birth_date"
    assert "Date de naissance illisible" in excinfo.value.message


@pytest.mark.parametrize("rank", [0, 10, True])
def test_the_birth_rank_is_a_digit_from_1_to_9(rank: object) -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        patient(rank=rank)
    assert _error(excinfo).field == "patient.rank"


def test_organisms_are_checked_with_the_identifier_modules() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        AmoOrganism("118415623")  # régime 11 does not exist
    assert _error(excinfo).field == "patient.amo.code"
    assert excinfo.value.message.startswith("Organisme AMO : Code régime inconnu : 11")
    with pytest.raises(InvalidPrintData) as excinfo:
        AmcOrganism("12345")
    assert _error(excinfo).field == "patient.amc.number"
    assert AmoOrganism("01 751 9881").printed_code == "01 751 9881"
    assert AmoOrganism("017519881").regime_label == "Régime général"


def test_professional_numbers_are_checked_and_one_is_required() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        professional(billing_number="751000127")  # Luhn key of 75100012 is 6
    assert _error(excinfo).field == "professional.billing_number"
    assert "Clé du numéro de facturation incorrecte" in excinfo.value.message
    with pytest.raises(InvalidPrintData) as excinfo:
        professional(rpps="99900012348")
    assert _error(excinfo).field == "professional.rpps"
    with pytest.raises(InvalidPrintData) as excinfo:
        professional(billing_number="", rpps="")
    assert excinfo.value.message == "Praticien : numéro de facturation ou numéro RPPS requis."
    with pytest.raises(InvalidPrintData) as excinfo:
        professional(profession="plombier")
    assert _error(excinfo).field == "professional.profession"
    assert professional().billing_number_printed == "75 1 00012 6"


def test_a_care_sheet_needs_the_billing_number_the_caisse_pays_under() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        sheet(professional=professional(billing_number=""))
    assert _error(excinfo).field == "professional.billing_number"


def test_a_prescriber_id_is_an_rpps_or_an_am_number() -> None:
    assert Prescription("Dr LEGRAND", DAY, prescriber_id="99900012347").prescriber_id
    assert Prescription("Dr LEGRAND", DAY, prescriber_id="751000126").prescriber_id
    with pytest.raises(InvalidPrintData) as excinfo:
        Prescription("Dr LEGRAND", DAY, prescriber_id="751000127")
    assert _error(excinfo).field == "prescription.prescriber_id"


def test_names_are_required_and_bounded() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        patient(last_name="  ")
    assert excinfo.value.message == "Nom du patient : valeur manquante."
    with pytest.raises(InvalidPrintData) as excinfo:
        patient(first_name="x" * 201)
    assert excinfo.value.message == "Prénom du patient : 201 caractères, 200 au plus."
    with pytest.raises(InvalidPrintData):
        Insured("", "Paul")
    with pytest.raises(InvalidPrintData) as excinfo:
        Address(lines=("a",) * 5)
    assert excinfo.value.message == "Adresse : 4 lignes au plus."


def test_an_address_prints_its_lines_then_postcode_and_city() -> None:
    address = Address(("8, allée des Tilleuls", ""), "75020", "Paris")
    assert address.printed_lines == ("8, allée des Tilleuls", "75020 Paris")


# ---------------------------------------------------------------------------- lines and amounts


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("30.005"), "Montant de l'acte : montant au centime près attendu (30.005)."),
        (Decimal("-1.00"), "Montant de l'acte : montant négatif (-1.00)."),
        (Decimal("NaN"), "Montant de l'acte : montant en euros attendu."),
        (30.0, "Montant de l'acte : montant en euros attendu."),  # never a float
        (Decimal("1000000.01"), "Montant de l'acte : montant hors limites (1000000.01)."),
    ],
)
def test_amounts_are_decimal_euros_to_the_cent(amount: object, message: str) -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        ActLine(DAY, "G", amount)  # type: ignore[arg-type]
    assert _error(excinfo).message == message
    assert excinfo.value.field == "amount"


def test_a_depassement_is_part_of_the_amount_billed() -> None:
    # C 30,00 € + dépassement 25,00 € (qualificatif D) = 55,00 € billed.
    line = ActLine(DAY, "C", Decimal("55.00"), depassement=Decimal("25.00"), qualificatif="D")
    assert line.qualificatif_label == "Dépassement d'honoraires"
    with pytest.raises(InvalidPrintData) as excinfo:
        ActLine(DAY, "C", Decimal("20.00"), depassement=Decimal("25.00"))
    assert _error(excinfo).field == "depassement"


def test_line_codes_and_quantities_are_checked() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        ActLine(DAY, "C", Decimal("30.00"), qualificatif="Z")
    assert _error(excinfo).field == "qualificatif"
    assert excinfo.value.message.startswith(
        "Qualificatif de dépense : valeur « Z » inconnue. Valeurs possibles : A (Dépassement "
        "autorisé)")
    with pytest.raises(InvalidPrintData):
        ActLine(DAY, "G", Decimal("30.00"), quantity=0)
    with pytest.raises(InvalidPrintData):
        ActLine(DAY, "G", Decimal("30.00"), coefficient=Decimal(0))
    with pytest.raises(InvalidPrintData):
        ActLine(DAY, "IK", Decimal("2.80"), ik_km=Decimal(-8))
    with pytest.raises(InvalidPrintData) as excinfo:
        ActLine(datetime(2026, 3, 10, 23, 30), "G", Decimal("30.00"))  # type: ignore[arg-type]
    assert excinfo.value.message == "Date de l'acte : date attendue."


def test_shares_must_add_up_to_the_total() -> None:
    # 21,00 + 9,00 + 0,01 = 30,01 ≠ 30,00
    with pytest.raises(InvalidPrintData) as excinfo:
        Shares(Decimal("30.00"), Decimal("21.00"), Decimal("9.00"), Decimal("0.01"))
    assert _error(excinfo).field == "shares"
    assert excinfo.value.message == ("Parts AMO (21.00) + AMC (9.00) + assuré(e) (0.01) "
                                     "différentes du montant total (30.00).")


def test_the_total_must_be_the_sum_of_the_lines() -> None:
    # G 30,00 + G 30,00 = 60,00 but the shares say 30,00.
    with pytest.raises(InvalidPrintData) as excinfo:
        sheet(lines=(consultation(), consultation()))
    assert _error(excinfo).field == "shares.total"
    assert excinfo.value.message == ("Montant total (30.00) différent de la somme des actes "
                                     "(60.00).")


def test_acts_cannot_be_dated_after_the_sheet() -> None:
    late = ActLine(date(2026, 3, 11), "G", Decimal("30.00"))
    with pytest.raises(InvalidPrintData) as excinfo:
        sheet(lines=(late,))
    assert _error(excinfo).field == "lines[0].date"


def test_a_sheet_needs_at_least_one_act() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        sheet(lines=())
    assert excinfo.value.message == "Aucun acte à imprimer."


# ---------------------------------------------------------------------------- care sheet


def test_due_at_desk_leaves_out_the_parts_in_tiers_payant() -> None:
    # G 30,00 €: AMO 21,00, AMC 9,00. No TP: 30,00; TP AMO: 30,00 − 21,00 = 9,00;
    # TP AMO + AMC: 30,00 − 21,00 − 9,00 = 0,00.
    assert sheet().due_at_desk == Decimal("30.00")
    assert sheet(tiers_payant_amo=True).due_at_desk == Decimal("9.00")
    assert sheet(tiers_payant_amo=True, tiers_payant_amc=True).due_at_desk == Decimal("0.00")


def test_the_payment_received_cannot_exceed_what_the_patient_owes() -> None:
    # TP AMO: the patient owes 9,00 €; 9,01 € received is a typing error.
    assert sheet(tiers_payant_amo=True, amount_received=Decimal("9.00"))
    with pytest.raises(InvalidPrintData) as excinfo:
        sheet(tiers_payant_amo=True, amount_received=Decimal("9.01"))
    assert _error(excinfo).field == "amount_received"
    assert excinfo.value.message == ("Paiement reçu (9.01) supérieur à ce que le patient doit "
                                     "régler (9.00).")


def test_conditions_are_codes_of_the_referential_lists() -> None:
    covered = sheet(exoneration="4", parcours="urgence")
    assert covered.label_of(covered_list("EXONERATION"), "4") == (
        "Soins en rapport avec une affection de longue durée (ALD)")
    for name, value in (("nature", "chomage"), ("exoneration", "8"), ("parcours", "libre")):
        with pytest.raises(InvalidPrintData) as excinfo:
            sheet(**{name: value})
        assert _error(excinfo).field == name


def covered_list(name: str):  # type: ignore[no-untyped-def]
    from openfse.referentials import codes

    return getattr(codes, name)


def test_an_accident_du_travail_needs_its_date_and_only_goes_with_nature_at() -> None:
    at = WorkAccident(date(2026, 3, 2), "020105342")
    assert sheet(nature="at", accident_travail=at).accident_travail == at
    with pytest.raises(InvalidPrintData) as excinfo:
        sheet(nature="at")
    assert excinfo.value.message == "Accident du travail : date de l'accident requise."
    with pytest.raises(InvalidPrintData) as excinfo:
        sheet(accident_travail=at)
    assert _error(excinfo).field == "accident_travail"
    with pytest.raises(InvalidPrintData) as excinfo:
        WorkAccident(date(2026, 3, 2), "AT-1")
    assert _error(excinfo).field == "accident_travail.number"


def test_invoice_numbers_have_one_to_nine_digits_and_print_on_nine() -> None:
    assert sheet(invoice_number="1434").number_printed == "000001434"
    for bad in ("0", "1234567890", "12a", "", "١٢"):
        with pytest.raises(InvalidPrintData) as excinfo:
            sheet(invoice_number=bad)
        assert _error(excinfo).field == "invoice_number"


def test_the_mode_must_be_a_paper_mode() -> None:
    assert sheet(mode=PaperMode.PAPIER).mode.heading == "papier"
    with pytest.raises(InvalidPrintData):
        sheet(mode="degrade")


def test_the_2d_code_carries_the_invoice_reference_and_no_health_data() -> None:
    assert sheet().reference == "OPENFSE FSP 751000126 000001434"
    assert "1780475" not in sheet().reference


def test_replacing_a_field_checks_the_sheet_again() -> None:
    with pytest.raises(InvalidPrintData):
        replace(sheet(), amount_received=Decimal("31.00"))


# ---------------------------------------------------------------------------- receipt


def test_receipt_balance_worked_example() -> None:
    # 44,77 € billed, AMO 31,34 € in tiers payant → 13,43 € due; CB 8,43 € + espèces 5,00 €
    # = 13,43 € received → balance 0,00 €, « acquittée ».
    lines = (ActLine(DAY, "G", Decimal("30.00")), ActLine(DAY, "DEQP003", Decimal("14.77")))
    paid = (ReceiptPayment(DAY, "cb", Decimal("8.43")),
            ReceiptPayment(DAY, "especes", Decimal("5.00")))
    note = receipt(lines=lines, total=Decimal("44.77"), tiers_payant_amo=Decimal("31.34"),
                   payments=paid)
    assert (note.due, note.paid, note.balance) == (Decimal("13.43"), Decimal("13.43"),
                                                   Decimal("0.00"))
    assert note.settled
    assert [p.kind_label for p in note.payments] == ["Carte bancaire", "Espèces"]


def test_receipt_overpayment_gives_a_negative_balance() -> None:
    # 30,00 € due, cheque of 35,00 € → balance −5,00 € (trop-perçu), not « acquittée ».
    note = receipt(payments=(ReceiptPayment(DAY, "cheque", Decimal("35.00"), "n° 1234567"),))
    assert note.balance == Decimal("-5.00")
    assert not note.settled


def test_receipt_without_payment_is_not_settled() -> None:
    note = receipt()
    assert (note.due, note.paid, note.balance, note.settled) == (
        Decimal("30.00"), Decimal("0.00"), Decimal("30.00"), False)


def test_receipt_tiers_payant_cannot_exceed_the_total() -> None:
    # 30,00 € billed; AMO 21,00 + AMC 9,01 = 30,01 € > 30,00 €.
    with pytest.raises(InvalidPrintData) as excinfo:
        receipt(tiers_payant_amo=Decimal("21.00"), tiers_payant_amc=Decimal("9.01"))
    assert _error(excinfo).field == "tiers_payant_amo"


def test_receipt_payments_are_checked() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        ReceiptPayment(DAY, "bitcoin", Decimal("10.00"))
    assert _error(excinfo).field == "payment.kind"
    with pytest.raises(InvalidPrintData) as excinfo:
        ReceiptPayment(DAY, "cb", Decimal("0.00"))
    assert excinfo.value.message == "Montant du paiement nul."
    with pytest.raises(InvalidPrintData) as excinfo:
        receipt(payments=[ReceiptPayment(DAY, "cb", Decimal("1.00"))])
    assert _error(excinfo).field == "payments"


def test_receipt_addressee_is_the_company_when_billed_to_one() -> None:
    company = Company("EHPAD Les Œillets", Address(("3, rue des Cœurs-Vaillants",), "92100",
                                                   "Boulogne-Billancourt"), "52345678900027")
    assert receipt().addressee_name == "Paul MARTIN"
    billed = receipt(bill_to=company)
    assert billed.addressee_name == "EHPAD Les Œillets"
    assert billed.addressee_address.printed_lines[-1] == "92100 Boulogne-Billancourt"
    with pytest.raises(InvalidPrintData) as excinfo:
        Company("EHPAD", siret="1234")
    assert _error(excinfo).field == "bill_to.siret"


def test_receipt_total_must_be_the_sum_of_the_lines() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        receipt(total=Decimal("31.00"))
    assert _error(excinfo).field == "total"


def test_receipt_reference_names_the_issuer_and_the_number() -> None:
    assert receipt().reference == "OPENFSE NH 751000126 000001434"
    assert receipt(professional=professional(billing_number="")).reference == (
        "OPENFSE NH 99900012347 000001434")


def test_receipt_adds_an_insurer_part_billed_to_the_patient() -> None:
    # G 30,00 € in tiers payant AMO 21,00 € and AMC 9,00 € (gestion séparée); the mutuelle
    # rejected its part, billed to the patient (docs/money-states.md §4): he owes 9,00 €,
    # the note is « acquittée » only once he paid them.
    shares = (ReceiptShare("amo", "Payée"), ReceiptShare("amc", "Facturée au patient",
                                                          Decimal("9.00")))
    note = receipt(tiers_payant_amo=Decimal("21.00"), tiers_payant_amc=Decimal("9.00"),
                   insurer_shares=shares)
    assert (note.due, note.billed_to_patient, note.settled) == (
        Decimal("9.00"), Decimal("9.00"), False)
    assert note.insurer_share("amc") == shares[1]
    paid = replace(note, payments=(ReceiptPayment(DAY, "cb", Decimal("9.00")),))
    assert paid.settled


def test_receipt_cannot_bill_more_than_the_insurer_part() -> None:
    with pytest.raises(InvalidPrintData) as excinfo:
        receipt(tiers_payant_amc=Decimal("9.00"),
                insurer_shares=(ReceiptShare("amc", "Rejetée", Decimal("9.01")),))
    assert _error(excinfo).field == "insurer_shares[0]"
    with pytest.raises(InvalidPrintData):
        ReceiptShare("patient", "Payée")
