"""Bad input over the whole OpenAPI: schemathesis generates requests for every operation of
``/openapi.json`` (valid and invalid bodies, parameters) against the app on its own demo
database, logged in as the titulaire. No answer may be a server error (issue 8: « no 500 »).

A few examples per operation keep the run short; ``OPENFSE_SCHEMATHESIS_EXAMPLES`` raises it
for a deeper local run.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency")

from hypothesis import HealthCheck, settings  # noqa: E402

from openfse.config import Settings  # noqa: E402

EXAMPLES = int(os.environ.get("OPENFSE_SCHEMATHESIS_EXAMPLES", "5"))


def _logged_in_app() -> tuple[Any, dict[str, str]]:
    """The app on a fresh demo home (made at collection: schemathesis needs the schema to
    generate the tests), with the titulaire's session headers."""
    from security.sessions import login_for

    from openfse.composition.demo import load_demo
    from openfse.web.app import create_app

    settings_ = Settings.from_env({"OPENFSE_HOME": tempfile.mkdtemp(prefix="openfse-contract-")})
    load_demo(settings_, today=date(2026, 3, 2))
    login = login_for(settings_)
    headers = {**login.headers, "Cookie": f"{login.cookie_name}={login.cookie_value}"}
    return create_app(settings_), headers


APP, HEADERS = _logged_in_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case: Any) -> None:
    response = case.call(headers=HEADERS)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:500]}")
