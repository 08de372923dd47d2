from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from openfse.config import Settings
from openfse.store.models import UserRole

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A fresh SQLite home holding the demo cabinet (one per test module)."""
    from openfse.services.demo import load_demo

    home: Path = tmp_path_factory.mktemp("security")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=date(2026, 3, 2))
    return settings


@pytest.fixture(scope="module")
def app(settings: Settings) -> Any:
    from openfse.web.app import create_app

    return create_app(settings)


@pytest.fixture(scope="module")
def anonymous(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="module")
def client_for(app: Any, settings: Settings) -> Iterator[Callable[[UserRole], TestClient]]:
    """``client_for(role)``: a client logged in with that role (made once per role)."""
    from security.sessions import logged_in

    clients: dict[UserRole, TestClient] = {}

    def make(role: UserRole) -> TestClient:
        if role not in clients:
            client = TestClient(app, follow_redirects=False)
            client.__enter__()
            clients[role] = logged_in(client, settings, role)
        return clients[role]

    yield make
    for client in clients.values():
        client.__exit__(None, None, None)
