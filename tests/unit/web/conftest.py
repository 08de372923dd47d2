from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from openfse.config import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on a fresh SQLite database holding the demo cabinet, logged in as the demo
    titulaire (session cookie and CSRF header: tests/security/sessions.py)."""
    from security.sessions import login_for

    from openfse.composition.demo import load_demo
    from openfse.web.app import create_app

    home: Path = tmp_path_factory.mktemp("web")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=date(2026, 3, 2))
    login = login_for(settings)
    with TestClient(create_app(settings), headers=login.headers) as test_client:
        test_client.cookies.set(login.cookie_name, login.cookie_value)
        yield test_client
