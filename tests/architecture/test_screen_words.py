"""No internal word on screen (issue 13, defect 15).

« Internal words on screen: ``put_in_lot``/``receive_returns`` in the journal, users shown as
``cps.99900012347``, « Paiement especes », « (seed : …) » on the new-patient page. » The main
pages of the demo cabinet are opened as its titulaire, after the journal has received a line for
every action and entity the code journals (found in the source, so a new verb without its
French label fails here), and none may show a word from :data:`INTERNAL`.
"""

from __future__ import annotations

import ast
import contextlib
import re
import warnings
from collections.abc import Iterator
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.domain.payment import Payer, Payment, PaymentKind
from openfse.errors import OpenFSEError
from openfse.services import invoicing
from openfse.services.context import AppContext
from openfse.store.models import Invoice, Patient, UserRole
from openfse.web.ui.audit import ACTION_LABELS, ENTITY_LABELS

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

PACKAGE = Path(__file__).resolve().parents[2] / "openfse"
TODAY = Clock().today()

# Words a user must never read: code identifiers, logins, unaccented codes, notes to developers.
INTERNAL = [
    re.compile(r"\b[a-z]+_[a-z_]+\b"),  # snake_case identifiers (put_in_lot, amo_coverage…)
    re.compile(r"\bcps\.\d+"),  # a CPS account's login
    re.compile(r"\bespeces\b", re.IGNORECASE),
    re.compile(r"\bseed\b", re.IGNORECASE),
    re.compile(r"\bNone\b"),
    re.compile(r"Traceback|Internal Server Error"),
]


def journaled_words() -> tuple[set[str], set[str]]:
    """(actions, entities) written as literals by ``uow.journal(...)``, ``journal_update`` and
    ``_change`` calls, and every table journal_change can name."""
    actions, entities = {"create", "update", "delete", "read"}, set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            texts = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str)
                     else None for a in node.args]
            if name == "journal":  # journal(action, entity, entity_id, …)
                actions.update(t for t in texts[:1] if t)
                entities.update(t for t in texts[1:2] if t)
            elif name in ("_journal_update", "_change"):  # (uow, row(s), action, …)
                actions.update(t for t in texts[2:3] if t)
    return actions, entities


def test_every_journaled_action_and_entity_has_a_french_label() -> None:
    actions, entities = journaled_words()
    assert actions - set(ACTION_LABELS) == set()
    assert entities - set(ENTITY_LABELS) == set()


# --------------------------------------------------------------------------- the pages


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings.from_env({"OPENFSE_HOME": str(tmp_path_factory.mktemp("words"))})
    load_demo(settings, today=TODAY)
    return settings


@pytest.fixture(scope="module")
def ids(settings: Settings) -> dict[str, int]:
    """A patient, an invoice paid in cash and a journal line of every verb the code writes,
    under the titulaire's account (what a week at the desk leaves)."""
    from security.sessions import login_for

    titulaire = login_for(settings, UserRole.TITULAIRE).user
    ctx = AppContext.open(settings)
    try:
        with ctx.sessions() as session:
            patient = session.scalars(select(Patient.id).order_by(Patient.id)).first()
            invoice = session.scalars(select(Invoice.id).order_by(Invoice.id.desc())).first()
        assert patient is not None
        uow = ctx.unit_of_work(actor=titulaire.login, actor_user_id=titulaire.user_id)
        if invoice is not None:
            # An invoice that takes no payment is no matter: the lines below remain.
            with contextlib.suppress(OpenFSEError):
                invoicing.record_payment(uow, invoice, Payment(PaymentKind.ESPECES, _cents(100),
                                                            TODAY, Payer.PATIENT))
        actions, entities = journaled_words()
        with ctx.unit_of_work(actor=titulaire.login, actor_user_id=titulaire.user_id) as work:
            for action in sorted(actions):
                work.journal(action, "invoice", invoice or 1, summary="")
            for entity in sorted(entities | set(ENTITY_LABELS)):
                work.journal("update", entity, 1, summary="")
            work.commit()
        return {"patient": patient, "invoice": invoice or 0}
    finally:
        ctx.engine.dispose()


def _cents(cents: int) -> Decimal:
    return Decimal(cents) / 100


@pytest.fixture(scope="module")
def client(settings: Settings, ids: dict[str, int]) -> Iterator[TestClient]:
    from security.sessions import logged_in

    from openfse.web.app import create_app

    with TestClient(create_app(settings), follow_redirects=True) as client:
        yield logged_in(client, settings, UserRole.TITULAIRE)


PAGES = [
    "/", "/patients", "/patients/nouveau", "/patients/nouveau/manuel", "/patients/{patient}",
    "/patients/{patient}/modifier", "/patients/{patient}/famille",
    "/patients/{patient}/mutuelles", "/patients/{patient}/mutuelles/nouvelle", "/facture",
    "/factures", "/factures/{invoice}", "/teletransmission", "/prescripteurs", "/favoris",
    "/favoris/nouveau", "/profils", "/parametres", "/parametres?liste=amo",
    "/parametres/preferences", "/professionnels", "/journal",
]


def visible_text(html: str) -> str:
    """What the page shows: no scripts, styles, tags nor attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    html = re.sub(r"<[^>]*>", " ", html)
    return unescape(html)


@pytest.mark.parametrize("page", PAGES)
def test_the_page_shows_no_internal_word(client: TestClient, ids: dict[str, int],
                                         page: str) -> None:
    if "{invoice}" in page and not ids["invoice"]:
        pytest.skip("the demo has no invoice")
    answer = client.get(page.format(**ids))
    assert answer.status_code == 200, answer.text[:500]
    text = visible_text(answer.text)
    found = sorted({match.group(0) for pattern in INTERNAL for match in pattern.finditer(text)})
    assert found == [], f"{page}: {found}"


def test_a_payment_is_said_in_french() -> None:
    # The journal's summary of a payment (services.invoicing.record_payment) was « Paiement
    # especes »: the stored code, unaccented.
    assert f"Paiement {PaymentKind.ESPECES.phrase}" == "Paiement en espèces"
    assert {kind.phrase for kind in PaymentKind} == {
        "par chèque", "par carte bancaire", "en espèces", "par virement", "(autre moyen)"}
