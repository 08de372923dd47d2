"""The appli carte Vitale where no ApCV service is configured.

The simulated phone (QR code and NFC sessions over the test Vitale cards) is wired in by the
composition module: :mod:`openfse.composition.simulated_apcv`.
"""

from __future__ import annotations

from openfse.adapters.cards.errors import ApcvUnavailable
from openfse.adapters.cards.port import ApcvSource
from openfse.domain.cards import ApcvSession

__all__ = ["UnavailableApcvProvider"]


class UnavailableApcvProvider:
    """The appli carte Vitale where no ApCV service is configured (real PC/SC readers: the
    ApCV platform is reached through the GIE SESAM-Vitale services, not available to openfse).

    The application starts normally; opening a session says why it cannot, in French.
    """

    def start_session(self, source: ApcvSource) -> ApcvSession:
        raise ApcvUnavailable()

    def certify(self, session_id: str, data: bytes) -> bytes:
        raise ApcvUnavailable()
