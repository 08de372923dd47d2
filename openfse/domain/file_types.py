"""What a file really is, read from its first bytes — never from the name or the declared type.

Every uploaded file goes through :func:`check_content` (issue 12, finding 15: « uploaded
attachments are never checked against their declared type »): the ordonnance joined to an
invoice (kept and sent to the caisse in SCOR), the photo of an attestation or of an appli carte
Vitale QR code. A file whose content is not of an accepted type, or not of the type its sender
declared, is refused with a French message before anything reads or keeps it.

The signatures are the formats' own (« magic numbers »):

* PDF: ``%PDF-`` — ISO 32000-1:2008 §7.5.2 « File Header »;
* PNG: ``89 50 4E 47 0D 0A 1A 0A`` — PNG specification (W3C), §5.2 « PNG signature »;
* JPEG: ``FF D8 FF`` — the SOI marker then the first marker, ITU-T T.81 Annex B.1.1.2.
"""

from __future__ import annotations

from collections.abc import Collection

from openfse.errors import InvalidInput

__all__ = ["IMAGE_TYPES", "LABELS", "SIGNATURES", "check_content", "sniff"]

SIGNATURES: dict[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
LABELS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})
# Names some systems give the same formats.
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}


def sniff(content: bytes) -> str | None:
    """The media type the content's first bytes say (None: none of :data:`SIGNATURES`)."""
    for media_type, signature in SIGNATURES.items():
        if content.startswith(signature):
            return media_type
    return None


def check_content(content: bytes, declared: str | None, accepted: Collection[str], *,
                  field: str) -> str:
    """The file's real media type, when it is one of ``accepted`` and agrees with
    ``declared`` (the type the browser or the API client gave; None or empty: not declared).
    Raises :class:`InvalidInput` on ``field`` otherwise."""
    real = sniff(content)
    if real is None or real not in accepted:
        raise InvalidInput(
            f"Fichier illisible comme {_formats(accepted)} : son contenu n'est d'aucun de ces "
            "formats.", code="file_type_mismatch", field=field)
    claimed = (declared or "").split(";", 1)[0].strip().lower()
    claimed = _ALIASES.get(claimed, claimed)
    if claimed and claimed != "application/octet-stream" and claimed != real:
        raise InvalidInput(
            f"Le fichier se dit {LABELS.get(claimed, claimed)} mais son contenu est un "
            f"{LABELS[real]} : vérifiez le fichier choisi.",
            code="file_type_mismatch", field=field)
    return real


def _formats(accepted: Collection[str]) -> str:
    """« image PNG ou JPEG », « JPEG, PNG ou PDF »."""
    names = sorted(LABELS.get(t, t) for t in accepted)
    if set(accepted) <= IMAGE_TYPES:
        names = ["image " + " ou ".join(sorted(names, reverse=True))]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " ou " + names[-1]
