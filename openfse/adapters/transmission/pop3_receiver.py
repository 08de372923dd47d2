"""Fetching ARL and payment returns from the professional's POP3 mailbox (docs/protocols.md §1.6).

``fetch`` reads every message, parses our attachments and hands each document to the caller's
``handler``; only when the handler returned (it has committed what it did) is the message
marked for deletion (DELE). POP3 deletes marked messages when the session ends with QUIT, so a
fetcher killed mid-way leaves every message on the server and the next fetch sees them again:
the handler must be idempotent (de-duplicate on ``Received.message_id`` or the document's
reference). Nothing is lost, nothing is applied twice.

A message whose attachment is corrupt, of an unknown format, or that carries none of our files
is put in quarantine with the reason and deleted from the mailbox: the handler never sees it,
so nothing stored changes. If the handler raises, the session ends (deletions of the messages
already handled are kept) and the error propagates; that message stays on the server.
"""

from __future__ import annotations

import poplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from openfse.adapters.transmission.documents import IncomingDocument, read_document
from openfse.adapters.transmission.errors import (
    TransmissionFormatError,
    TransmissionReceiveError,
)
from openfse.adapters.transmission.mail import ARL_SUBTYPE, RSP_SUBTYPE, read_mail
from openfse.adapters.transmission.quarantine import Quarantine

__all__ = ["FetchReport", "Pop3Config", "Received", "fetch"]

_INCOMING_SUBTYPES = frozenset({ARL_SUBTYPE, RSP_SUBTYPE})


@dataclass(frozen=True, slots=True)
class Pop3Config:
    user: str
    password: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 110
    starttls: bool = False  # STLS (RFC 2595) before authenticating
    cafile: str | None = None  # authority of the server certificate
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class Received:
    """One document fetched: an ``Arl`` or a ``ReturnStatement``, with where it came from."""

    uid: str  # POP3 UIDL of the message
    message_id: str
    document: IncomingDocument
    data: bytes  # the file as received (to keep with what it changed)


@dataclass(frozen=True, slots=True)
class FetchReport:
    handled: int  # messages whose documents the handler took
    quarantined: int
    left: int  # messages left on the server (limit reached)


def fetch(
    config: Pop3Config,
    handler: Callable[[Received], None],
    quarantine: Quarantine,
    *,
    limit: int | None = None,
) -> FetchReport:
    """Fetch up to ``limit`` messages (all by default); see the module docstring.

    Raises:
        TransmissionReceiveError: the mailbox cannot be reached or read (nothing was lost).
    """
    handled = quarantined = 0
    with _session(config) as pop:
        with _translated(config):
            listing = _uid_list(pop)
        chosen = listing if limit is None else listing[:limit]
        for number, uid in chosen:
            with _translated(config):
                raw = b"\r\n".join(pop.retr(number)[1]) + b"\r\n"
            outcome = _documents(raw, uid)
            if isinstance(outcome, str):
                quarantine.put(raw, outcome, source=f"POP3 {config.user} UIDL {uid}")
                quarantined += 1
            else:
                try:
                    for received in outcome:
                        handler(received)
                except BaseException:
                    _quit_keeping_deletions(pop)
                    raise
                handled += 1
            with _translated(config):
                pop.dele(number)
    return FetchReport(handled, quarantined, len(listing) - len(chosen))


def _uid_list(pop: poplib.POP3) -> list[tuple[int, str]]:
    listing: list[tuple[int, str]] = []
    for line in pop.uidl()[1]:
        number, _, uid = line.decode("ascii", "replace").partition(" ")
        if not number.isascii() or not number.isdigit() or not uid:
            raise poplib.error_proto(f"UIDL illisible : {line[:60]!r}")
        listing.append((int(number), uid.strip()))
    return listing


def _documents(raw: bytes, uid: str) -> list[Received] | str:
    """The documents of a message, or the reason to quarantine it."""
    try:
        mail = read_mail(raw)
        files = [a for a in mail.attachments if a.subtype in _INCOMING_SUBTYPES]
        if not files:
            return "message sans fichier de retour openfse (ARL ou relevé) joint."
        message_id = mail.message_id or f"<uidl.{uid}>"
        return [
            Received(uid, message_id, read_document(attachment.data), attachment.data)
            for attachment in files
        ]
    except TransmissionFormatError as problem:
        return problem.message


def _quit_keeping_deletions(pop: poplib.POP3) -> None:
    """End the session with QUIT so the messages already handled are deleted; the one whose
    handler failed was not marked and stays on the server."""
    # If the server went away too, those messages will be fetched again and de-duplicated.
    with suppress(poplib.error_proto, OSError):
        pop.quit()


@contextmanager
def _session(config: Pop3Config) -> Iterator[poplib.POP3]:
    with _translated(config):
        pop = poplib.POP3(config.host, config.port, timeout=config.timeout)
    try:
        with _translated(config):
            if config.starttls:
                pop.stls(ssl.create_default_context(cafile=config.cafile))
            pop.user(config.user)
            pop.pass_(config.password)
        yield pop
    except BaseException:
        # A transport failure: leave without QUIT — the server keeps every message and forgets
        # this session's DELE marks, as after a crash; they will be fetched again.
        with suppress(OSError):  # a socket already broken (failed TLS) fails to shut down
            pop.close()
        raise
    with _translated(config):
        pop.quit()  # UPDATE state: the marked messages are deleted now


@contextmanager
def _translated(config: Pop3Config) -> Iterator[None]:
    where = f"{config.host}:{config.port}"
    try:
        yield
    except poplib.error_proto as problem:
        text = " ".join(str(arg) for arg in problem.args)
        if "auth" in text.lower() or "pass" in text.lower() or "user" in text.lower():
            raise TransmissionReceiveError(
                f"Identifiants de la boîte aux lettres refusés par {where}.",
                code="transmission.pop3_auth",
            ) from problem
        raise TransmissionReceiveError(
            f"Erreur du serveur POP3 {where} : {text[:120]}.", code="transmission.pop3_protocol"
        ) from problem
    except ssl.SSLError as problem:
        raise TransmissionReceiveError(
            f"Échec du chiffrement STLS avec {where} : {problem.reason or problem}.",
            code="transmission.pop3_tls",
        ) from problem
    except TimeoutError as problem:
        raise TransmissionReceiveError(
            f"Le serveur POP3 {where} ne répond pas (délai dépassé).",
            code="transmission.pop3_timeout",
        ) from problem
    except OSError as problem:
        raise TransmissionReceiveError(
            f"Serveur POP3 {where} injoignable ({problem.strerror or problem}).",
            code="transmission.pop3_unreachable",
        ) from problem
