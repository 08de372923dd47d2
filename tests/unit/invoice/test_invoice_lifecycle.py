"""The life of an invoice: each transition, each refusal, the displayed statuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openfse.domain.invoice import (
    DisplayStatus,
    InvalidInvoice,
    InvalidTransition,
    InvoiceImmutable,
    InvoiceKind,
    InvoiceNumber,
    InvoiceState,
    InvoiceStatus,
    SecureMode,
    VitaleRequired,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
N = InvoiceNumber(1434)


def _validated(mode: SecureMode = SecureMode.SECURISE, **kwargs: object) -> InvoiceState:
    return InvoiceState(secure_mode=mode, **kwargs).validate(N, T0)  # type: ignore[arg-type]


def test_the_full_life_of_a_secure_invoice() -> None:
    state = _validated()
    assert (state.status, state.number, state.display_status) == (
        InvoiceStatus.VALIDATED, N, DisplayStatus.A_SIGNER)

    state = state.sign(T0, vitale_present=True)
    assert state.display_status is DisplayStatus.SECURISEE
    state = state.put_in_lot("LOT-001")
    assert state.display_status is DisplayStatus.EN_LOT
    state = state.mark_sent(T1)
    assert state.display_status is DisplayStatus.TRANSMISE
    state = state.acknowledge(T1)
    assert state.display_status is DisplayStatus.ACQUITTEE
    state = state.mark_paid(T1)
    assert (state.display_status, state.display_status.label) == (DisplayStatus.PAYEE, "Payée")


def test_a_secure_invoice_needs_the_vitale_to_be_signed() -> None:
    with pytest.raises(VitaleRequired):
        _validated().sign(T0, vitale_present=False)


def test_a_desynchronised_invoice_waits_for_the_vitale_before_its_lot() -> None:
    state = _validated(SecureMode.DESYNCHRONISE).sign(T0, vitale_present=False)
    assert state.display_status is DisplayStatus.DESYNCHRONISEE and state.awaits_vitale
    with pytest.raises(InvalidTransition, match="désynchronisée"):
        state.put_in_lot("LOT-001")

    secured = state.secure(T1)

    assert secured.display_status is DisplayStatus.SECURISEE and not secured.awaits_vitale
    assert secured.put_in_lot("LOT-001").status is InvoiceStatus.IN_LOT
    with pytest.raises(InvalidTransition):
        secured.secure(T1)  # already secured


def test_a_desynchronised_invoice_signed_with_the_card_present_is_secured_at_once() -> None:
    state = _validated(SecureMode.DESYNCHRONISE).sign(T0, vitale_present=True)
    assert state.vitale_secured_at == T0 and state.display_status is DisplayStatus.SECURISEE


@pytest.mark.parametrize(("mode", "shown"), [
    (SecureMode.DEGRADE, DisplayStatus.DEGRADEE),
    (SecureMode.SESAM_SANS_VITALE, DisplayStatus.SESAM_SANS_VITALE),
])
def test_cps_only_modes_are_signed_without_the_vitale(mode: SecureMode,
                                                       shown: DisplayStatus) -> None:
    state = _validated(mode).sign(T0, vitale_present=False)
    assert state.display_status is shown
    assert state.put_in_lot("L").status is InvoiceStatus.IN_LOT


def test_a_hors_teletransmission_invoice_is_never_signed() -> None:
    state = _validated(hors_teletransmission=True)
    assert state.display_status is DisplayStatus.HORS_TELETRANSMISSION
    with pytest.raises(InvalidTransition, match="hors télétransmission"):
        state.sign(T0, vitale_present=True)


def test_reject_comes_from_the_caisse_after_sending() -> None:
    sent = _validated().sign(T0, vitale_present=True).put_in_lot("L").mark_sent(T0)
    rejected = sent.reject(T1, "  Droits non ouverts ")
    assert (rejected.display_status, rejected.rejection_reason) == (
        DisplayStatus.REJETEE, "Droits non ouverts")
    with pytest.raises(InvalidTransition):
        _validated().reject(T1, "x")


def test_unsent_invoices_may_be_deleted_sent_ones_not() -> None:
    assert _validated().delete(T1).display_status is DisplayStatus.SUPPRIMEE
    signed = _validated().sign(T0, vitale_present=True)
    assert signed.is_unsent and signed.delete(T1).status is InvoiceStatus.DELETED
    in_lot = signed.put_in_lot("L")
    assert not in_lot.is_unsent
    with pytest.raises(InvalidTransition, match="supprimer la facture n° 000001434"):
        in_lot.delete(T1)


def test_cancellation_is_refused_while_the_caisse_processes_the_invoice() -> None:
    sent = _validated().sign(T0, vitale_present=True).put_in_lot("L").mark_sent(T0)
    with pytest.raises(InvalidTransition, match="annuler"):
        sent.cancel(T1)
    assert sent.reject(T1, "r").cancel(T1).status is InvoiceStatus.CANCELLED


def test_a_cancellation_document_is_numbered_validated_and_final() -> None:
    cancelled = _validated().cancel(T1)
    document = cancelled.cancellation_document(InvoiceNumber(1435), T1)

    assert (document.kind, document.status, document.number) == (
        InvoiceKind.CANCELLATION, InvoiceStatus.VALIDATED, InvoiceNumber(1435))
    assert document.display_status is DisplayStatus.ANNULATION
    assert not document.counts_for_balance and not document.is_unsent
    with pytest.raises(InvalidTransition, match="définitif"):
        document.cancel(T1)
    with pytest.raises(InvalidTransition):
        _validated().cancellation_document(InvoiceNumber(2), T1)  # not cancelled


def test_only_a_draft_may_change_and_only_a_draft_is_validated() -> None:
    InvoiceState().require_editable()
    with pytest.raises(InvoiceImmutable, match="000001434"):
        _validated().require_editable()
    with pytest.raises(InvalidTransition):
        _validated().validate(InvoiceNumber(5), T1)


def test_balances_count_only_live_invoices() -> None:
    assert not InvoiceState().counts_for_balance
    assert _validated().counts_for_balance
    assert not _validated().cancel(T1).counts_for_balance
    assert not _validated().delete(T1).counts_for_balance


def test_invoice_numbers_have_nine_digits() -> None:
    assert str(InvoiceNumber(1)) == "000000001"
    assert InvoiceNumber.parse(" 777000010 ").value == 777000010
    assert InvoiceNumber(5) < InvoiceNumber(6)
    for bad in (0, 1_000_000_000, True):
        with pytest.raises(InvalidInvoice):
            InvoiceNumber(bad)
    for text in ("", "12a", "1234567890", "²"):
        with pytest.raises(InvalidInvoice):
            InvoiceNumber.parse(text)
