"""The session cookie's flags: HttpOnly and SameSite=Lax always, Secure when openfse is served
behind TLS (``OPENFSE_SESSION_HTTPS_ONLY``, read once into the Settings)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from openfse.config import Settings
from openfse.web.session import SESSION_COOKIE

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


def _session_cookie_header(home: Path, https_only: str) -> str:
    from openfse.web.app import create_app

    settings = Settings.from_env({"OPENFSE_HOME": str(home),
                                  "OPENFSE_SESSION_HTTPS_ONLY": https_only})
    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get("/connexion")  # the log-in form puts its CSRF token in the session
    assert page.status_code == 200
    headers = [h for h in page.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "=")]
    assert len(headers) == 1, page.headers
    return headers[0].lower()


def test_the_cookie_is_secure_only_behind_tls(tmp_path: Path) -> None:
    plain = _session_cookie_header(tmp_path, "")
    assert "httponly" in plain and "samesite=lax" in plain
    assert "secure" not in plain
    behind_tls = _session_cookie_header(tmp_path, "oui")
    assert "secure" in behind_tls and "httponly" in behind_tls


@pytest.mark.parametrize("text, expected", [("1", True), ("TRUE", True), ("oui", True),
                                            ("0", False), ("non", False), ("", False)])
def test_the_flag_reads_french_and_english(tmp_path: Path, text: str, expected: bool) -> None:
    env = {"OPENFSE_HOME": str(tmp_path), "OPENFSE_SESSION_HTTPS_ONLY": text}
    assert Settings.from_env(env).session_https_only is expected


def test_a_typo_in_the_flag_stops_the_start(tmp_path: Path) -> None:
    # « ture » must not leave the cookie readable over plain http without anyone noticing.
    with pytest.raises(ValueError, match="OPENFSE_SESSION_HTTPS_ONLY must be"):
        Settings.from_env({"OPENFSE_HOME": str(tmp_path), "OPENFSE_SESSION_HTTPS_ONLY": "ture"})
