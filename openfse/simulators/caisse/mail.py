"""The simulated caisse's side of the mail transport (docs/formats/lot.md §5, arl.md §5,
returns.md §4): read the lot attached to a received message, write the message carrying an ARL
or a statement. Its own small implementation over the standard library's ``email``, like the
rest of the simulator (it shares no code with the product)."""

from __future__ import annotations

import email.errors
import email.message
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate

__all__ = [
    "ARL_SUBTYPE",
    "LOT_SUBTYPE",
    "RSP_SUBTYPE",
    "MailAttachment",
    "UnreadableMail",
    "compose",
    "is_address",
    "lot_attachments",
    "lot_ref_of_message_id",
]

LOT_SUBTYPE = "vnd.openfse.lot"
ARL_SUBTYPE = "vnd.openfse.arl"
RSP_SUBTYPE = "vnd.openfse.rsp"

# lot.md §5: <lot.<numéro de facturation>-<AAAAMMJJ>-<NNN>.<16 hex of the SHA-256>@openfse>
_LOT_MESSAGE_ID = re.compile(
    r"<lot\.(?P<ps>[0-9]{9})-(?P<day>[0-9]{8})-(?P<number>[0-9]{3})\.[0-9a-f]{16}@openfse>")
_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}")


class UnreadableMail(Exception):
    """A message that is not a MIME message the caisse can read (A01)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class MailAttachment:
    filename: str
    subtype: str  # of application/…
    data: bytes


def is_address(text: str) -> bool:
    return _ADDRESS.fullmatch(text) is not None


def lot_ref_of_message_id(message_id: str) -> tuple[str, str, int] | None:
    """(numéro de facturation, AAAAMMJJ, lot number) of a lot's Message-ID, else None."""
    match = _LOT_MESSAGE_ID.fullmatch(message_id.strip())
    if match is None:
        return None
    return match["ps"], match["day"], int(match["number"])


def lot_attachments(raw: bytes) -> list[bytes]:
    """The lot files (``application/vnd.openfse.lot``) a message carries."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        found = []
        for part in message.walk():
            if (part.get_content_maintype() == "application"
                    and part.get_content_subtype() == LOT_SUBTYPE):
                data = part.get_payload(decode=True)
                if not isinstance(data, bytes):
                    raise UnreadableMail("pièce jointe illisible.")
                found.append(data)
        return found
    except (email.errors.MessageError, ValueError, LookupError, TypeError,
            IndexError) as problem:
        raise UnreadableMail(f"message illisible ({type(problem).__name__}).") from None


def compose(*, sender: str, recipient: str, subject: str, message_id: str,
            attachment: MailAttachment, in_reply_to: str = "") -> bytes:
    """The message bytes (CRLF line ends, ready for a mailbox)."""
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
    message.add_attachment(attachment.data, maintype="application",
                           subtype=attachment.subtype, filename=attachment.filename)
    return message.as_bytes(policy=policy.SMTP)
