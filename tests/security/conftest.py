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
    from openfse.composition.demo import load_demo

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


# --------------------------------------------------------------------------- both databases


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_settings(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The demo cabinet on SQLite, then on PostgreSQL (skipped when PostgreSQL does not
    answer), in a fresh home (one per test module and database)."""
    from openfse.composition.demo import load_demo

    home: Path = tmp_path_factory.mktemp(f"security-{request.param}")
    env = {"OPENFSE_HOME": str(home), "OPENFSE_DATABASE_URL": ""}
    databases = None
    if request.param == "postgresql":
        from pg_support import PostgresDatabases, admin_or_skip

        databases = PostgresDatabases(admin_or_skip(), "openfse_security")
        env["OPENFSE_DATABASE_URL"] = databases.url(databases.create())
    settings = Settings.from_env(env)
    load_demo(settings, today=date(2026, 3, 2))
    yield settings
    if databases is not None:
        databases.drop_all()
        databases.admin.dispose()
