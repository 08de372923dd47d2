"""The simulator's own SMTP and POP3 servers, protocol by protocol, on 127.0.0.1.

They run in this process on an event loop in a thread (fast); the clients are the standard
library's ``smtplib`` and ``poplib`` and raw sockets for what those never send."""

from __future__ import annotations

import asyncio
import poplib
import smtplib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from openfse.simulators.caisse.faults import Faults
from openfse.simulators.caisse.mailboxes import Mailboxes
from openfse.simulators.caisse.pop3_server import Pop3ServerConfig, start_pop3_server
from openfse.simulators.caisse.smtp_server import SmtpServerConfig, start_smtp_server

USER = "cabinet@openfse.test"
PASSWORD = "pw"


@dataclass
class Servers:
    smtp_port: int
    pop3_port: int
    mailboxes: Mailboxes
    received: list[tuple[str, str, list[str], bytes]] = field(default_factory=list)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    mailboxes = Mailboxes(tmp_path / "mail")
    box: list[Servers] = []

    def on_mail(message_id: str, sender: str, to: list[str], raw: bytes) -> int:
        box[0].received.append((message_id, sender, to, raw))
        return len(box[0].received)

    async def start() -> tuple[asyncio.Server, asyncio.Server]:
        config = SmtpServerConfig(max_size=10_000, faults=Faults())
        smtp = await start_smtp_server(config, on_mail, lambda: None)
        pop3 = await start_pop3_server(Pop3ServerConfig(PASSWORD), mailboxes)
        return smtp, pop3

    smtp, pop3 = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    box.append(
        Servers(smtp.sockets[0].getsockname()[1], pop3.sockets[0].getsockname()[1], mailboxes)
    )
    try:
        yield box[0]
    finally:

        async def stop() -> None:
            smtp.close()
            pop3.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def talk(port: int, lines: list[bytes]) -> list[str]:
    """Send raw lines, one at a time, and collect each answer's last line."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        stream = sock.makefile("rb")
        answers.append(stream.readline().decode())
        for line in lines:
            sock.sendall(line)
            while True:
                answer = stream.readline().decode()
                if len(answer) < 4 or answer[3] != "-":
                    break
            answers.append(answer.strip())
    return answers


# ------------------------------------------------------------------------------------ SMTP


def test_smtplib_sends_and_dot_stuffed_lines_arrive_intact(servers: Servers) -> None:
    body = b"Subject: test\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast\r\n"
    with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=5) as client:
        client.sendmail(USER, ["cpam@caisse.test", "amc@caisse.test"], body)
    [(_, sender, to, raw)] = servers.received
    assert (sender, to) == (USER, ["cpam@caisse.test", "amc@caisse.test"])
    assert raw == body


def test_smtp_commands_out_of_order_are_refused(servers: Servers) -> None:
    answers = talk(
        servers.smtp_port,
        [
            b"MAIL FROM:<a@b.test>\r\n",  # before EHLO
            b"EHLO desk\r\n",
            b"RCPT TO:<c@d.test>\r\n",  # before MAIL
            b"DATA\r\n",  # nothing to send yet
            b"MAIL FROM:<not an address>\r\n",
            b"MAIL FROM:<a@b.test> SIZE=20000\r\n",  # above the 10 000 limit
            b"MAIL FROM:<a@b.test> SIZE=100 BODY=8BITMIME\r\n",
            b"MAIL FROM:<a@b.test>\r\n",  # nested
            b"RSET\r\n",
            b"NOOP\r\n",
            b"XYZZY\r\n",
            b"VRFY x\r\n",
            b"QUIT\r\n",
        ],
    )
    assert [answer[:3] for answer in answers] == [
        "220", "503", "250", "503", "503", "553", "552", "250", "503", "250", "250", "500",
        "252", "221",
    ]  # fmt: skip


def test_a_mail_too_big_is_refused_after_its_data(servers: Servers) -> None:
    with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=5) as client:
        client.helo("desk")  # plain SMTP: no SIZE announced, the server learns it in DATA
        with pytest.raises(smtplib.SMTPDataError) as caught:
            client.sendmail(USER, ["c@d.test"], b"x" * 12_000)
        assert caught.value.smtp_code == 552
        client.sendmail(USER, ["c@d.test"], b"Subject: small\r\n\r\nok\r\n")  # still usable
    assert len(servers.received) == 1


def test_a_connection_cut_during_data_keeps_nothing(servers: Servers) -> None:
    with socket.create_connection(("127.0.0.1", servers.smtp_port), timeout=5) as sock:
        stream = sock.makefile("rb")
        stream.readline()
        for line in (b"HELO x\r\n", b"MAIL FROM:<a@b.test>\r\n", b"RCPT TO:<c@d.test>\r\n"):
            sock.sendall(line)
            stream.readline()
        sock.sendall(b"DATA\r\n")
        assert stream.readline().startswith(b"354")
        sock.sendall(b"Subject: cut\r\n\r\nhalf a mai")
    assert servers.received == []


# ------------------------------------------------------------------------------------ POP3


def deliver(servers: Servers, *contents: bytes) -> None:
    for number, content in enumerate(contents, start=1):
        servers.mailboxes.deliver(USER, f"ARL{number:03d}.arl", content)


def test_poplib_reads_exactly_what_was_delivered_and_quit_deletes(servers: Servers) -> None:
    message = b"Subject: ARL\r\n\r\n.starts with a dot\r\n..\r\nend\r\n"
    second = b"Subject: second\r\n\r\nbody\r\n"
    deliver(servers, message, second)
    client = poplib.POP3("127.0.0.1", servers.pop3_port, timeout=5)
    client.user(USER)
    client.pass_(PASSWORD)
    assert client.stat() == (2, len(message) + len(second))
    assert [line.split()[1] for line in client.uidl()[1]] == [b"ARL001.arl", b"ARL002.arl"]
    assert b"\r\n".join(client.retr(1)[1]) + b"\r\n" == message
    client.dele(1)
    assert client.stat()[0] == 1
    client.quit()
    assert sorted(servers.mailboxes.open(USER).keys()) == ["ARL002.arl"]


def test_pop3_without_quit_or_with_rset_deletes_nothing(servers: Servers) -> None:
    deliver(servers, b"Subject: one\r\n\r\n1\r\n", b"Subject: two\r\n\r\n2\r\n")
    client = poplib.POP3("127.0.0.1", servers.pop3_port, timeout=5)
    client.user(USER)
    client.pass_(PASSWORD)
    client.dele(1)
    client.rset()
    client.dele(2)
    client.close()  # gone without QUIT (a crashed fetcher)
    assert len(servers.mailboxes.open(USER).keys()) == 2


def test_pop3_refuses_bad_credentials_and_a_second_session(servers: Servers) -> None:
    client = poplib.POP3("127.0.0.1", servers.pop3_port, timeout=5)
    client.user(USER)
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        client.pass_("wrong")
    client.user(USER)
    client.pass_(PASSWORD)
    other = poplib.POP3("127.0.0.1", servers.pop3_port, timeout=5)
    other.user(USER)
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        other.pass_(PASSWORD)
    client.quit()
    other.user(USER)
    other.pass_(PASSWORD)  # free again once the first session ended
    other.quit()


def test_pop3_commands_need_a_session_and_a_real_message(servers: Servers) -> None:
    answers = talk(
        servers.pop3_port,
        [
            b"STAT\r\n",
            b"PASS pw\r\n",
            b"USER cabinet@openfse.test\r\n",
            b"PASS pw\r\n",
            b"RETR 1\r\n",  # empty mailbox
            b"DELE x\r\n",
            b"NOOP\r\n",
            b"QUIT\r\n",
        ],
    )
    assert [answer.split()[0] for answer in answers] == [
        "+OK", "-ERR", "-ERR", "+OK", "+OK", "-ERR", "-ERR", "+OK", "+OK",
    ]  # fmt: skip
