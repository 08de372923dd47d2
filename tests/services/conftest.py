"""Fixtures shared by the service tests: the demo cabinet on a real SQLite database.

``settings`` and ``make_uow`` are module-scoped: each test module gets its own demo cabinet
(as of ``DEMO_DAY``) and its tests add their own rows, never counting another test's. A module
that needs another cabinet (an empty one, one per test) defines its own fixtures of the same
names, which take precedence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.services.setup import session_factory_for
from openfse.store.models import Cabinet
from openfse.store.uow import UnitOfWork

DEMO_DAY = date(2026, 3, 2)
MakeUow = Callable[[], UnitOfWork]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data directory holding the demo cabinet, shared by the tests of one module."""
    settings = Settings.from_env({"OPENFSE_HOME": str(tmp_path_factory.mktemp("demo"))})
    load_demo(settings, today=DEMO_DAY)
    return settings


@pytest.fixture(scope="module")
def make_uow(settings: Settings) -> MakeUow:
    """New units of work on the demo cabinet of ``settings``."""
    sessions = session_factory_for(settings)
    with sessions() as session:
        cabinet_id = session.query(Cabinet.id).scalar()
    return lambda: UnitOfWork(sessions, cabinet_id=cabinet_id, actor="test", actor_user_id=None)
