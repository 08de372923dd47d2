"""A small SMTP server on asyncio (RFC 5321 subset), enough for ``smtplib``.

Commands: HELO, EHLO (SIZE, 8BITMIME, STARTTLS when a certificate is configured), MAIL FROM,
RCPT TO, DATA (dot-unstuffing, size limit), RSET, NOOP, VRFY (252), HELP, QUIT, STARTTLS.
A mail is handed to ``on_mail`` — which commits it — *before* the ``250`` reply: once the
sender has its 250 the mail cannot be lost, and a mail whose 250 never arrived may come twice
(the caisse de-duplicates). Listens on 127.0.0.1 only. Faults (``Faults``): ``smtp_tempfail``,
``smtp_disconnect``, ``crash_after_store``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32

from openfse.simulators.caisse.faults import Faults
from openfse.simulators.caisse.mail import is_address

__all__ = ["SmtpServerConfig", "start_smtp_server"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
HOSTNAME = "caisse.openfse.test"
MAX_LINE = 1024 * 1024  # StreamReader limit; RFC 5321 lines are 1000, base64 lines 78
MAX_RECIPIENTS = 100
MAX_ERRORS = 20
IDLE_SECONDS = 300.0
CRASH_EXIT_STATUS = 75

_MAIL = re.compile(r"FROM:\s*<([^<>]*)>((?:\s+\S+)*)\s*", re.IGNORECASE)
_RCPT = re.compile(r"TO:\s*<([^<>]*)>((?:\s+\S+)*)\s*", re.IGNORECASE)

OnMail = Callable[[str, str, list[str], bytes], int]  # (message-id, from, to, raw) → id


@dataclass
class SmtpServerConfig:
    port: int = 0
    max_size: int = 96 * 1024 * 1024
    tls: ssl.SSLContext | None = None
    faults: Faults = field(default_factory=Faults)


async def start_smtp_server(
    config: SmtpServerConfig, on_mail: OnMail, on_stored: Callable[[], None]
) -> asyncio.Server:
    """Listen on 127.0.0.1; ``on_stored`` is called after each mail was kept and answered."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(reader, writer, config, on_mail, on_stored)
        try:
            await session.run()
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the client went away
        finally:
            writer.close()

    return await asyncio.start_server(serve, HOST, config.port, limit=MAX_LINE)


class _Session:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        config: SmtpServerConfig,
        on_mail: OnMail,
        on_stored: Callable[[], None],
    ) -> None:
        self.reader, self.writer, self.config = reader, writer, config
        self.on_mail, self.on_stored = on_mail, on_stored
        self.greeted = False
        self.tls_active = False
        self.errors = 0
        self.reset()

    def reset(self) -> None:
        self.mail_from: str | None = None
        self.recipients: list[str] = []

    async def reply(self, code: int, *lines: str) -> None:
        text = "".join(
            f"{code}{'-' if index < len(lines) - 1 else ' '}{line}\r\n"
            for index, line in enumerate(lines)
        )
        self.writer.write(text.encode("ascii", "replace"))  # replies are ASCII (RFC 5321)
        await self.writer.drain()

    async def readline(self) -> bytes | None:
        try:
            line = await asyncio.wait_for(self.reader.readline(), IDLE_SECONDS)
        except ValueError:  # longer than the stream limit
            await self.reply(500, "5.5.6 Ligne trop longue")
            return None
        return line or None

    async def run(self) -> None:
        await self.reply(220, f"{HOSTNAME} ESMTP simulateur caisse openfse")
        while True:
            raw = await self.readline()
            if raw is None:
                return
            try:
                line = raw.decode("ascii").rstrip("\r\n")
            except UnicodeDecodeError:
                await self.fail(500, "5.5.2 Commande non ASCII")
                continue
            verb, _, argument = line.partition(" ")
            handler = getattr(self, f"cmd_{verb.lower()}", None) if verb.isalpha() else None
            if handler is None:
                await self.fail(500, f"5.5.2 Commande inconnue : {verb[:20]}")
                continue
            if await handler(argument.strip()) is False:
                return
            if self.errors >= MAX_ERRORS:
                await self.reply(421, "4.7.0 Trop d'erreurs, fermeture")
                return

    async def fail(self, code: int, text: str) -> None:
        self.errors += 1
        await self.reply(code, text)

    # ---------------------------------------------------------------- commands

    async def cmd_helo(self, argument: str) -> None:
        if not argument:
            await self.fail(501, "5.5.4 HELO <domaine>")
            return
        self.greeted = True
        self.reset()
        await self.reply(250, HOSTNAME)

    async def cmd_ehlo(self, argument: str) -> None:
        if not argument:
            await self.fail(501, "5.5.4 EHLO <domaine>")
            return
        self.greeted = True
        self.reset()
        lines = [HOSTNAME, f"SIZE {self.config.max_size}", "8BITMIME"]
        if self.config.tls is not None and not self.tls_active:
            lines.append("STARTTLS")
        lines.append("HELP")
        await self.reply(250, *lines)

    async def cmd_starttls(self, argument: str) -> None:
        if self.config.tls is None or self.tls_active:
            await self.fail(502, "5.5.1 STARTTLS non disponible")
            return
        if argument:
            await self.fail(501, "5.5.4 STARTTLS sans argument")
            return
        await self.reply(220, "2.0.0 Pret pour TLS")
        await self.writer.start_tls(self.config.tls)
        self.tls_active = True
        self.greeted = False  # RFC 3207: the client starts again with EHLO
        self.reset()

    async def cmd_mail(self, argument: str) -> None:
        if not self.greeted:
            await self.fail(503, "5.5.1 EHLO ou HELO d'abord")
            return
        if self.mail_from is not None:
            await self.fail(503, "5.5.1 MAIL deja donne (RSET pour recommencer)")
            return
        match = _MAIL.fullmatch(argument)
        if match is None:
            await self.fail(501, "5.5.4 Syntaxe : MAIL FROM:<adresse>")
            return
        address, parameters = match.group(1), match.group(2).split()
        if not is_address(address):
            await self.fail(553, "5.1.7 Adresse d'expediteur invalide (les retours y vont)")
            return
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.upper() == "SIZE":
                if not value.isascii() or not value.isdigit():
                    await self.fail(501, "5.5.4 SIZE=<octets>")
                    return
                if int(value) > self.config.max_size:
                    await self.fail(552, "5.3.4 Message trop gros")
                    return
            elif key.upper() != "BODY" or value.upper() not in ("7BIT", "8BITMIME"):
                await self.fail(555, f"5.5.4 Parametre non pris en charge : {key[:20]}")
                return
        self.mail_from = address
        await self.reply(250, "2.1.0 Expediteur accepte")

    async def cmd_rcpt(self, argument: str) -> None:
        if self.mail_from is None:
            await self.fail(503, "5.5.1 MAIL d'abord")
            return
        match = _RCPT.fullmatch(argument)
        if match is None or match.group(2).strip():
            await self.fail(501, "5.5.4 Syntaxe : RCPT TO:<adresse>")
            return
        if not is_address(match.group(1)):
            await self.fail(553, "5.1.3 Adresse de destinataire invalide")
            return
        if len(self.recipients) >= MAX_RECIPIENTS:
            await self.fail(452, "4.5.3 Trop de destinataires")
            return
        self.recipients.append(match.group(1))
        await self.reply(250, "2.1.5 Destinataire accepte")

    async def cmd_data(self, argument: str) -> bool:
        if argument:
            await self.fail(501, "5.5.4 DATA sans argument")
            return True
        if self.mail_from is None or not self.recipients:
            await self.fail(503, "5.5.1 MAIL et RCPT d'abord")
            return True
        await self.reply(354, "Fin par <CRLF>.<CRLF>")
        chunks: list[bytes] = []
        size = 0
        while True:
            line = await self.readline()
            if line is None:
                return False  # cut in the middle of DATA: nothing kept
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b"."):
                line = line[1:]  # dot-unstuffing (RFC 5321 §4.5.2)
            size += len(line)
            if size <= self.config.max_size:
                chunks.append(line)
        if size > self.config.max_size:
            self.reset()
            await self.fail(552, "5.3.4 Message trop gros")
            return True
        return await self.keep(b"".join(chunks))

    async def keep(self, raw: bytes) -> bool:
        faults = self.config.faults
        assert self.mail_from is not None
        if faults.take("smtp_tempfail"):
            self.reset()
            await self.reply(451, "4.3.0 Erreur temporaire simulee, reessayer")
            return True
        try:
            mail_id = self.on_mail(_message_id(raw), self.mail_from, list(self.recipients), raw)
        except (sqlite3.Error, OSError):
            log.exception("could not keep a mail")
            self.reset()
            await self.reply(451, "4.3.0 Stockage impossible, reessayer plus tard")
            return True
        self.reset()
        if faults.take("crash_after_store"):
            log.warning("fault crash_after_store: exiting after keeping mail %s", mail_id)
            os._exit(CRASH_EXIT_STATUS)
        self.on_stored()
        if faults.take("smtp_disconnect"):
            return False  # kept, but the sender never hears the 250
        await self.reply(250, f"2.0.0 Recu, reference {mail_id}")
        return True

    async def cmd_rset(self, argument: str) -> None:
        self.reset()
        await self.reply(250, "2.0.0 OK")

    async def cmd_noop(self, argument: str) -> None:
        await self.reply(250, "2.0.0 OK")

    async def cmd_vrfy(self, argument: str) -> None:
        await self.reply(252, "2.1.5 Verification non proposee, envoyez")

    async def cmd_help(self, argument: str) -> None:
        await self.reply(214, "Commandes : EHLO HELO MAIL RCPT DATA RSET NOOP QUIT STARTTLS")

    async def cmd_quit(self, argument: str) -> bool:
        await self.reply(221, "2.0.0 Au revoir")
        return False


def _message_id(raw: bytes) -> str:
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return str(headers.get("Message-ID", "")).strip()[:300]
