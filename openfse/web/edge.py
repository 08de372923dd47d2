"""The outermost layer of the web app: what every request and every response goes through first.

:class:`Edge` is a plain ASGI middleware (it sees the body as it streams in, never the whole of
it unless it must):

* **Body limit** (issue 12, finding 9: four anonymous 300 MB posts took the server to 2.3 GB).
  A ``Content-Length`` over the limit is answered 413 at once; a body without one is counted
  while it streams and cut off at the limit. Multipart bodies (file uploads: the ordonnance,
  an attestation's photo) have their own, larger limit. Defaults and settings:
  ``OPENFSE_MAX_BODY_BYTES`` (1 Mio), ``OPENFSE_MAX_UPLOAD_BYTES`` (20 Mio).
* **Text that no database stores** (finding 16): a NUL character, a lone UTF-16 surrogate,
  undecodable UTF-8, or a control character (other than tab, CR and LF) in the query string or
  a form field; a JSON body nested deeper than ``OPENFSE_MAX_JSON_DEPTH`` (32) — Python's own
  parser would give up with a ``RecursionError`` near 1,000. Refused with 422 before any route
  runs: a French page for the screens, the API's JSON error shape for ``/api``.
* **Security headers on every answer** (finding 15): ``X-Content-Type-Options: nosniff``,
  ``X-Frame-Options: DENY`` and ``Content-Security-Policy: frame-ancestors 'none'`` (no page
  of openfse inside another site's frame), ``Referrer-Policy: same-origin``, and
  ``Cache-Control: no-store`` on pages and API answers (patient data never stays in a browser
  or proxy cache; ``/static`` files keep their own caching).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from openfse.errors import OpenFSEError
from openfse.web.api.errors import error_body

__all__ = ["Edge", "EdgeLimits", "Refusal", "json_depth"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    max_json_depth: int = 32


class Refusal(Exception):
    """A request refused at the edge: HTTP status, API code, French message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"same-origin"),
)
_NO_STORE = (b"cache-control", b"no-store")

# C0 controls but tab, LF and CR, and DEL: no screen types them, and NUL is refused by
# PostgreSQL in any text column.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")  # in a form field (a textarea) only, never in an address
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_TOO_LARGE = "Envoi trop volumineux : {limit} au plus."


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} Mo" if limit >= 1024 * 1024 else f"{limit // 1024} Ko"


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, counted without parsing it (so
    without recursion): brackets inside strings are skipped."""
    structure = _STRINGS.sub(b"", body)
    depth = deepest = 0
    for byte in structure.translate(None, delete=bytes(set(range(256)) - set(b"[]{}"))):
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _check_text(text: str, where: str) -> None:
    if _SURROGATE.search(text):
        raise Refusal(422, "invalid_text", f"Caractère invalide dans {where}.")
    if _CONTROL.search(text):
        raise Refusal(422, "invalid_text",
                      f"Caractère de contrôle (NUL…) refusé dans {where} : retirez-le.")


def _check_json_strings(value: object, depth: int = 0) -> None:
    if isinstance(value, str):
        if "\x00" in value or _SURROGATE.search(value):
            raise Refusal(422, "invalid_text",
                          "Caractère invalide (NUL ou demi-caractère UTF-16) dans les données.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json_strings(key, depth + 1)
            _check_json_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json_strings(item, depth + 1)


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(422, "invalid_text", f"Texte illisible (UTF-8 attendu) dans {where}.") \
            from None


def _check_query(query: bytes) -> None:
    text = _decode(query, "l'adresse")
    for name, value in parse_qsl(text, keep_blank_values=True, errors="surrogateescape"):
        _check_text(name + value, "l'adresse")
        if _LINE_BREAK.search(name + value):
            raise Refusal(422, "invalid_text", "Retour à la ligne refusé dans l'adresse.")


def _check_body(content_type: str, body: bytes, limits: EdgeLimits) -> None:
    if content_type.startswith("application/x-www-form-urlencoded"):
        text = _decode(body, "le formulaire")
        for name, value in parse_qsl(text, keep_blank_values=True, errors="surrogateescape"):
            _check_text(name + value.replace("\r", "").replace("\n", ""), "le formulaire")
    elif content_type.startswith("application/json") or content_type.endswith("+json"):
        if json_depth(body) > limits.max_json_depth:
            raise Refusal(422, "json_too_deep",
                          f"Données trop imbriquées : {limits.max_json_depth} niveaux au plus.")
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return  # malformed JSON: the route's own answer (422, with the position)
        _check_json_strings(document)
    elif content_type.startswith("multipart/form-data"):
        _check_multipart_fields(content_type, body)


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')


def _check_multipart_fields(content_type: str, body: bytes) -> None:
    """The text fields of a multipart form (not its files) follow the form rules."""
    match = _BOUNDARY.search(content_type)
    if match is None:
        return
    delimiter = b"--" + match.group(1).encode("latin-1")
    for part in body.split(delimiter)[1:]:
        head, _, content = part.partition(b"\r\n\r\n")
        if b"filename=" in head.lower():
            continue
        value = content.removesuffix(b"\r\n")
        _check_text(_decode(value, "le formulaire").replace("\r", "").replace("\n", ""),
                    "le formulaire")


class Edge:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: EdgeLimits = EdgeLimits()) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = list(SECURITY_HEADERS)
                if not path.startswith("/static/"):
                    message["headers"] = [
                        (k, v) for k, v in message.get("headers", [])
                        if k.lower() != b"cache-control"]
                    extra.append(_NO_STORE)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            replay = await self._inspect(scope, receive, headers)
            await self.app(scope, replay, send_with_headers)
        except Refusal as refusal:
            if started:
                raise
            await self._refuse(path, refusal, send_with_headers)

    async def _inspect(self, scope: Scope, receive: Receive,
                       headers: dict[bytes, bytes]) -> Receive:
        """Check the request; the ``receive`` the app reads the body from."""
        if "\x00" in scope.get("path", "") or _SURROGATE.search(scope.get("path", "")):
            raise Refusal(422, "invalid_text", "Caractère invalide dans l'adresse.")
        _check_query(scope.get("query_string", b""))
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = (self.limits.max_upload_bytes if content_type.startswith("multipart/")
                 else self.limits.max_body_bytes)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise Refusal(413, "body_too_large", _TOO_LARGE.format(limit=_size(limit)))
        if scope.get("method") in ("GET", "HEAD", "OPTIONS") and declared is None:
            return receive
        # The body is read here, counted as it comes (a liar's Content-Length included), and
        # replayed to the app: at most ``limit`` bytes are ever held.
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                raise Refusal(413, "body_too_large", _TOO_LARGE.format(limit=_size(limit)))
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        _check_body(content_type, body, self.limits)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _refuse(self, path: str, refusal: Refusal, send: Send) -> None:
        if path.startswith("/api/") or path == "/api":
            body = json.dumps(error_body(OpenFSEError(refusal.message, code=refusal.code),
                                         refusal.status)).encode("utf-8")  # errors.md
            content_type = b"application/json"
        else:
            body = _PAGE.format(message=html.escape(refusal.message)).encode("utf-8")
            content_type = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": refusal.status,
                    "headers": [(b"content-type", content_type),
                                (b"content-length", str(len(body)).encode("ascii"))]})
        await send({"type": "http.response.body", "body": body})


# A page of its own: the refusal comes before the session and the templates' context exist.
_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Demande refusée — openfse</title>
<link rel="stylesheet" href="/static/css/openfse.css"></head>
<body><main><section class="refused" role="alert"><h1>Demande refusée</h1>
<p>{message}</p><p>Revenez à la page précédente pour corriger la saisie, ou
<a href="/">retournez à l'accueil</a>.</p></section></main></body></html>
"""
