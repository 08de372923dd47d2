"""E-mail envelopes of our files, and the quarantine of unreadable incoming files."""

from __future__ import annotations

from pathlib import Path

import pytest
from transmission_samples import lot

from openfse.adapters.transmission.errors import TransmissionFormatError
from openfse.adapters.transmission.mail import (
    LOT_SUBTYPE,
    MailAttachment,
    compose,
    lot_message_id,
    lot_ref_of_message_id,
    read_mail,
)
from openfse.adapters.transmission.quarantine import Quarantine
from openfse.adapters.transmission.smtp_sender import OutgoingLot


def test_a_lot_travels_as_an_attachment_with_a_message_id_derived_from_it() -> None:
    outgoing = OutgoingLot.of(lot(), "cpam751@caisse.openfse.test")
    sha = outgoing.lot_file.sha256
    assert outgoing.message_id == f"<lot.751000126-20260303-007.{sha[:16]}@openfse>"
    mail = read_mail(outgoing.message("cabinet@openfse.test"))
    assert mail.message_id == outgoing.message_id
    assert mail.sender == "cabinet@openfse.test"
    assert mail.attachments == (
        MailAttachment("751000126-20260303-007.lot", LOT_SUBTYPE, outgoing.lot_file.data),
    )
    # The same lot always gets the same id: a resend is recognisable.
    assert OutgoingLot.of(lot(), "x@y.test").message_id == outgoing.message_id


def test_the_lot_is_found_again_from_its_message_id() -> None:
    assert lot_ref_of_message_id(lot_message_id("751000126-20260303-007", "ab" * 32)) == (
        "751000126",
        "20260303",
        7,
    )
    assert lot_ref_of_message_id("<something@else>") is None


def test_other_attachments_are_ignored() -> None:
    raw = compose(
        sender="a@b.test",
        recipient="c@d.test",
        subject="x",
        message_id="<x@y>",
        attachment=MailAttachment("note.txt", "octet-stream", b"hello"),
    )
    assert read_mail(raw).attachments == ()


def test_a_message_that_is_not_mime_still_reads_or_fails_typed() -> None:
    try:
        mail = read_mail(b"\x00\xff\xfe not a mail at all")
    except TransmissionFormatError:
        return
    assert mail.attachments == ()


def test_quarantine_keeps_the_content_and_the_reason_once(tmp_path: Path) -> None:
    box = Quarantine(tmp_path / "quarantaine")
    assert box.entries() == []
    first = box.put(b"corrupt ARL", "Ligne 7 : somme de contrôle\nincorrecte", source="UIDL 3")
    again = box.put(b"corrupt ARL", "autre motif", source="UIDL 3")
    assert again.name == first.name
    [entry] = box.entries()
    assert entry.reason == "Ligne 7 : somme de contrôle incorrecte"
    assert entry.source == "UIDL 3"
    assert entry.content_path.read_bytes() == b"corrupt ARL"
    assert not list((tmp_path / "quarantaine").glob(".tmp-*"))


@pytest.mark.parametrize("address", ["", "no-at-sign", "a@b c"])
def test_sending_refuses_a_bad_sender_address(address: str) -> None:
    from openfse.adapters.transmission.errors import TransmissionSendError
    from openfse.adapters.transmission.smtp_sender import SmtpConfig, SmtpSender

    with pytest.raises(TransmissionSendError, match="Adresse d'expédition invalide"):
        SmtpSender(SmtpConfig(sender=address))
