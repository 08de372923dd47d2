"""Browser tests: the real app served by uvicorn on 127.0.0.1, driven by Debian's Chromium.

Screenshots go to ``tests/e2e/artifacts/`` so that a person can look at every screen.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts,
# which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # The browser's own widgets (date fields, file chooser) speak its UI language, not the
    # page's: a French workstation shows jj/mm/aaaa and « Choisir un fichier ».
    "--lang=fr-FR",
]


# CI machines are slow and shared: an assertion waits up to 10 s for the page to get there (the
# tests never sleep; a wait only ends early when the condition holds).
expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it as root)")
    # LANGUAGE too: on Linux, Chromium takes its UI locale from the environment.
    env = {**os.environ, "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr_FR:fr"}
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS,
            "env": env}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:  # type: ignore[type-arg]
    # A French desk: dates and numbers as the user sees them.
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


# --------------------------------------------------------------------------- logged-in desks
# Every page needs a logged-in user (openfse.web.security). The browser contexts start with
# the demo titulaire's session cookie (tests/security/sessions.py): every server of these tests
# (``live_server`` and the modules' own servers) gets the same session secret and the same
# titulaire account (the first account of a fresh demo database, so the same id everywhere);
# cookies ignore the port, so one cookie opens them all. Tests of the log-in itself log in
# again over it (a log-in replaces the session).

E2E_SECRET = "e2e-session-secret-shared-by-every-test-server-0123456789"


def _prepare_home(home: Path) -> int:
    """The shared secret in ``home`` and the titulaire's account in its database: its id."""
    from security.sessions import user_of_role

    from openfse.config import Settings
    from openfse.store.models import UserRole

    _share_secret(home)
    return user_of_role(Settings.from_env({"OPENFSE_HOME": str(home)}), UserRole.TITULAIRE).user_id


@pytest.fixture(scope="module", autouse=True)
def _servers_share_the_test_login(demo_home: Path) -> Iterator[None]:
    """Apps made by a test module (its own server) accept the browsers' session cookie."""
    import openfse.web.app as web_app

    original = web_app.create_app
    expected = _prepare_home(demo_home)

    def create_app(settings: Any = None, *, context: Any = None) -> Any:
        home = (context.settings if context is not None else settings).home
        _share_secret(home)  # before the app reads (or makes) its own
        app = original(settings, context=context)
        user_id = _prepare_home(home)
        assert user_id == expected, "the test titulaire account must have the same id everywhere"
        return app

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_app, "create_app", create_app)
        yield


def _share_secret(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    secret = home / "secret_key"
    if not secret.exists():
        secret.write_text(E2E_SECRET + "\n", encoding="ascii")
        secret.chmod(0o600)


# Modules that test the log-in itself: their pages start logged out (their checks wait for
# the top bar to show the user, which a session opened in advance would satisfy at once).
LOGGED_OUT_MODULES = frozenset({"test_start_day"})


@pytest.fixture(autouse=True)
def _logged_out_where_the_log_in_is_tested(request: pytest.FixtureRequest) -> None:
    module = request.node.module.__name__.rsplit(".", 1)[-1]
    if module in LOGGED_OUT_MODULES and "page" in request.fixturenames:
        request.getfixturevalue("context").clear_cookies()


@pytest.fixture(scope="session")
def browser(browser: Any, demo_home: Path) -> Any:
    """Chromium whose every new context (``page``, ``context`` and the tests' own
    ``browser.new_context``) starts logged in as the demo titulaire, with the API's custom
    header for ``page.request`` calls (the UI's CSRF token rides in the pages themselves)."""
    from security.sessions import SessionUser, session_cookie

    from openfse.services.session_login import LoginMethod
    from openfse.store.models import UserRole
    from openfse.web.session import SESSION_COOKIE

    user_id = _prepare_home(demo_home)
    user = SessionUser(user_id, "e2e", "e2e", UserRole.TITULAIRE, LoginMethod.CPS)
    cookie = {"name": SESSION_COOKIE, "value": session_cookie(demo_home, user),
              "domain": "127.0.0.1", "path": "/", "httpOnly": True, "sameSite": "Lax"}
    original = browser.new_context

    def new_context(*args: Any, **kwargs: Any) -> Any:
        context = original(*args, **kwargs)
        context.add_cookies([cookie])
        headers = dict(kwargs.get("extra_http_headers") or {})
        context.set_extra_http_headers({**headers, "X-Requested-With": "openfse-tests"})
        return context

    browser.new_context = new_context
    return browser


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the demo cabinet, made through the CLI like a user would."""
    from typer.testing import CliRunner

    from openfse.cli import app

    home = tmp_path_factory.mktemp("openfse-e2e")
    env = {"OPENFSE_HOME": str(home), "OPENFSE_DATABASE_URL": ""}
    result = CliRunner().invoke(app, ["init", "--demo-if-empty"], env=env)
    assert result.exit_code == 0, result.output
    _share_secret(home)
    return home


@pytest.fixture(scope="session")
def live_server(demo_home: Path) -> Iterator[str]:
    from web_server import serving

    from openfse.config import Settings
    from openfse.web.app import create_app

    with serving(create_app(Settings.from_env({"OPENFSE_HOME": str(demo_home)}))) as url:
        yield url


@pytest.fixture()
def secretary_page(browser: Any, demo_home: Path) -> Iterator[Any]:
    """A page logged in as the demo cabinet's secrétaire (password account, no CPS)."""
    from security.sessions import session_cookie, user_of_role

    from openfse.config import Settings
    from openfse.store.models import UserRole
    from openfse.web.session import SESSION_COOKIE

    secretary = user_of_role(Settings.from_env({"OPENFSE_HOME": str(demo_home)}),
                             UserRole.SECRETAIRE)
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        # Over the titulaire's cookie the browser fixture puts in every new context.
        context.add_cookies([{"name": SESSION_COOKIE, "value": session_cookie(demo_home, secretary),
                              "domain": "127.0.0.1", "path": "/", "httpOnly": True,
                              "sameSite": "Lax"}])
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture()
def screenshot(page):  # type: ignore[no-untyped-def]
    """``screenshot("name")`` saves the current page as tests/e2e/artifacts/name.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
