"""The e-mails that carry our files: one file per message, as an attachment.

- A lot goes out with ``Message-ID: <lot.{lot id}.{first 16 hex of its SHA-256}@openfse>``:
  derived from the lot, so a resend of the same lot carries the same id and the insurer can
  de-duplicate it, while a corrected lot (same number, new content) gets a new one.
- ARL and payment returns come back with their own Message-ID (what the fetching side
  de-duplicates on) and ``In-Reply-To`` the lot's.

Media types: ``application/vnd.openfse.lot``, ``…arl``, ``…rsp``; transfer encoding base64.
"""

from __future__ import annotations

import email.errors
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate

from openfse.adapters.transmission.errors import TransmissionFormatError

__all__ = [
    "ARL_SUBTYPE",
    "LOT_SUBTYPE",
    "RSP_SUBTYPE",
    "MailAttachment",
    "ReceivedMail",
    "compose",
    "lot_message_id",
    "lot_ref_of_message_id",
    "read_mail",
]

LOT_SUBTYPE = "vnd.openfse.lot"
ARL_SUBTYPE = "vnd.openfse.arl"
RSP_SUBTYPE = "vnd.openfse.rsp"
OUR_SUBTYPES = frozenset({LOT_SUBTYPE, ARL_SUBTYPE, RSP_SUBTYPE})
MESSAGE_ID_DOMAIN = "openfse"

_LOT_MESSAGE_ID = re.compile(
    r"<lot\.(?P<ps>[0-9]{9})-(?P<day>[0-9]{8})-(?P<number>[0-9]{3})\.[0-9a-f]{16}@openfse>"
)
_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}")


@dataclass(frozen=True, slots=True)
class MailAttachment:
    filename: str
    subtype: str  # of application/…
    data: bytes


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    message_id: str
    in_reply_to: str
    sender: str
    attachments: tuple[MailAttachment, ...]


def lot_message_id(lot_id: str, sha256: str) -> str:
    return f"<lot.{lot_id}.{sha256[:16]}@{MESSAGE_ID_DOMAIN}>"


def lot_ref_of_message_id(message_id: str) -> tuple[str, str, int] | None:
    """(numéro de facturation, AAAAMMJJ, lot number) of a lot's Message-ID, else None."""
    match = _LOT_MESSAGE_ID.fullmatch(message_id.strip())
    if match is None:
        return None
    return match["ps"], match["day"], int(match["number"])


def is_address(text: str) -> bool:
    return _ADDRESS.fullmatch(text) is not None


def compose(
    *,
    sender: str,
    recipient: str,
    subject: str,
    message_id: str,
    attachment: MailAttachment,
    in_reply_to: str = "",
) -> bytes:
    """The message bytes (CRLF line ends, ready for SMTP or a mailbox)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = formatdate(usegmt=True)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message["X-OpenFSE-Format"] = attachment.subtype
    message.set_content(f"{subject}\r\nFichier joint : {attachment.filename}\r\n")
    message.add_attachment(
        attachment.data,
        maintype="application",
        subtype=attachment.subtype,
        filename=attachment.filename,
    )
    return message.as_bytes(policy=policy.SMTP)


def read_mail(raw: bytes) -> ReceivedMail:
    """Headers and our attachments (``application/vnd.openfse.*``) of a received message.

    Raises:
        TransmissionFormatError: the message cannot be read as a MIME message.
    """
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        attachments = tuple(
            MailAttachment(
                filename=str(part.get_filename() or ""),
                subtype=part.get_content_subtype(),
                data=_payload(part),
            )
            for part in message.walk()
            if part.get_content_maintype() == "application"
            and part.get_content_subtype() in OUR_SUBTYPES
        )
        return ReceivedMail(
            message_id=str(message.get("Message-ID", "")).strip(),
            in_reply_to=str(message.get("In-Reply-To", "")).strip(),
            sender=str(message.get("From", "")).strip(),
            attachments=attachments,
        )
    except (email.errors.MessageError, ValueError, LookupError, TypeError, IndexError) as problem:
        raise TransmissionFormatError(f"message illisible ({type(problem).__name__}).") from None


def _payload(part: email.message.Message) -> bytes:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        raise TransmissionFormatError("pièce jointe illisible.")
    return data
