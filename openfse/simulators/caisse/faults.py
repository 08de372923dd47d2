"""Failures the admin can inject into the simulated caisse (``POST /caisse/faults``).

Each mode fires for the next ``count`` occasions, then stops; they live in memory only (a
restart clears them, like the failure it simulates):

- ``smtp_tempfail``: answer 451 at the end of DATA (the mail is not kept: the sender retries);
- ``smtp_disconnect``: keep the mail, then drop the connection without answering (the sender
  does not know it arrived and sends it again — the caisse must acknowledge it once);
- ``crash_after_store``: keep the mail, then kill the simulator process at once (before the
  reply and before processing: a restart must process it, a resend must be de-duplicated);
- ``arl_negative``: refuse the next lot (negative ARL A99);
- ``corrupt_arl`` / ``corrupt_returns``: flip a bit in the next ARL / statement file (the
  professional's fetcher must quarantine it);
- ``pop3_disconnect``: drop the POP3 connection right after the next RETR answer.
"""

from __future__ import annotations

__all__ = ["FAULT_MODES", "Faults"]

FAULT_MODES = frozenset(
    {
        "smtp_tempfail",
        "smtp_disconnect",
        "crash_after_store",
        "arl_negative",
        "corrupt_arl",
        "corrupt_returns",
        "pop3_disconnect",
    }
)


class Faults:
    """Armed failure modes and how many more times each fires (event-loop thread only)."""

    def __init__(self) -> None:
        self._armed: dict[str, int] = {}

    def arm(self, mode: str, count: int = 1) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}: {sorted(FAULT_MODES)}")
        if count < 1:
            raise ValueError("count must be >= 1")
        self._armed[mode] = count

    def take(self, mode: str) -> bool:
        """True (and one fewer left) when ``mode`` is armed."""
        left = self._armed.get(mode, 0)
        if left <= 0:
            return False
        if left == 1:
            del self._armed[mode]
        else:
            self._armed[mode] = left - 1
        return True

    def clear(self) -> None:
        self._armed.clear()

    def armed(self) -> dict[str, int]:
        return dict(self._armed)
