"""Where lots go and returns come from: the SMTP server, the POP3 mailbox, the quarantine.

One ``Transport`` value is what the télétransmission service sends and fetches with. A server
that is not configured is ``None`` with the French sentence saying so: the service reports it
(« Serveur d'envoi des lots (SMTP) non configuré… ») instead of failing on a connection to
nowhere. The web app hands it out per request (``openfse.web.deps.get_transport``, overridden
in tests), the CLI builds it from the settings (``openfse.services.transmission.transport_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openfse.adapters.transmission.errors import TransmissionReceiveError
from openfse.adapters.transmission.pop3_receiver import Pop3Config
from openfse.adapters.transmission.quarantine import Quarantine
from openfse.adapters.transmission.smtp_sender import SmtpConfig

__all__ = ["Transport", "TransportNotConfigured"]


class TransportNotConfigured(TransmissionReceiveError):
    """A server the installation has no address for (nothing was sent or fetched)."""

    code = "transmission.not_configured"


@dataclass(frozen=True, slots=True)
class Transport:
    smtp: SmtpConfig | None
    pop3: Pop3Config | None
    quarantine_dir: Path
    smtp_missing: str = ""  # French: why ``smtp`` is None
    pop3_missing: str = ""
    simulated: bool = False  # the simulated caisse of the demo

    def sender(self) -> SmtpConfig:
        if self.smtp is None:
            raise TransportNotConfigured(self.smtp_missing or "Serveur d'envoi non configuré.")
        return self.smtp

    def mailbox(self) -> Pop3Config:
        if self.pop3 is None:
            raise TransportNotConfigured(self.pop3_missing or "Boîte de réception non "
                                         "configurée.")
        return self.pop3

    def quarantine(self) -> Quarantine:
        return Quarantine(self.quarantine_dir)
