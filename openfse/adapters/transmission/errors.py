"""Errors of the télétransmission adapters: bad files, and transport failures.

``TransmissionFormatError`` (and its kinds) is what every parser raises — nothing else — with
the line number in the message; the transport errors say in French what the user can do.
"""

from __future__ import annotations

from openfse.errors import OpenFSEError

__all__ = [
    "ChecksumMismatch",
    "TransmissionFormatError",
    "TransmissionReceiveError",
    "TransmissionSendError",
    "TruncatedFile",
    "UnknownFormat",
    "UnsupportedVersion",
]


class TransmissionFormatError(OpenFSEError):
    """A file (lot, ARL, payment return) that does not follow its format."""

    code = "transmission.format"

    def __init__(self, message: str, *, line: int | None = None, code: str | None = None):
        where = f"Ligne {line} : " if line is not None else ""
        super().__init__(f"{where}{message}", code=code)
        self.line = line
        self.detail = message

    def as_dict(self) -> dict[str, str]:
        data = super().as_dict()
        if self.line is not None:
            data["line"] = str(self.line)
        return data


class TruncatedFile(TransmissionFormatError):
    """The file stops before its trailer (transfer cut, disk full…)."""

    code = "transmission.truncated"


class ChecksumMismatch(TransmissionFormatError):
    """The content does not match the SHA-256 of the trailer: altered on the way."""

    code = "transmission.checksum"


class UnsupportedVersion(TransmissionFormatError):
    code = "transmission.version"


class UnknownFormat(TransmissionFormatError):
    """Not one of our files at all (or another kind than the one expected)."""

    code = "transmission.unknown_format"


class TransmissionSendError(OpenFSEError):
    """Sending by SMTP failed; ``temporary`` says whether trying again later makes sense."""

    code = "transmission.send"

    def __init__(self, message: str, *, code: str | None = None, temporary: bool = True):
        super().__init__(message, code=code)
        self.temporary = temporary


class TransmissionReceiveError(OpenFSEError):
    """Fetching from the POP3 mailbox failed (nothing was lost: messages stay on the server)."""

    code = "transmission.receive"
