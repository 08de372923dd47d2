"""The backup file (``.ofsbak``): one self-describing file, checked before anything is restored.

Layout (docs/backup.md)::

    "OPENFSE-BACKUP\\n"        15 bytes, the magic
    header length             4 bytes, big-endian
    header                    UTF-8 JSON (format version, openfse version, database kind,
                              schema revision, created-at UTC, payload size and SHA-256,
                              encryption parameters): what is needed before decrypting
    SHA-256 of the header     32 bytes
    payload                   manifest length (4 bytes) + manifest (JSON: row count and
                              digest of every table) + the database (SQLite file or
                              pg_dump archive) — or all of that as AES-256-GCM ciphertext
                              followed by the 16-byte tag

Every way a file can be wrong has its own error: not a backup, a newer format, cut short
(truncated), a changed byte (header digest, payload digest, GCM tag), a wrong passphrase.
The header digest catches accidents; only encryption also authenticates (the header is the
GCM additional data).

Files are written under a temporary name, synced, then renamed: a crash never leaves a
half-written file under the final name. They are created with mode 0600 — a backup holds
health data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag

from openfse.adapters.backup import crypto
from openfse.adapters.backup.errors import (
    BackupCorrupted,
    BackupFileExists,
    BackupFileMissing,
    BackupFormatUnsupported,
    BackupTruncated,
    NotABackup,
    PassphraseRequired,
)
from openfse.adapters.backup.fingerprint import TableFingerprint

MAGIC = b"OPENFSE-BACKUP\n"
FORMAT_VERSION = 1
SUFFIX = ".ofsbak"
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
MAX_HEADER_SIZE = 1024 * 1024
CHUNK_SIZE = 1024 * 1024
_LENGTH = struct.Struct(">I")
_DIGEST_SIZE = 32
_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a backup holds, as recorded in its header."""

    database: str  # "sqlite" | "postgresql"
    payload_format: str  # "sqlite3" (a database file) | "pg_dump-custom"
    schema_revision: str | None  # alembic revision of the data (None: never migrated)
    created_at: datetime  # UTC
    openfse_version: str
    source_versions: Mapping[str, str] = field(default_factory=dict)  # sqlite / server / pg_dump
    # Row count and digest of every table; None until the payload has been read (it travels
    # inside it, encrypted with it).
    tables: Mapping[str, TableFingerprint] | None = None

    def rows(self, table: str) -> int | None:
        if self.tables is None:
            return None
        found = self.tables.get(table)
        return 0 if found is None else found.rows


@dataclass(frozen=True, slots=True)
class Encryption:
    salt: bytes
    nonce: bytes
    key_check: bytes
    kdf: crypto.ScryptParams


@dataclass(frozen=True, slots=True)
class BackupHeader:
    snapshot: Snapshot
    payload_size: int  # bytes of the plain payload
    payload_sha256: str  # of the plain payload
    encryption: Encryption | None = None
    format_version: int = FORMAT_VERSION

    @property
    def encrypted(self) -> bool:
        return self.encryption is not None

    @property
    def stored_payload_size(self) -> int:
        return self.payload_size + (crypto.TAG_SIZE if self.encrypted else 0)


# -- writing ------------------------------------------------------------------------------------
def write_backup(path: Path, snapshot: Snapshot, payload: Path, *,
                 passphrase: str | None = None,
                 kdf: crypto.ScryptParams = crypto.DEFAULT_SCRYPT) -> BackupHeader:
    """Write the database file ``payload``, described by ``snapshot``, to ``path`` (which
    must not exist), encrypted if a passphrase is given."""
    if path.exists():
        raise BackupFileExists(f"{path} existe déjà : choisissez un autre nom de fichier.",
                               field="output")
    manifest = _manifest_prefix(snapshot)
    size, sha256 = _stream_digest(manifest, payload)
    encryption = None
    keys = None
    if passphrase is not None:
        salt = secrets.token_bytes(crypto.SALT_SIZE)
        keys = crypto.derive_keys(passphrase, salt, kdf)
        encryption = Encryption(salt=salt, nonce=secrets.token_bytes(crypto.NONCE_SIZE),
                                key_check=keys.check, kdf=kdf)
    header = BackupHeader(snapshot=snapshot, payload_size=size, payload_sha256=sha256,
                          encryption=encryption)
    header_bytes = _encode(header)
    # A unique temporary name: a crash may have left an old one behind.
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        with _create_private(partial) as out, payload.open("rb") as source:
            out.write(MAGIC + _LENGTH.pack(len(header_bytes)) + header_bytes
                      + hashlib.sha256(header_bytes).digest())
            context = (None if encryption is None or keys is None else
                       crypto.encryptor(keys.cipher_key, encryption.nonce, header_bytes))
            for chunk in _plain_stream(manifest, source):
                out.write(chunk if context is None else context.update(chunk))
            if context is not None:
                out.write(context.finalize() + context.tag)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    sync_directory(path.parent)
    return header


# -- reading ------------------------------------------------------------------------------------
def read_header(path: Path) -> BackupHeader:
    """The header of a backup file, after checking that the file is whole. Its
    ``snapshot.tables`` is None: the fingerprint travels in the (possibly encrypted)
    payload, ``extract_payload`` reads it."""
    return _read_header(path)[0]


def extract_payload(path: Path, destination: Path, *,
                    passphrase: str | None = None) -> BackupHeader:
    """Write the database held by ``path`` to ``destination`` (created 0600), checking the
    payload digest — and for an encrypted file the passphrase and the GCM tag. Returns the
    header with the table fingerprint. On any error the destination is removed."""
    header, header_bytes, offset = _read_header(path)
    keys = None
    if header.encryption is not None:
        if passphrase is None:
            raise PassphraseRequired(
                "Cette sauvegarde est chiffrée : indiquez sa phrase de passe.",
                field="passphrase")
        keys = crypto.derive_keys(passphrase, header.encryption.salt, header.encryption.kdf)
        crypto.verify_key_check(keys, header.encryption.key_check)
    digest = hashlib.sha256()
    try:
        with path.open("rb") as source, _create_private(destination) as out:
            splitter = _ManifestSplitter(out)
            context = None
            if header.encryption is not None and keys is not None:
                source.seek(offset + header.payload_size)
                tag = source.read(crypto.TAG_SIZE)
                context = crypto.decryptor(keys.cipher_key, header.encryption.nonce, tag,
                                           header_bytes)
            source.seek(offset)
            for chunk in _stored_chunks(source, header.payload_size):
                plain = chunk if context is None else context.update(chunk)
                digest.update(plain)
                splitter.write(plain)
            if context is not None:
                try:
                    splitter.write(context.finalize())
                except InvalidTag:
                    raise BackupCorrupted(
                        "Sauvegarde altérée : le contrôle d'authenticité du chiffrement a "
                        "échoué (fichier modifié ou abîmé). Rien n'a été restauré.") from None
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != header.payload_sha256:
            raise BackupCorrupted(
                "Sauvegarde altérée : l'empreinte SHA-256 des données ne correspond pas à "
                "celle de l'en-tête (fichier abîmé). Rien n'a été restauré.")
        tables = _decode_manifest(splitter.manifest, path)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    return replace(header, snapshot=replace(header.snapshot, tables=tables))


def _read_header(path: Path) -> tuple[BackupHeader, bytes, int]:
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            prefix = file.read(len(MAGIC) + _LENGTH.size)
            if not prefix:
                raise NotABackup(f"{path.name} est vide : ce n'est pas une sauvegarde.",
                                 field="file")
            if not prefix.startswith(MAGIC[: len(prefix)]):
                raise NotABackup(f"{path.name} n'est pas une sauvegarde openfse.",
                                 field="file")
            if len(prefix) < len(MAGIC) + _LENGTH.size:
                raise _truncated(path)
            (length,) = _LENGTH.unpack(prefix[len(MAGIC):])
            if length > MAX_HEADER_SIZE:
                raise BackupCorrupted(f"{path.name} : en-tête de sauvegarde illisible "
                                      "(longueur invalide).")
            header_bytes = file.read(length)
            digest = file.read(_DIGEST_SIZE)
    except FileNotFoundError:
        raise BackupFileMissing(f"Fichier de sauvegarde introuvable : {path}",
                                field="file") from None
    except IsADirectoryError:
        raise BackupFileMissing(f"{path} est un dossier, pas un fichier de sauvegarde.",
                                field="file") from None
    if len(header_bytes) < length or len(digest) < _DIGEST_SIZE:
        raise _truncated(path)
    if hashlib.sha256(header_bytes).digest() != digest:
        raise BackupCorrupted(f"{path.name} : en-tête de sauvegarde altéré (empreinte "
                              "incorrecte). Rien n'a été restauré.")
    header = _decode(header_bytes, path)
    offset = len(MAGIC) + _LENGTH.size + length + _DIGEST_SIZE
    expected = offset + header.stored_payload_size
    if size < expected:
        raise _truncated(path)
    if size > expected:
        raise BackupCorrupted(f"{path.name} : données en trop après la sauvegarde "
                              "(fichier altéré). Rien n'a été restauré.")
    return header, header_bytes, offset


def _truncated(path: Path) -> BackupTruncated:
    return BackupTruncated(
        f"{path.name} est incomplet (fichier tronqué : copie interrompue ou disque plein). "
        "Rien n'a été restauré.", field="file")


# -- header encoding ----------------------------------------------------------------------------
def _encode(header: BackupHeader) -> bytes:
    snapshot = header.snapshot
    document: dict[str, Any] = {
        "format": header.format_version,
        "openfse_version": snapshot.openfse_version,
        "created_at": snapshot.created_at.astimezone(UTC).strftime(_TIMESTAMP),
        "database": snapshot.database,
        "schema_revision": snapshot.schema_revision,
        "source": dict(snapshot.source_versions),
        "payload": {"format": snapshot.payload_format, "size": header.payload_size,
                    "sha256": header.payload_sha256},
        "encryption": None,
    }
    if header.encryption is not None:
        e = header.encryption
        document["encryption"] = {
            "cipher": crypto.CIPHER_NAME, "kdf": crypto.KDF_NAME,
            "n": e.kdf.n, "r": e.kdf.r, "p": e.kdf.p,
            "salt": _b64(e.salt), "nonce": _b64(e.nonce), "key_check": _b64(e.key_check),
        }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8")


def _decode(data: bytes, path: Path) -> BackupHeader:
    try:
        document = json.loads(data.decode("utf-8"))
        version = document["format"]
    except (UnicodeDecodeError, ValueError, TypeError, KeyError):
        raise BackupCorrupted(f"{path.name} : en-tête de sauvegarde illisible.") from None
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise BackupFormatUnsupported(
            f"{path.name} a été écrit par une version plus récente d'openfse (format "
            f"{version}, celui-ci lit le format {FORMAT_VERSION}) : mettez openfse à jour.",
            field="file")
    try:
        payload = document["payload"]
        snapshot = Snapshot(
            database=_text(document["database"]),
            payload_format=_text(payload["format"]),
            schema_revision=None if document["schema_revision"] is None
            else _text(document["schema_revision"]),
            created_at=datetime.strptime(document["created_at"], _TIMESTAMP).replace(tzinfo=UTC),
            openfse_version=_text(document["openfse_version"]),
            source_versions={_text(k): _text(v) for k, v in document["source"].items()},
        )
        encryption = _decode_encryption(document["encryption"])
        return BackupHeader(snapshot=snapshot, payload_size=_count(payload["size"]),
                            payload_sha256=_text(payload["sha256"]), encryption=encryption,
                            format_version=version)
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
        raise BackupCorrupted(f"{path.name} : en-tête de sauvegarde incomplet ou "
                              "invalide.") from None


def _manifest_prefix(snapshot: Snapshot) -> bytes:
    """The table fingerprint, length-prefixed: it opens the payload, so encryption hides it
    too (row counts of a cabinet are nobody's business)."""
    tables = {name: {"rows": t.rows, "sha256": t.sha256}
              for name, t in sorted((snapshot.tables or {}).items())}
    data = json.dumps({"tables": tables}, sort_keys=True, separators=(",", ":")).encode()
    return _LENGTH.pack(len(data)) + data


def _decode_manifest(data: bytes | None, path: Path) -> dict[str, TableFingerprint]:
    try:
        if data is None:
            raise ValueError("no manifest")
        tables = json.loads(data.decode("utf-8"))["tables"]
        return {_text(name): TableFingerprint(rows=_count(t["rows"]), sha256=_text(t["sha256"]))
                for name, t in tables.items()}
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError):
        raise BackupCorrupted(f"{path.name} : description des tables illisible.") from None


def _decode_encryption(block: Any) -> Encryption | None:
    if block is None:
        return None
    if block["cipher"] != crypto.CIPHER_NAME or block["kdf"] != crypto.KDF_NAME:
        raise ValueError("unknown cipher")
    kdf = crypto.ScryptParams(n=_count(block["n"]), r=_count(block["r"]), p=_count(block["p"]))
    kdf.check()
    encryption = Encryption(salt=_unb64(block["salt"]), nonce=_unb64(block["nonce"]),
                            key_check=_unb64(block["key_check"]), kdf=kdf)
    if len(encryption.nonce) != crypto.NONCE_SIZE or len(encryption.key_check) != crypto.KEY_SIZE:
        raise ValueError("bad nonce or key check length")
    return encryption


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("text expected")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("non-negative integer expected")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(_text(text), validate=True)


# -- files --------------------------------------------------------------------------------------
def private_directory(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; a directory we create is 0700."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    return path


def sync_directory(path: Path) -> None:
    """Make a rename in ``path`` durable (POSIX: fsync the directory)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the rename is still atomic
    finally:
        os.close(descriptor)


def _create_private(path: Path) -> BinaryIO:
    # O_EXCL: never write through a file (or link) someone placed there; 0600 from the start,
    # not chmod afterwards, so the data is never readable by others even for an instant.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    return os.fdopen(descriptor, "wb")


def _plain_stream(manifest: bytes, payload: BinaryIO) -> Iterator[bytes]:
    """The plain payload stream: the length-prefixed manifest, then the database file."""
    yield manifest
    while chunk := payload.read(CHUNK_SIZE):
        yield chunk


def _stream_digest(manifest: bytes, payload: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with payload.open("rb") as source:
        for chunk in _plain_stream(manifest, source):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _stored_chunks(source: BinaryIO, size: int) -> Iterator[bytes]:
    remaining = size
    while remaining:
        chunk = source.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            raise BackupTruncated("Données de sauvegarde incomplètes (fin de fichier "
                                  "inattendue). Rien n'a été restauré.")
        remaining -= len(chunk)
        yield chunk


class _ManifestSplitter:
    """Receives the plain payload stream: keeps the manifest, writes the database to ``out``."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.manifest: bytes | None = None
        self._head = bytearray()

    def write(self, data: bytes) -> None:
        if self.manifest is not None:
            self.out.write(data)
            return
        self._head += data
        if len(self._head) < _LENGTH.size:
            return
        (length,) = _LENGTH.unpack(self._head[: _LENGTH.size])
        if length > MAX_HEADER_SIZE:
            raise BackupCorrupted("Sauvegarde altérée : description des tables illisible. "
                                  "Rien n'a été restauré.")
        end = _LENGTH.size + length
        if len(self._head) >= end:
            self.manifest = bytes(self._head[_LENGTH.size:end])
            self.out.write(self._head[end:])
            self._head.clear()
