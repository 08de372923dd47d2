"""Hypothesis fuzz of every HTML form of the UI (issue 8: « fuzz tests (hypothesis) of every
parser and form; no 500 »).

The forms are found the way a user finds them: a logged-in titulaire walks the screens of a
demo cabinet (links from the home page and a few entry points), and every ``<form method=post>``
or ``hx-post`` met is read with the stdlib HTML parser — its action and the names of its
fields. Each POST route of the UI routers is then posted hypothesis-made bodies on those
fields: values of the form itself, missing fields, empty, unicode, NUL, huge, numbers out of
range, impossible dates, repeated fields, stray fields. With a valid session and CSRF token:

* never a 5xx answer;
* an answer refusing the post (4xx) changed nothing: the count of journal entries other than
  reads is the same before and after (every change to billing data is journaled, so a refused
  post that wrote something would show there).

A UI POST route whose form the walk cannot reach (it appears only after another post, or needs
data the demo lacks) is still posted, at an id from the demo, with the form fields its endpoint
declares; :data:`REACHED_ONLY_BY_FALLBACK` names them, so that a new form nobody can reach is
noticed rather than silently skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.testclient import TestClient
from uow_support import unit_of

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.store.journal import JournalAction, JournalEntry
from openfse.store.models import UserRole
from openfse.web import ui

EXAMPLES_PER_ROUTE = 20  # ~70 routes × 20 posts: ~25 s here (2 cores), 60 posts took ~60 s
# No shrink phase: shrinking a failing post of 200,000 characters through the whole app took
# minutes; the traceback names the failing line, and the body is shown as posted (cut short).
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
SHOWN_BODY = 2000  # characters of a failing body in the assertion message
PAGES_TO_WALK = 200
SAME_SHAPE_PAGES = 3  # /patients/1, /patients/2, /patients/3, then other screens


# --------------------------------------------------------------------------- the UI POST routes
def _route_pattern(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{[^}:]+:int\}", r"\\d+", path)
    return re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", pattern) + "$")


# Posts that end the session or the account used by the walk run last, so that the others are
# fuzzed on a cabinet where the demo data are still there.
_DESTRUCTIVE = ("supprimer", "desactiver", "annuler", "fusionner", "deconnexion")


def _ui_post_routes() -> list[APIRoute]:
    routes = [route for router in ui.ROUTERS for route in router.routes
              if isinstance(route, APIRoute) and "POST" in route.methods]
    return sorted(routes, key=lambda r: (any(w in r.path for w in _DESTRUCTIVE),
                                         r.path.startswith("/professionnels/")))


UI_POSTS = _ui_post_routes()

# Forms shown only after another post (the signing and deletion confirmations, the card and
# ADRi answers…) or for data the demo cabinet does not hold (a payment's edition, a lot to send
# again, a rejected line): posted at a demo id with the fields their endpoint declares.
REACHED_ONLY_BY_FALLBACK = frozenset({
    "/patients/{patient_id:int}/fusionner",
    "/patients/{patient_id:int}/famille/{link_id:int}/supprimer",
    "/patients/{patient_id:int}/adri/{token}",
    "/patients/nouveau/vitale",
    "/patients/nouveau/apcv/{token}",
    "/patients/{patient_id:int}/mutuelles/{coverage_id:int}/renouveler",
    "/facture/vitale",
    "/facture/vitale/securiser",
    "/facture/apcv/{token}",
    "/facture/apcv/{token}/securiser",
    "/facture/{invoice_id:int}/securiser",
    "/facture/{invoice_id}/paiement",
    "/facture/preparer",  # the secrétariat's « Préparer pour validation » (the walk is a titulaire)
    "/favoris/{favourite_id:int}",
    "/favoris/{favourite_id:int}/supprimer",
    "/factures/signer",
    "/factures/supprimer",
    "/factures/securiser",
    "/connexion/cps",
    "/connexion/debloquer",
    "/connexion/enregistrement",
    "/connexion/enregistrement/titulaire",
    "/connexion/enregistrement/annuler",
    "/professionnels/ajouter-remplacant",
    "/professionnels/acces/{user_id:int}/approuver",  # only when a CPS awaits approval
    "/teletransmission/lots/{lot_id}/renvoyer",
    "/teletransmission/rejets/{line_id}",
})


# --------------------------------------------------------------------------- reading the forms
@dataclass
class PostForm:
    """A form as the page shows it: where it posts, and its fields with the values it holds."""

    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)  # <input type=file> names: sent multipart
    found_on: str = ""


class _PageReader(HTMLParser):
    """The links and the posting forms (``method=post``, ``hx-post``) of one page."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.links: list[str] = []
        self.forms: list[PostForm] = []
        self._open: PostForm | None = None  # the <form> being read (None: outside or GET form)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page_url, a["href"]))
        if tag == "form":
            posts = a.get("method", "").lower() == "post" or "hx-post" in a
            action = a.get("hx-post") or a.get("action") or self.page_url
            self._open = PostForm(urljoin(self.page_url, action), found_on=self.page_url) \
                if posts else None
            if self._open is not None:
                self.forms.append(self._open)
            return
        name = a.get("name")
        if self._open is not None and name and tag in ("input", "select", "textarea", "button"):
            self._open.fields.setdefault(name, []).append(a.get("value", ""))
            if a.get("type") == "file":
                self._open.files.add(name)
        elif self._open is not None and tag == "option" and "value" in a:
            select_fields = list(self._open.fields)
            if select_fields:  # options belong to the last <select> opened
                self._open.fields[select_fields[-1]].append(a["value"])
        if "hx-post" in a:  # a button or field posting by itself (htmx), outside a <form>
            own = {name: [a.get("value", "")]} if name else {}
            self.forms.append(PostForm(urljoin(self.page_url, a["hx-post"]), own,
                                       found_on=self.page_url))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def _local(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def walk_forms(client: TestClient, entry_points: list[str]) -> dict[str, PostForm]:
    """The first form found for each UI POST route, by walking the screens from the entries."""
    found: dict[str, PostForm] = {}
    queue, seen, shapes = list(entry_points), set(), dict[str, int]()
    while queue and len(seen) < PAGES_TO_WALK:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        page = client.get(url)
        if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
            continue
        reader = _PageReader(f"http://testserver{url}")
        reader.feed(page.text)
        for form in reader.forms:
            path = urlsplit(form.action).path
            for route in UI_POSTS:
                if route.path not in found and _route_pattern(route.path).match(path):
                    form.action = path
                    found[route.path] = form
        for link in map(_local, reader.links):
            if link is None or link.startswith(("/static", "/api", "/deconnexion", "/docs")):
                continue
            shape = re.sub(r"\d+", "N", link)
            if shapes.get(shape, 0) < SAME_SHAPE_PAGES:
                shapes[shape] = shapes.get(shape, 0) + 1
                queue.append(link)
    return found


def fallback_form(route: APIRoute, ids: dict[str, str]) -> PostForm:
    """The route at demo ids, with the form fields its endpoint declares."""

    def concrete(match: re.Match[str]) -> str:
        return ids.get(match.group(1), "1")

    action = re.sub(r"\{([^}:]+)(?::int)?\}", concrete, route.path)
    return PostForm(action, {param.name: [""] for param in route.dependant.body_params},
                    found_on="(fallback)")


# --------------------------------------------------------------------------- the cabinet
@dataclass
class Desk:
    client: TestClient
    cookie: tuple[str, str]
    forms: dict[str, PostForm]
    ids: dict[str, str]

    def fresh_session(self) -> None:
        """The titulaire's session again (a post may have logged out or logged in someone)."""
        self.client.cookies.clear()
        self.client.cookies.set(*self.cookie)

    def changes(self) -> int:
        """Journal entries other than reads: every change to billing data writes one."""
        with self.client.app.state.ctx.sessions() as session:  # type: ignore[attr-defined]
            return int(session.scalar(select(func.count()).select_from(JournalEntry)
                                      .where(JournalEntry.action != JournalAction.READ)))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo cabinet on today's date: invoices are validated against the real date."""
    from openfse.composition.demo import load_demo

    home: Path = tmp_path_factory.mktemp("form-fuzz")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=Clock().today())
    return settings


def _demo_invoices(client: TestClient) -> dict[str, str]:
    """Two validated invoices (one with a payment) so that the invoice screens have forms."""
    professional = next(p["id"] for p in client.get("/api/professionals").json()
                        if p["kind"] == "titulaire")
    ids: dict[str, str] = {}
    for name in ("BERNARD JEAN", "MULLER CELINE"):
        patient = client.get("/api/patients", params={"q": name}).json()[0]["id"]
        made = client.post("/api/invoices", json={
            "professional_id": professional, "patient_id": patient,
            "date_soins": Clock().today().isoformat(), "acts": [{"code": "G"}],
            "parcours": "medecin_traitant"})
        assert made.status_code == 201, made.text
        ids["invoice_id"] = str(made.json()["id"])
    paid = client.post(f"/api/invoices/{ids['invoice_id']}/payments",
                       json={"kind": "cb", "amount": "10.00",
                             "paid_on": Clock().today().isoformat()})
    assert paid.status_code == 201, paid.text
    detail = client.get(f"/api/invoices/{ids['invoice_id']}").json()
    ids["payment_id"] = str(detail["payments"][0]["id"])
    ids["patient_id"] = str(detail["header"]["patient_id"])
    return ids


@pytest.fixture(scope="module")
def desk(app: Any, settings: Settings) -> Iterator[Desk]:
    from openfse.services import preferences
    from security.sessions import login_for, user_of_role

    user_of_role(settings, UserRole.SECRETAIRE)  # a secrétariat account: its screen has forms
    login = login_for(settings, UserRole.TITULAIRE)
    with TestClient(app, follow_redirects=False, headers=login.headers) as client:
        client.cookies.set(login.cookie_name, login.cookie_value)
        ids = {**_demo_invoices(client), "liste": "amc", "token": "jeton-inconnu"}
        # An own preference: « Reprendre les préférences du cabinet » shows only when he has one.
        preferences.save_own(unit_of(client.app.state.ctx), {"act_series": True},
                             user_id=login.user.user_id)
        today = Clock().today()
        entries = ["/", f"/factures?du={today.replace(day=1)}&au={today}",
                   f"/facture?patient={ids['patient_id']}", "/connexion",
                   "/professionnels/secretariat", "/factures/securiser", "/teletransmission",
                   "/profils"]
        yield Desk(client, (login.cookie_name, login.cookie_value),
                   walk_forms(client, entries), ids)


# --------------------------------------------------------------------------- the bodies
_NASTY = st.sampled_from([
    "", " ", "\x00", "a\x00b", "-1", "0", "-0", "1e309", "NaN", "Infinity", "1,5", "12.345",
    "99999999999999999999999999", "9223372036854775808", "2026-02-30", "0001-01-01",
    "9999-12-31", "31/12/2026", "2026-13-01", "<script>alert(1)</script>", "' OR 1=1 --",
    "../../etc/passwd", "on", "true", "é" * 30, "\u202e\ufeff\u200b", "🩺" * 10, "%00", "\r\n",
])
_VALUE = st.one_of(
    _NASTY,
    st.text(max_size=40),  # any unicode, NUL and control characters included
    st.integers().map(str),  # unbounded: far beyond the 64-bit ids
    st.integers(min_value=5_000, max_value=200_000).map(lambda n: "9" * n),  # huge
    st.integers(min_value=5_000, max_value=200_000).map(lambda n: "x" * n),
)


def _field_values(shown: list[str]) -> st.SearchStrategy[list[str] | None]:
    own = st.sampled_from(shown).map(lambda value: [value])
    return st.one_of(st.none(), own, _VALUE.map(lambda value: [value]),
                     st.lists(st.one_of(_VALUE, st.sampled_from(shown)), min_size=2,
                              max_size=4))


@st.composite
def bodies(draw: st.DrawFn, form: PostForm) -> dict[str, list[str]]:
    """A body for ``form``: each field kept, changed, repeated or left out; maybe a stray one."""
    body: dict[str, list[str]] = {}
    for name, shown in form.fields.items():
        values = draw(_field_values(shown or [""]))
        if values is not None:
            body[name] = values
    if draw(st.booleans()):
        body[draw(st.text(min_size=1, max_size=20))] = [draw(_VALUE)]
    return body


# --------------------------------------------------------------------------- the tests
def test_the_walk_reaches_every_form_but_the_known_ones(desk: Desk) -> None:
    # A new route listed here: give the walk an entry point to its form, or, if its form shows
    # only after another post, add it to REACHED_ONLY_BY_FALLBACK.
    unreached = {route.path for route in UI_POSTS} - set(desk.forms)
    assert unreached <= REACHED_ONLY_BY_FALLBACK, sorted(unreached - REACHED_ONLY_BY_FALLBACK)
    assert len(desk.forms) >= len(UI_POSTS) - len(REACHED_ONLY_BY_FALLBACK)


@pytest.mark.parametrize("route", UI_POSTS, ids=[route.path for route in UI_POSTS])
def test_no_form_post_ends_in_a_server_error_nor_changes_data_when_refused(
    desk: Desk, route: APIRoute,
) -> None:
    form = desk.forms.get(route.path) or fallback_form(route, desk.ids)

    @hypothesis_settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, phases=PHASES,
                         suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.data_too_large])
    @given(body=bodies(form), htmx=st.booleans())
    def post(body: dict[str, list[str]], htmx: bool) -> None:
        desk.fresh_session()
        before = desk.changes()
        headers = {"HX-Request": "true"} if htmx else {}
        files = {name: ("f.bin", "".join(body.pop(name)).encode("utf-8", "surrogatepass"))
                 for name in form.files if name in body}
        answer = desk.client.post(form.action, data=body, files=files or None, headers=headers)
        shown = repr(body)[:SHOWN_BODY]
        assert answer.status_code < 500, (form.action, shown, answer.text[:2000])
        if 400 <= answer.status_code < 500:
            assert desk.changes() == before, (form.action, shown, answer.status_code)

    post()
