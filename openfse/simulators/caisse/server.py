"""The simulated caisse as one process: SMTP in, POP3 out, an admin HTTP channel, a worker.

Everything runs on one asyncio event loop (SMTP and POP3 sessions, processing, delivery);
the admin HTTP server (the simulators' ``SimServer``, in its own thread) hands its requests to
that loop, so the caisse's state is only ever touched from one thread. At start-up the mails
left undelivered and the lots left unprocessed by a previous run are handled first, before the
servers listen.

Admin routes (JSON, 127.0.0.1): ``GET /health``; ``GET /caisse/state`` (counts, armed faults,
simulated date); ``GET /caisse/lots``; ``GET /caisse/invoices``; ``POST /caisse/release``
(``{"until": "AAAA-MM-JJ"}`` releases the returns due on that date, ``{}`` every pending one);
``POST /caisse/process``; ``POST /caisse/faults`` (``{"mode": …, "count": n}``, modes of
``faults.FAULT_MODES``) and ``DELETE /caisse/faults``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from openfse.simulators.adri.jsonserver import SimConfig, SimRequest, SimServer
from openfse.simulators.caisse.caisse import Caisse
from openfse.simulators.caisse.faults import FAULT_MODES
from openfse.simulators.caisse.pop3_server import Pop3ServerConfig, start_pop3_server
from openfse.simulators.caisse.smtp_server import SmtpServerConfig, start_smtp_server

__all__ = ["CaisseServer"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
ADMIN_TIMEOUT = 60.0

_T = TypeVar("_T")


@dataclass
class CaisseServer:
    caisse: Caisse
    smtp: SmtpServerConfig
    pop3: Pop3ServerConfig
    admin_port: int = 0
    auto_release: bool = True
    tick_seconds: float = 1.0

    async def serve(self, announce: Callable[[str], None]) -> None:
        """Recover, listen, announce the ports, then work until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.caisse.deliver()
        self.caisse.process_pending()
        smtp = await start_smtp_server(self.smtp, self.caisse.receive, self._wake.set)
        pop3 = await start_pop3_server(self.pop3, self.caisse.mailboxes)
        admin = SimServer(self.admin_port, self._routes(), SimConfig(frozenset()))
        thread = threading.Thread(target=admin.serve_forever, name="caisse-admin", daemon=True)
        thread.start()
        smtp_port = smtp.sockets[0].getsockname()[1]
        pop3_port = pop3.sockets[0].getsockname()[1]
        announce(f"READY smtp={HOST}:{smtp_port} pop3={HOST}:{pop3_port} admin={admin.url}")
        try:
            await self._work()
        finally:
            admin.shutdown()
            admin.server_close()
            smtp.close()
            pop3.close()
            self.caisse.state.close()

    async def _work(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):  # a tick: release what became due
                await asyncio.wait_for(self._wake.wait(), self.tick_seconds)
            self._wake.clear()
            try:
                self.caisse.process_pending()
                if self.auto_release:
                    self.caisse.release(until=self.caisse.today())
            except Exception:  # a simulator bug: keep serving, the mail is retried next tick
                log.exception("caisse: processing failed")

    # ---------------------------------------------------------------- admin

    def _on_loop(self, action: Callable[[], _T]) -> _T:
        async def run() -> _T:
            return action()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(ADMIN_TIMEOUT)

    def _routes(self) -> dict[tuple[str, str], Callable[[SimRequest], tuple[int, object]]]:
        def state(_: SimRequest) -> tuple[int, object]:
            def read() -> dict[str, Any]:
                return {
                    "today": self.caisse.today().isoformat(),
                    "summary": self.caisse.state.summary(),
                    "faults": self.caisse.faults.armed(),
                }

            return 200, self._on_loop(read)

        def lots(_: SimRequest) -> tuple[int, object]:
            return 200, self._on_loop(self.caisse.state.lots)

        def invoices(_: SimRequest) -> tuple[int, object]:
            return 200, self._on_loop(self.caisse.state.invoices)

        def release(request: SimRequest) -> tuple[int, object]:
            body = request.body if isinstance(request.body, dict) else {}
            until = body.get("until")
            try:
                day = None if until is None else date.fromisoformat(str(until))
            except ValueError:
                return 400, _error("date_invalide", "until : date AAAA-MM-JJ attendue")
            statements, lines = self._on_loop(lambda: self.caisse.release(day))
            return 200, {"statements": statements, "lines": lines}

        def process(_: SimRequest) -> tuple[int, object]:
            return 200, {"processed": self._on_loop(self.caisse.process_pending)}

        def arm(request: SimRequest) -> tuple[int, object]:
            body = request.body if isinstance(request.body, dict) else {}
            mode, count = body.get("mode"), body.get("count", 1)
            if mode not in FAULT_MODES or not isinstance(count, int) or isinstance(count, bool):
                modes = ", ".join(sorted(FAULT_MODES))
                return 400, _error("panne_invalide", f"mode parmi {modes} ; count entier >= 1")
            if count < 1:
                return 400, _error("panne_invalide", "count entier >= 1")
            self._on_loop(lambda: self.caisse.faults.arm(str(mode), count))
            return 200, {"armed": self._on_loop(self.caisse.faults.armed)}

        def disarm(_: SimRequest) -> tuple[int, object]:
            self._on_loop(self.caisse.faults.clear)
            return 200, {"armed": {}}

        return {
            ("GET", "/caisse/state"): state,
            ("GET", "/caisse/lots"): lots,
            ("GET", "/caisse/invoices"): invoices,
            ("POST", "/caisse/release"): release,
            ("POST", "/caisse/process"): process,
            ("POST", "/caisse/faults"): arm,
            ("DELETE", "/caisse/faults"): disarm,
        }


def _error(code: str, message: str) -> dict[str, object]:
    return {"erreur": {"code": code, "message": message}}
