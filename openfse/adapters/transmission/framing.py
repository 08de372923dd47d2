"""The frame shared by our three file formats (lot, ARL, payment return).

A file is UTF-8 text, one record per line, lines ended by LF::

    OPENFSE-LOT|1                      header: format id | version
    LOT|751000126|20261122|007|…       records: kind | fields…
    …
    FIN|42|9f86d081…                   trailer: number of records | SHA-256 (hex)

The SHA-256 is computed over every byte before the trailer line, so any change, truncation or
reordering is detected; the record count catches a cut at a line boundary too. Fields are
separated by ``|``. Free-text fields (labels, references typed by people) are escaped —
``%`` → ``%25``, ``|`` → ``%7C``, LF → ``%0A``, CR → ``%0D`` — every other field has a strict
shape (digits, dates ``AAAAMMJJ``, amounts ``123.45``, base64) that cannot contain them.

``seal`` builds a file from records; ``unseal`` checks the frame and hands back the records
with their line numbers; ``Record`` reads typed fields and raises ``TransmissionFormatError``
naming the line and the field. Parsers built on these raise nothing else.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from hashlib import sha256
from typing import TypeVar

from openfse.adapters.transmission.errors import (
    ChecksumMismatch,
    TransmissionFormatError,
    TruncatedFile,
    UnknownFormat,
    UnsupportedVersion,
)
from openfse.errors import InvalidInput

__all__ = [
    "MAX_FILE_BYTES",
    "Cursor",
    "Record",
    "Sealed",
    "escape",
    "fmt_amount",
    "fmt_b64",
    "fmt_date",
    "fmt_decimal",
    "fmt_flag",
    "format_id_of",
    "seal",
    "unseal",
]

MAX_FILE_BYTES = 64 * 1024 * 1024  # a SCOR lot of 40 MB of scans, base64-encoded, fits
SEPARATOR = "|"
TRAILER = "FIN"

_E = TypeVar("_E", bound=Enum)

_ESCAPES = {"%": "%25", "|": "%7C", "\n": "%0A", "\r": "%0D"}
_UNESCAPES = {code: char for char, code in _ESCAPES.items()}
_ESCAPED = re.compile(r"%(..)?", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{8}")
_AMOUNT = re.compile(r"[0-9]{1,8}\.[0-9]{2}")
_DECIMALS = {places: re.compile(rf"[0-9]{{1,6}}(\.[0-9]{{1,{places}}})?") for places in (1, 2, 3)}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_VERSION = re.compile(r"[1-9][0-9]{0,3}")


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape a free-text field (``%``, ``|``, CR, LF)."""
    if "%" in text or "|" in text or "\n" in text or "\r" in text:
        return "".join(_ESCAPES.get(char, char) for char in text)
    return text


def fmt_date(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def fmt_amount(value: Decimal) -> str:
    """Euros with exactly two decimals (the value is already exact to the cent)."""
    return f"{value:.2f}"


def fmt_decimal(value: Decimal) -> str:
    """A positive decimal without trailing zeros nor exponent: ``4.5``, ``10``."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_flag(value: bool) -> str:
    return "1" if value else "0"


def fmt_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def seal(format_id: str, version: int, records: Iterable[Sequence[str]]) -> bytes:
    """The file: header, one line per record (fields already formatted/escaped), trailer."""
    lines = [f"{format_id}{SEPARATOR}{version}"]
    lines.extend(SEPARATOR.join(record) for record in records)
    body = ("\n".join(lines) + "\n").encode("utf-8")
    digest = sha256(body).hexdigest()
    return body + f"{TRAILER}{SEPARATOR}{len(lines) - 1}{SEPARATOR}{digest}\n".encode("ascii")


def format_id_of(data: bytes) -> str | None:
    """The format id of the header line, or None if it has none (cheap sniffing)."""
    head = data[:64].split(b"\n", 1)[0].split(SEPARATOR.encode(), 1)[0]
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if re.fullmatch(r"[A-Z][A-Z0-9-]{0,30}", text) else None


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sealed:
    """A file whose frame checked out."""

    version: int
    records: tuple[Record, ...]
    sha256: str  # of the content before the trailer
    trailer_line: int


def unseal(data: bytes, format_id: str, versions: frozenset[int]) -> Sealed:
    """Check header, trailer, record count and SHA-256; split the records.

    Raises:
        TransmissionFormatError: (or a subclass) what is wrong, with the line number.
    """
    if not isinstance(data, bytes):
        raise TransmissionFormatError("contenu binaire attendu.", line=None)
    if not data:
        raise TruncatedFile("fichier vide.", line=1)
    if len(data) > MAX_FILE_BYTES:
        raise TransmissionFormatError(f"fichier trop gros ({len(data)} octets).", line=None)
    lines = data.split(b"\n")
    if lines[-1] != b"":
        raise TruncatedFile(
            "fichier tronqué : la dernière ligne n'est pas terminée.", line=len(lines)
        )
    lines.pop()
    version = _header(lines[0], format_id, versions)
    trailer_line = len(lines)
    if trailer_line < 2:
        raise TruncatedFile("fichier tronqué : ligne FIN absente.", line=trailer_line + 1)
    count, digest = _trailer(lines[-1], trailer_line)
    if count != trailer_line - 2:
        raise TruncatedFile(
            f"{count} enregistrements annoncés, {trailer_line - 2} présents.", line=trailer_line
        )
    body_end = len(data) - len(lines[-1]) - 1
    actual = sha256(data[:body_end]).hexdigest()
    if actual != digest:
        raise ChecksumMismatch(
            "somme de contrôle SHA-256 incorrecte : fichier altéré en route.", line=trailer_line
        )
    records = tuple(_record(raw, number) for number, raw in enumerate(lines[1:-1], start=2))
    return Sealed(version, records, actual, trailer_line)


def _decode(raw: bytes, line: int) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TransmissionFormatError("encodage UTF-8 invalide.", line=line) from None
    if "\r" in text:
        raise TransmissionFormatError("retour chariot (CR) interdit : fin de ligne LF.", line=line)
    return text


def _header(raw: bytes, format_id: str, versions: frozenset[int]) -> int:
    fields = _decode(raw, 1).split(SEPARATOR)
    if fields[0] != format_id:
        raise UnknownFormat(
            f"en-tête « {fields[0][:40]} » inattendu (attendu {format_id}).", line=1
        )
    if len(fields) != 2 or not _VERSION.fullmatch(fields[1]):
        raise TransmissionFormatError(f"en-tête attendu : {format_id}|<version>.", line=1)
    version = int(fields[1])
    if version not in versions:
        supported = ", ".join(str(v) for v in sorted(versions))
        raise UnsupportedVersion(
            f"version {version} de {format_id} non prise en charge (versions : {supported}).",
            line=1,
        )
    return version


def _trailer(raw: bytes, line: int) -> tuple[int, str]:
    fields = _decode(raw, line).split(SEPARATOR)
    if fields[0] != TRAILER:
        raise TruncatedFile("fichier tronqué : ligne FIN absente.", line=line)
    if (
        len(fields) != 3
        or not _DIGITS.fullmatch(fields[1])
        or len(fields[1]) > 9
        or not _SHA256.fullmatch(fields[2])
    ):
        raise TransmissionFormatError(
            "ligne FIN attendue : FIN|<nombre d'enregistrements>|<SHA-256>.", line=line
        )
    return int(fields[1]), fields[2]


def _record(raw: bytes, line: int) -> Record:
    fields = _decode(raw, line).split(SEPARATOR)
    return Record(line, fields[0], tuple(fields[1:]))


@dataclass(frozen=True, slots=True)
class Record:
    """One record line: its kind (first field) and its fields, read by position."""

    line: int
    kind: str
    fields: tuple[str, ...]

    def error(self, message: str) -> TransmissionFormatError:
        return TransmissionFormatError(message, line=self.line)

    @contextmanager
    def building(self) -> Iterator[None]:
        """Turn a value refused by the domain (``InvalidInput``) into an error of this line."""
        try:
            yield
        except InvalidInput as problem:
            raise self.error(f"{self.kind} : {problem.message}") from None

    def expect(self, kind: str, count: int) -> Record:
        if self.kind != kind:
            raise self.error(f"enregistrement « {kind} » attendu, trouvé « {self.kind[:20]} ».")
        if len(self.fields) != count:
            raise self.error(
                f"enregistrement {kind} : {count} champs attendus, {len(self.fields)} trouvés."
            )
        return self

    def _bad(self, index: int, label: str, expected: str) -> TransmissionFormatError:
        shown = self.fields[index]
        shown = shown if len(shown) <= 40 else shown[:40] + "…"
        where = f"{self.kind}, champ {index + 1} ({label})"
        return self.error(f"{where} : {expected}, reçu « {shown} ».")

    def text(self, index: int, label: str, *, low: int = 0, high: int = 200) -> str:
        raw = self.fields[index]
        text = _ESCAPED.sub(lambda match: self._unescape(match, index, label), raw)
        if not low <= len(text) <= high:
            raise self._bad(index, label, f"texte de {low} à {high} caractères")
        return text

    def _unescape(self, match: re.Match[str], index: int, label: str) -> str:
        char = _UNESCAPES.get(match.group(0))
        if char is None:
            raise self._bad(index, label, "échappement %25, %7C, %0A ou %0D")
        return char

    def digits(self, index: int, label: str, low: int, high: int | None = None) -> str:
        value = self.fields[index]
        high = low if high is None else high
        if not low <= len(value) <= high or not _DIGITS.fullmatch(value):
            size = f"{low}" if low == high else f"{low} à {high}"
            raise self._bad(index, label, f"{size} chiffres")
        return value

    def optional_digits(self, index: int, label: str, low: int, high: int | None = None) -> str:
        return "" if self.fields[index] == "" else self.digits(index, label, low, high)

    def integer(self, index: int, label: str, low: int, high: int) -> int:
        value = self.fields[index]
        if not _DIGITS.fullmatch(value) or len(value) > 9 or not low <= int(value) <= high:
            raise self._bad(index, label, f"entier de {low} à {high}")
        return int(value)

    def day(self, index: int, label: str) -> date:
        value = self.fields[index]
        if _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)  # AAAAMMJJ: ISO 8601 basic format
            except ValueError:
                pass
        raise self._bad(index, label, "date AAAAMMJJ")

    def optional_day(self, index: int, label: str) -> date | None:
        return None if self.fields[index] == "" else self.day(index, label)

    def amount(self, index: int, label: str) -> Decimal:
        value = self.fields[index]
        if not _AMOUNT.fullmatch(value):
            raise self._bad(index, label, "montant 0.00")
        return Decimal(value)

    def decimal(self, index: int, label: str, places: int) -> Decimal:
        value = self.fields[index]
        if not _DECIMALS[places].fullmatch(value):
            raise self._bad(index, label, f"nombre à {places} décimales au plus")
        return Decimal(value)

    def flag(self, index: int, label: str) -> bool:
        value = self.fields[index]
        if value not in ("0", "1"):
            raise self._bad(index, label, "0 ou 1")
        return value == "1"

    def choice(self, index: int, label: str, kind: type[_E]) -> _E:
        value = self.fields[index]
        try:
            return kind(value)
        except ValueError:
            pass
        allowed = ", ".join(str(member.value) for member in kind)
        raise self._bad(index, label, f"une valeur parmi {allowed}")

    def b64(self, index: int, label: str, max_bytes: int) -> bytes:
        value = self.fields[index]
        if len(value) > (max_bytes + 2) // 3 * 4:
            raise self._bad(index, label, f"au plus {max_bytes} octets")
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise self._bad(index, label, "base64") from None
        # Only the canonical encoding: one byte string, one text (no stray padding bits).
        if fmt_b64(data) != value:
            raise self._bad(index, label, "base64 canonique")
        return data

    def sha256(self, index: int, label: str) -> str:
        value = self.fields[index]
        if not _SHA256.fullmatch(value):
            raise self._bad(index, label, "SHA-256 (64 chiffres hexadécimaux minuscules)")
        return value


class Cursor:
    """Walks the records of a file in order; a missing record is reported at the trailer."""

    def __init__(self, sealed: Sealed) -> None:
        self._records = sealed.records
        self._position = 0
        self._end_line = sealed.trailer_line

    def take(self, kind: str, count: int) -> Record:
        if self._position >= len(self._records):
            raise TransmissionFormatError(
                f"enregistrement « {kind} » manquant avant FIN.", line=self._end_line
            )
        record = self._records[self._position]
        self._position += 1
        return record.expect(kind, count)

    def peek_kind(self) -> str | None:
        if self._position >= len(self._records):
            return None
        return self._records[self._position].kind

    def finish(self) -> None:
        if self._position < len(self._records):
            extra = self._records[self._position]
            raise extra.error(f"enregistrement « {extra.kind[:20]} » en trop.")
