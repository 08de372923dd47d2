"""A thread that keeps committing while a test does something else (a backup taken while the
application writes, on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

T = TypeVar("T")


class BackgroundWriter:
    """Calls ``write(n)`` for n = 0, 1, 2… in a thread, from ``with`` until its end.

    ``committed`` counts the calls that returned; the first exception stops the thread and
    lands in ``failures`` (for the test to assert on).
    """

    def __init__(self, write: Callable[[int], None]) -> None:
        self._write = write
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self.committed = 0
        self.failures: list[BaseException] = []

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._write(self.committed)
                self.committed += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            self.failures.append(error)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        """Until ``count`` writes are committed (or one failed, or ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while self.committed < count and not self.failures and time.monotonic() < deadline:
            time.sleep(0.005)

    def around(self, action: Callable[[], T], margin: int) -> tuple[T, int, int]:
        """``action()`` run once ``margin`` writes are committed, then ``margin`` more awaited:
        its result, and how many writes were committed just before and just after it."""
        self.wait_for(margin)
        before = self.committed
        result = action()
        after = self.committed
        self.wait_for(after + margin)
        return result, before, after

    def __enter__(self) -> BackgroundWriter:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
