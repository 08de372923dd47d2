"""A small POP3 server on asyncio (RFC 1939 subset) over the caisse's Maildirs.

Commands: CAPA, STLS (when a certificate is configured, RFC 2595), USER/PASS, STAT, LIST, UIDL,
RETR (dot-stuffing), DELE, RSET, NOOP, QUIT.
USER is the professional's mailbox address, PASS the password given to the simulator. A
mailbox is opened by one session at a time (``-ERR [IN-USE]``). The session sees the messages
present at login; DELE only marks them, and they are removed when the client sends QUIT
(UPDATE state): a client that disconnects or is killed without QUIT deletes nothing, so a
crashed fetcher finds every message again. UIDL is the Maildir file name (stable). Listens
on 127.0.0.1 only. Fault ``pop3_disconnect``: drop the connection after the next RETR.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import mailbox
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from openfse.simulators.caisse.faults import Faults
from openfse.simulators.caisse.mailboxes import Mailboxes, mailbox_name

__all__ = ["Pop3ServerConfig", "start_pop3_server"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
IDLE_SECONDS = 600.0  # RFC 1939 §3: at least 10 minutes
MAX_LINE = 1024


@dataclass
class Pop3ServerConfig:
    password: str
    port: int = 0
    faults: Faults = field(default_factory=Faults)
    tls: ssl.SSLContext | None = None
    in_use: set[str] = field(default_factory=set)


async def start_pop3_server(config: Pop3ServerConfig, mailboxes: Mailboxes) -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(reader, writer, config, mailboxes)
        try:
            await session.run()
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            session.release()
            writer.close()

    return await asyncio.start_server(serve, HOST, config.port, limit=MAX_LINE * 64)


@dataclass
class _Message:
    key: str
    data: bytes  # CRLF line ends, as served
    deleted: bool = False


_Show = Callable[[int, _Message], str]


class _Session:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        config: Pop3ServerConfig,
        mailboxes: Mailboxes,
    ) -> None:
        self.reader, self.writer, self.config, self.mailboxes = reader, writer, config, mailboxes
        self.user: str | None = None
        self.box: mailbox.Maildir | None = None
        self.locked: str | None = None
        self.messages: list[_Message] = []
        self.tls_active = False

    def release(self) -> None:
        if self.locked is not None:
            self.config.in_use.discard(self.locked)
            self.locked = None

    async def send(self, text: str) -> None:
        self.writer.write(text.encode("ascii", "replace") + b"\r\n")
        await self.writer.drain()

    async def run(self) -> None:
        await self.send("+OK simulateur caisse openfse pret")
        while True:
            try:
                raw = await asyncio.wait_for(self.reader.readline(), IDLE_SECONDS)
            except ValueError:
                await self.send("-ERR ligne trop longue")
                return
            if not raw:
                return  # gone without QUIT: nothing is deleted
            line = raw.decode("ascii", "replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            handler = getattr(self, f"cmd_{verb.lower()}", None) if verb.isalpha() else None
            if handler is None:
                await self.send("-ERR commande inconnue")
                continue
            if await handler(argument.strip()) is False:
                return

    # ---------------------------------------------------------------- authorization

    async def cmd_capa(self, argument: str) -> None:
        stls = "STLS\r\n" if self.config.tls is not None and not self.tls_active else ""
        await self.send(f"+OK capacites\r\nUSER\r\nUIDL\r\nRESP-CODES\r\n{stls}.")

    async def cmd_stls(self, argument: str) -> None:
        if self.config.tls is None or self.tls_active or self.user is not None or self.box:
            await self.send("-ERR STLS non disponible ici")
            return
        await self.send("+OK debut de la negociation TLS")
        await self.writer.start_tls(self.config.tls)
        self.tls_active = True

    async def cmd_user(self, argument: str) -> None:
        if self.box is not None:
            await self.send("-ERR deja authentifie")
            return
        if not argument:
            await self.send("-ERR USER <adresse>")
            return
        self.user = argument
        await self.send("+OK mot de passe ?")

    async def cmd_pass(self, argument: str) -> None:
        if self.box is not None:
            await self.send("-ERR deja authentifie")
            return
        if self.user is None:
            await self.send("-ERR USER d'abord")
            return
        if not hmac.compare_digest(argument.encode(), self.config.password.encode()):
            self.user = None
            await self.send("-ERR [AUTH] identifiants refuses")
            return
        name = mailbox_name(self.user)
        if name in self.config.in_use:
            await self.send("-ERR [IN-USE] boite deja ouverte par une autre session")
            return
        self.config.in_use.add(name)
        self.locked = name
        self.box = self.mailboxes.open(self.user)
        self.messages = [
            _Message(key, _crlf(self.box.get_bytes(key))) for key in sorted(self.box.keys())
        ]
        await self.send(f"+OK {len(self.messages)} message(s)")

    async def cmd_quit(self, argument: str) -> bool:
        if self.box is not None:
            for message in self.messages:
                if message.deleted:
                    self.box.discard(message.key)  # UPDATE state (RFC 1939 §6)
            self.release()
        await self.send("+OK au revoir")
        return False

    # ---------------------------------------------------------------- transaction

    def _live(self) -> list[tuple[int, _Message]]:
        return [(i + 1, m) for i, m in enumerate(self.messages) if not m.deleted]

    async def _pick(self, argument: str) -> _Message | None:
        if self.box is None:
            await self.send("-ERR authentification d'abord")
            return None
        if not argument.isascii() or not argument.isdigit():
            await self.send("-ERR numero de message attendu")
            return None
        number = int(argument)
        if not 1 <= number <= len(self.messages) or self.messages[number - 1].deleted:
            await self.send("-ERR message inexistant")
            return None
        return self.messages[number - 1]

    async def _authenticated(self) -> bool:
        if self.box is None:
            await self.send("-ERR authentification d'abord")
            return False
        return True

    async def cmd_stat(self, argument: str) -> None:
        if await self._authenticated():
            live = self._live()
            await self.send(f"+OK {len(live)} {sum(len(m.data) for _, m in live)}")

    async def cmd_list(self, argument: str) -> None:
        await self._listing(argument, lambda number, message: f"{number} {len(message.data)}")

    async def cmd_uidl(self, argument: str) -> None:
        await self._listing(argument, lambda number, message: f"{number} {message.key}")

    async def _listing(self, argument: str, show: _Show) -> None:
        if argument:
            message = await self._pick(argument)
            if message is not None:
                await self.send(f"+OK {show(int(argument), message)}")
            return
        if await self._authenticated():
            lines = [show(number, message) for number, message in self._live()]
            await self.send("\r\n".join([f"+OK {len(lines)} message(s)", *lines, "."]))

    async def cmd_retr(self, argument: str) -> bool:
        message = await self._pick(argument)
        if message is None:
            return True
        stuffed = b"\r\n".join(
            b"." + line if line.startswith(b".") else line
            for line in message.data[:-2].split(b"\r\n")
        )
        self.writer.write(f"+OK {len(message.data)} octets\r\n".encode() + stuffed + b"\r\n.\r\n")
        await self.writer.drain()
        return not self.config.faults.take("pop3_disconnect")

    async def cmd_dele(self, argument: str) -> None:
        message = await self._pick(argument)
        if message is not None:
            message.deleted = True
            await self.send(f"+OK message {argument} marque pour suppression")

    async def cmd_rset(self, argument: str) -> None:
        if await self._authenticated():
            for message in self.messages:
                message.deleted = False
            await self.send(f"+OK {len(self.messages)} message(s)")

    async def cmd_noop(self, argument: str) -> None:
        if await self._authenticated():
            await self.send("+OK")


def _crlf(data: bytes) -> bytes:
    """Every line ended by CRLF, the whole ending with one (what RETR serves)."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"\r\n".join(lines) + b"\r\n"
