"""Runtime settings, read once at the edge (CLI, web app start) from the environment.

- ``OPENFSE_HOME``: data directory (SQLite file, simulator state, backups);
  default ``~/.local/share/openfse``.
- ``OPENFSE_DATABASE_URL``: SQLAlchemy URL, PostgreSQL as ``postgresql+psycopg://…``;
  default the SQLite file in ``OPENFSE_HOME``.
- ``OPENFSE_CARD_BACKEND``: ``simulated`` (test cards, default) or ``pcsc`` (real reader).
- ``OPENFSE_ADRI``: ``in-process`` (simulated data set, default) or the URL of an ADRi service.
- ``OPENFSE_HOST`` / ``OPENFSE_PORT``: where ``openfse serve`` listens (127.0.0.1:8000).
- ``OPENFSE_SMTP`` / ``OPENFSE_POP3``: the insurer transport, ``host:port`` (default: the simulated
  caisse of ``openfse simulators caisse``, 127.0.0.1:2525 / 127.0.0.1:1110);
  ``OPENFSE_POP3_USER`` / ``OPENFSE_POP3_PASSWORD``: the mailbox account; ``OPENFSE_MAIL_FROM``:
  the cabinet's sending address.
- ``OPENFSE_SESSION_HTTPS_ONLY``: ``1``/``true``/``oui`` marks the session cookie ``Secure`` (served
  behind a TLS reverse proxy); default off (plain http on 127.0.0.1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from openfse.store.db import data_dir, database_url


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    database_url: str
    card_backend: str = "simulated"
    adri: str = "in-process"
    host: str = "127.0.0.1"
    port: int = 8000
    smtp: str = "127.0.0.1:2525"
    pop3: str = "127.0.0.1:1110"
    pop3_user: str = "cabinet"
    pop3_password: str = "cabinet"
    mail_from: str = "cabinet@openfse.localhost"
    session_https_only: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        home = data_dir(env)
        url = database_url(env)
        port_text = env.get("OPENFSE_PORT", "8000")
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"OPENFSE_PORT must be a TCP port number, got {port_text!r}")
        return cls(
            home=home,
            database_url=url,
            card_backend=env.get("OPENFSE_CARD_BACKEND", "simulated"),
            adri=env.get("OPENFSE_ADRI", "in-process"),
            host=env.get("OPENFSE_HOST", "127.0.0.1"),
            port=int(port_text),
            smtp=env.get("OPENFSE_SMTP", "127.0.0.1:2525"),
            pop3=env.get("OPENFSE_POP3", "127.0.0.1:1110"),
            pop3_user=env.get("OPENFSE_POP3_USER", "cabinet"),
            pop3_password=env.get("OPENFSE_POP3_PASSWORD", "cabinet"),
            mail_from=env.get("OPENFSE_MAIL_FROM", "cabinet@openfse.localhost"),
            session_https_only=_flag(env, "OPENFSE_SESSION_HTTPS_ONLY"),
        )


_TRUE = frozenset({"1", "true", "yes", "oui", "on"})
_FALSE = frozenset({"", "0", "false", "no", "non", "off"})


def _flag(env: dict[str, str], name: str) -> bool:
    """A yes/no variable; a typo must not silently leave a security option off."""
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be 1/true/oui or 0/false/non, got {value!r}")
