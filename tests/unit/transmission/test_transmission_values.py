"""The transmission value types: shapes, lot building and numbering, sending deadlines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from transmission_samples import (
    CREATED,
    ORGANISME,
    PDF,
    PS,
    act,
    arl,
    invoice,
    lot,
    paid_line,
    rejected_line,
    statement,
)

from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.transmission import (
    DEFAULT_INSURER_MAILBOX,
    MAX_INVOICES_PER_LOT,
    ArlStatus,
    Destination,
    DestinationKind,
    InvalidTransmission,
    LotContent,
    LotKind,
    LotRef,
    PaymentStatus,
    PendingItem,
    Reason,
    ScorPiece,
    french_public_holidays,
    insurer_mailbox,
    mailbox_template_problem,
    next_lot_number,
    plan_lots,
    sending_deadline,
    working_days_left,
)

D = Decimal
AMO = Destination(DestinationKind.AMO, ORGANISME)


# ------------------------------------------------------------------------------------ shapes


def test_an_invoice_with_a_wrong_nir_key_is_still_a_value_the_insurer_must_refuse() -> None:
    # 1 78 04 75 115 012 + key 17 is right; 18 is wrong, yet it must travel to be rejected (R01).
    assert invoice(nir="178047511501218").nir == "178047511501218"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": "12345678"}, "invoice.number"),
        ({"nir": "17804751150121"}, "invoice.nir"),
        ({"birth_date": "1978-04-12"}, "invoice.birth_date"),
        ({"rang": 0}, "invoice.rang"),
        ({"total": D("30.001")}, "invoice.total"),
        ({"amo": D("-1.00")}, "invoice.amo"),
        ({"amc": 0.0}, "invoice.amc"),
        ({"secure_mode": "papier"}, "invoice.secure_mode"),
        ({"tiers_payant_amo": 1}, "invoice.tiers_payant_amo"),
        ({"acts": ()}, "invoice.acts"),
        ({"draft": "not json"}, "invoice.draft"),
        ({"amc_number": "123"}, "invoice.amc_number"),
    ],
)
def test_invoice_shapes_are_checked_with_the_field_named(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidTransmission) as caught:
        invoice(**changes)
    assert caught.value.field == field
    assert caught.value.message  # French, for the screen


def test_act_codes_follow_their_nomenclature() -> None:
    assert act(nomenclature=Nomenclature.CCAM, code="HBJD001").code == "HBJD001"
    with pytest.raises(InvalidTransmission, match="Code d'acte"):
        act(nomenclature=Nomenclature.CCAM, code="G")
    with pytest.raises(InvalidTransmission, match="Taux AMO"):
        act(rate=D("100.01"))
    with pytest.raises(InvalidTransmission, match="Coefficient"):
        act(coefficient=D("4.5001"))


def test_a_lot_goes_to_the_organism_its_kind_goes_to() -> None:
    with pytest.raises(InvalidTransmission, match="DRE va à un organisme AMC"):
        LotContent(LotRef(PS, CREATED, 1), LotKind.DRE, AMO, invoices=(invoice(),))
    with pytest.raises(InvalidTransmission, match="deux fois"):
        lot(invoice(), invoice())
    with pytest.raises(InvalidTransmission, match="pièces justificatives"):
        LotContent(LotRef(PS, CREATED, 1), LotKind.SCOR, AMO, invoices=(invoice(),))
    too_many = tuple(invoice(f"{n:09d}") for n in range(1, MAX_INVOICES_PER_LOT + 2))
    with pytest.raises(InvalidTransmission, match="de 1 à 50 factures"):
        lot(*too_many)


def test_the_lot_id_is_professional_date_and_three_digit_number() -> None:
    assert lot(number=7).lot_id == "751000126-20260303-007"
    with pytest.raises(InvalidTransmission, match="Numéro de lot"):
        LotRef(PS, CREATED, 1000)


def test_arl_rules() -> None:
    with pytest.raises(InvalidTransmission, match="au moins un motif"):
        arl(reasons=())
    with pytest.raises(InvalidTransmission, match="positif ne porte pas"):
        arl(status=ArlStatus.POSITIVE)
    with pytest.raises(InvalidTransmission, match="identifie le lot ou le message"):
        arl(lot=None, message_ref="")
    assert arl(status=ArlStatus.POSITIVE, reasons=()).positive


def test_reason_labels_are_one_clean_line() -> None:
    with pytest.raises(InvalidTransmission, match="contrôle"):
        Reason("R01", "NIR\ninvalide")
    with pytest.raises(InvalidTransmission, match="contrôle"):
        Reason("R01", " NIR invalide")
    with pytest.raises(InvalidTransmission, match="Code motif"):
        Reason("r01", "NIR invalide")


@pytest.mark.parametrize(
    "changes",
    [
        {"paid": D("20.00")},  # paid must equal requested
        {"payment_date": None},
        {"status": PaymentStatus.PARTIAL},  # partial needs 0 < paid < requested and a reason
        {"status": PaymentStatus.REJECTED},  # rejected pays nothing
        {"reason": Reason("R03", "Droits fermés", "000000123")},  # the line names the invoice
    ],
)
def test_payment_lines_are_consistent_with_their_status(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidTransmission):
        paid_line(**changes)


def test_a_partial_payment_says_why() -> None:
    line = paid_line(
        status=PaymentStatus.PARTIAL,
        paid=D("10.50"),
        reason=Reason("P02", "Base plafonnée"),
    )
    assert line.paid < line.requested


def test_a_statement_pays_by_one_transfer_for_one_professional() -> None:
    # 21.00 paid + 0.00 rejected = 21.00
    assert statement().total_paid == D("21.00")
    with pytest.raises(InvalidTransmission, match="virement"):
        statement(transfer_reference="")
    with pytest.raises(InvalidTransmission, match="virement"):
        statement(rejected_line())  # nothing paid, yet a transfer reference
    other = replace(paid_line(), lot=LotRef("921000345", CREATED, 1))
    with pytest.raises(InvalidTransmission, match="PS du relevé"):
        statement(other)


# ------------------------------------------------------------------------------- lot building


def pending(count: int, ps: str = PS, destination: Destination = AMO) -> list[PendingItem]:
    return [
        PendingItem(ps, LotKind.FSE, destination, invoice(f"{n:09d}")) for n in range(1, count + 1)
    ]


def test_lots_hold_fifty_invoices_and_numbers_cycle_after_999() -> None:
    # 120 invoices, last lot 998: 999 (50 invoices), then 001 (50), then 002 (20).
    lots = plan_lots(pending(120), created_on=CREATED, last_numbers={PS: 998})
    assert [(item.ref.number, len(item.invoices)) for item in lots] == [
        (999, 50),
        (1, 50),
        (2, 20),
    ]
    assert lots[1].invoices[0].number == "000000051"
    assert next_lot_number(0) == 1 and next_lot_number(999) == 1


def test_lots_are_one_professional_one_kind_one_destination() -> None:
    other_caisse = Destination(DestinationKind.AMO, "018415623")
    mixed = pending(2) + pending(1, destination=other_caisse) + pending(1, ps="921000345")
    lots = plan_lots(mixed, created_on=CREATED, last_numbers={"921000345": 41})
    assert [(item.ref.ps_number, item.ref.number, item.destination.code) for item in lots] == [
        (PS, 1, ORGANISME),
        (PS, 2, "018415623"),
        ("921000345", 42, ORGANISME),
    ]


def test_scor_pieces_travel_in_their_own_lots_within_the_size_limit() -> None:
    ten_mb = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    pieces = [
        PendingItem(PS, LotKind.SCOR, AMO, ScorPiece(f"{n:09d}", "application/pdf", 300, ten_mb))
        for n in range(1, 6)
    ]
    # 5 × 10 MiB with a 40 MiB cap per lot: 4 pieces, then 1.
    lots = plan_lots(pieces + pending(1), created_on=CREATED, last_numbers={})
    assert [(item.kind, item.size) for item in lots] == [
        (LotKind.SCOR, 4),
        (LotKind.SCOR, 1),
        (LotKind.FSE, 1),
    ]


def test_an_item_of_the_wrong_kind_cannot_enter_a_lot() -> None:
    piece = ScorPiece("000000001", "application/pdf", 300, PDF)
    with pytest.raises(InvalidTransmission, match="inattendu"):
        plan_lots([PendingItem(PS, LotKind.FSE, AMO, piece)], created_on=CREATED, last_numbers={})


# ---------------------------------------------------------------------------------- deadlines


def test_french_public_holidays_follow_easter() -> None:
    # Easter 2026 is 5 April: Easter Monday 6 April, Ascension 14 May, Whit Monday 25 May.
    holidays = french_public_holidays(2026)
    assert {date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25)} <= holidays
    assert date(2026, 7, 14) in holidays and len(holidays) == 11
    assert date(2024, 4, 1) in french_public_holidays(2024)  # Easter 2024: 31 March


def test_sending_deadline_patient_paid_is_three_working_days() -> None:
    # Care on Friday 1 May 2026 (férié): Mon 4 (1), Tue 5 (2), Wed 6 (3) → Wednesday 6 May.
    assert sending_deadline(date(2026, 5, 1), tiers_payant=False) == date(2026, 5, 6)


def test_sending_deadline_with_tiers_payant_is_eight_working_days() -> None:
    # From Friday 1 May 2026: 4, 5, 6, 7 (1–4), Fri 8 May férié, 11, 12, 13 (5–7),
    # Thu 14 May Ascension, Fri 15 (8) → 15 May.
    assert sending_deadline(date(2026, 5, 1), tiers_payant=True) == date(2026, 5, 15)
    # Without holidays given explicitly, only weekends count: 4–8 (1–5), 11–13 (6–8).
    assert sending_deadline(date(2026, 5, 1), tiers_payant=True, holidays=()) == date(2026, 5, 13)


def test_working_days_left_counts_down_then_goes_negative() -> None:
    deadline = date(2026, 5, 6)
    assert working_days_left(date(2026, 5, 1), deadline) == 3
    assert working_days_left(date(2026, 5, 4), deadline) == 2
    assert working_days_left(deadline, deadline) == 0
    assert working_days_left(date(2026, 5, 7), deadline) == -1
    assert working_days_left(date(2026, 5, 11), deadline) == -2  # Thu 7, (Fri 8 férié), Mon 11


# docs/formats/lot.md §5: the organism's mailbox from the cabinet's template.
@pytest.mark.parametrize(
    ("template", "destination", "address"),
    [
        (DEFAULT_INSURER_MAILBOX, Destination(DestinationKind.AMO, "017519881"),
         "amo017519881@teletransmission.openfse.localhost"),
        ("{type}.{code}@caisses.example.fr", Destination(DestinationKind.AMC, "98532001"),
         "amc.98532001@caisses.example.fr"),
        ("depot@oct.example.fr", Destination(DestinationKind.AMO, "017519881"),
         "depot@oct.example.fr"),  # a concentrateur: every lot to one address
    ],
)
def test_the_insurer_mailbox_comes_from_the_template(
    template: str, destination: Destination, address: str
) -> None:
    assert mailbox_template_problem(template) is None
    assert insurer_mailbox(template, destination) == address


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("{nom}@oct.example.fr", "Seuls {type}"),
        ("{code!r}@oct.example.fr", "Seuls {type}"),
        ("{code:>12}@oct.example.fr", "Seuls {type}"),
        ("{code@oct.example.fr", "sans son pendant"),
        ("caisse {code}", "Adresse e-mail attendue"),
        ("{type}{code}@localhost", "Adresse e-mail attendue"),
        ("x" * 200 + "@oct.example.fr", "Adresse e-mail attendue"),
    ],
)
def test_a_wrong_mailbox_template_says_why(template: str, words: str) -> None:
    problem = mailbox_template_problem(template)
    assert problem is not None and words in problem
