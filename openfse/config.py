"""Runtime settings, read once at the edge (CLI, web app start) from the environment.

- ``OPENFSE_HOME``: data directory (SQLite file, simulator state, backups);
  default ``~/.local/share/openfse``.
- ``OPENFSE_DATABASE_URL``: SQLAlchemy URL, PostgreSQL as ``postgresql+psycopg://…``;
  default the SQLite file in ``OPENFSE_HOME``.
- ``OPENFSE_CARD_BACKEND``: ``simulated`` (test cards, default) or ``pcsc`` (real reader).
- ``OPENFSE_ADRI``: ``in-process`` (simulated data set, default) or the URL of an ADRi service.
- ``OPENFSE_HOST`` / ``OPENFSE_PORT``: where ``openfse serve`` listens (127.0.0.1:8000).
- ``OPENFSE_SMTP`` / ``OPENFSE_POP3``: the insurer transport, ``host:port``. Unset: not
  configured, except in the demo cabinet, where ``openfse serve`` runs the simulated caisse on
  127.0.0.1:2525 / 127.0.0.1:1110 (``openfse.services.transmission.transport_of``);
  ``OPENFSE_POP3_USER`` (default: the sending address, the mailbox the answers come back to) /
  ``OPENFSE_POP3_PASSWORD``: the mailbox account; ``OPENFSE_MAIL_FROM``: the cabinet's sending
  address.
- ``OPENFSE_SESSION_HTTPS_ONLY``: ``1``/``true``/``oui`` marks the session cookie ``Secure`` (served
  behind a TLS reverse proxy); default off (plain http on 127.0.0.1).
- ``OPENFSE_MAX_BODY_BYTES`` (default 1048576, 1 Mio) / ``OPENFSE_MAX_UPLOAD_BYTES`` (default
  20971520, 20 Mio, multipart forms with a file) / ``OPENFSE_MAX_JSON_DEPTH`` (default 32): the
  limits on what a request may send, answered 413 / 422 before any route (``openfse.web.edge``).
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
    smtp: str = ""  # "" = not configured (see transport_of)
    pop3: str = ""
    pop3_user: str = ""  # "" = mail_from: the answers come back to the sending address
    pop3_password: str = "cabinet"
    mail_from: str = "cabinet@openfse.localhost"
    session_https_only: bool = False
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    max_json_depth: int = 32

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
            smtp=env.get("OPENFSE_SMTP", "").strip(),
            pop3=env.get("OPENFSE_POP3", "").strip(),
            pop3_user=env.get("OPENFSE_POP3_USER", "").strip(),
            pop3_password=env.get("OPENFSE_POP3_PASSWORD", "cabinet"),
            mail_from=env.get("OPENFSE_MAIL_FROM", "cabinet@openfse.localhost"),
            session_https_only=_flag(env, "OPENFSE_SESSION_HTTPS_ONLY"),
            max_body_bytes=_positive(env, "OPENFSE_MAX_BODY_BYTES", 1024 * 1024),
            max_upload_bytes=_positive(env, "OPENFSE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
            max_json_depth=_positive(env, "OPENFSE_MAX_JSON_DEPTH", 32),
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


def _positive(env: dict[str, str], name: str, default: int) -> int:
    """A positive whole number (a size in bytes, a depth); unset: ``default``."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{name} must be a positive whole number, got {text!r}")
    return int(text)
