"""Sending lots by SMTP, one message per lot file (docs/protocols.md §1.6: flows go to the caisse's
mailbox by SMTP; ETS-DT-001 describes the real transport).

``send_lots`` sends a batch over one connection and calls ``on_sent`` after each message the
server accepted (250), so the caller can record the lot as sent and commit before the next one.
A failure stops the batch and is reported with what was already sent: sending again is safe,
because a lot always travels with the same Message-ID (``mail.lot_message_id``) and the
insurer acknowledges a lot once.

STARTTLS is optional (``SmtpConfig.starttls``, with ``cafile`` for a private authority); the
tests use 127.0.0.1 only.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType

from openfse.adapters.transmission.errors import TransmissionSendError
from openfse.adapters.transmission.lot_file import LotFile
from openfse.adapters.transmission.mail import (
    LOT_SUBTYPE,
    MailAttachment,
    compose,
    is_address,
    lot_message_id,
)
from openfse.domain.transmission import LotContent

__all__ = [
    "OutgoingLot",
    "SendReport",
    "SmtpConfig",
    "SmtpSender",
    "send_lots",
]


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    sender: str  # the professional's mailbox address (returns come back to it)
    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    cafile: str | None = None  # authority of the server certificate (STARTTLS)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    local_hostname: str = "openfse.localdomain"


@dataclass(frozen=True, slots=True)
class OutgoingLot:
    """A lot file ready to go to ``recipient`` (the destination organism's address)."""

    lot_file: LotFile
    recipient: str

    @classmethod
    def of(cls, lot: LotContent, recipient: str) -> OutgoingLot:
        return cls(LotFile.build(lot), recipient)

    @property
    def lot_id(self) -> str:
        return self.lot_file.lot_id

    @property
    def message_id(self) -> str:
        return lot_message_id(self.lot_file.lot_id, self.lot_file.sha256)

    def message(self, sender: str) -> bytes:
        return compose(
            sender=sender,
            recipient=self.recipient,
            subject=f"OPENFSE-LOT {self.lot_id}",
            message_id=self.message_id,
            attachment=MailAttachment(f"{self.lot_id}.lot", LOT_SUBTYPE, self.lot_file.data),
        )


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: tuple[str, ...]  # lot ids accepted by the server, in order
    failed: str | None = None  # the lot id that could not be sent (the batch stopped there)
    error: TransmissionSendError | None = None

    @property
    def complete(self) -> bool:
        return self.error is None


class SmtpSender:
    """One SMTP session (context manager): ``send`` each lot, then leave."""

    def __init__(self, config: SmtpConfig) -> None:
        if not is_address(config.sender):
            raise TransmissionSendError(
                f"Adresse d'expédition invalide : « {config.sender} ».",
                code="transmission.smtp_config",
                temporary=False,
            )
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        config = self.config
        with _translated(config):
            smtp = smtplib.SMTP(
                config.host, config.port, config.local_hostname, timeout=config.timeout
            )
            try:
                smtp.ehlo()
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=config.cafile))
                    smtp.ehlo()
                if config.username is not None:
                    smtp.login(config.username, config.password or "")
            except BaseException:
                smtp.close()
                raise
        self._smtp = smtp
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()  # the server is gone; nothing left to say to it

    def send(self, lot: OutgoingLot) -> str:
        """Send one lot; returns its Message-ID once the server accepted it."""
        if self._smtp is None:
            raise RuntimeError("SmtpSender.send outside of its with block")
        if not is_address(lot.recipient):
            raise TransmissionSendError(
                f"Adresse du destinataire invalide : « {lot.recipient} ».",
                code="transmission.smtp_config",
                temporary=False,
            )
        with _translated(self.config):
            # One recipient: a refusal raises SMTPRecipientsRefused, nothing is half-sent.
            self._smtp.sendmail(
                self.config.sender, [lot.recipient], lot.message(self.config.sender)
            )
        return lot.message_id


def send_lots(
    config: SmtpConfig,
    lots: Iterable[OutgoingLot],
    on_sent: Callable[[OutgoingLot, str], None] | None = None,
) -> SendReport:
    """Send every lot over one connection; ``on_sent(lot, message_id)`` after each success.

    Never raises a transport error: it is returned in the report with the lot it stopped at.
    """
    sent: list[str] = []
    current: OutgoingLot | None = None
    try:
        with SmtpSender(config) as sender:
            for current in lots:
                message_id = sender.send(current)
                sent.append(current.lot_id)
                if on_sent is not None:
                    on_sent(current, message_id)
            current = None
    except TransmissionSendError as problem:
        failed = None if current is None or current.lot_id in sent else current.lot_id
        return SendReport(tuple(sent), failed, problem)
    return SendReport(tuple(sent))


@contextmanager
def _translated(config: SmtpConfig) -> Iterator[None]:
    """Turn smtplib/socket failures into ``TransmissionSendError`` with a French message."""
    try:
        yield
    except (smtplib.SMTPException, OSError) as problem:
        raise _translate(problem, f"{config.host}:{config.port}") from problem


def _translate(problem: smtplib.SMTPException | OSError, where: str) -> TransmissionSendError:
    if isinstance(problem, smtplib.SMTPAuthenticationError):
        return TransmissionSendError(
            f"Identifiants refusés par le serveur de messagerie {where}.",
            code="transmission.smtp_auth",
            temporary=False,
        )
    if isinstance(problem, smtplib.SMTPRecipientsRefused):
        return TransmissionSendError(
            f"Adresse du destinataire refusée par le serveur {where}.",
            code="transmission.smtp_refused",
            temporary=False,
        )
    if isinstance(problem, smtplib.SMTPResponseException):
        raw = problem.smtp_error
        detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        temporary = 400 <= problem.smtp_code < 500
        return TransmissionSendError(
            f"Envoi refusé par le serveur {where} ({problem.smtp_code} {detail})"
            + (" : nouvel essai possible plus tard." if temporary else "."),
            code="transmission.smtp_temporary" if temporary else "transmission.smtp_refused",
            temporary=temporary,
        )
    if isinstance(problem, smtplib.SMTPServerDisconnected):
        return TransmissionSendError(
            f"Connexion au serveur de messagerie {where} interrompue : renvoyer le lot.",
            code="transmission.smtp_disconnected",
        )
    if isinstance(problem, ssl.SSLError):
        return TransmissionSendError(
            f"Échec du chiffrement STARTTLS avec {where} : {problem.reason or problem}.",
            code="transmission.smtp_tls",
            temporary=False,
        )
    if isinstance(problem, smtplib.SMTPNotSupportedError):
        return TransmissionSendError(
            f"Le serveur {where} ne propose pas STARTTLS.",
            code="transmission.smtp_tls",
            temporary=False,
        )
    if not isinstance(problem, OSError):
        return TransmissionSendError(
            f"Erreur du protocole SMTP avec {where} : {problem}.",
            code="transmission.smtp_protocol",
        )
    if isinstance(problem, TimeoutError):
        return TransmissionSendError(
            f"Le serveur de messagerie {where} ne répond pas (délai dépassé).",
            code="transmission.smtp_timeout",
        )
    return TransmissionSendError(
        f"Serveur de messagerie {where} injoignable ({problem.strerror or problem}).",
        code="transmission.smtp_unreachable",
    )
