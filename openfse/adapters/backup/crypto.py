"""Passphrase encryption of backup files: scrypt key derivation + AES-256-GCM (authenticated).

- scrypt (RFC 7914) turns the passphrase into 64 bytes: the first 32 are the AES-256 key, the
  last 32 a *key check* stored in the header. A wrong passphrase is then told apart from a
  damaged file before anything is decrypted; guessing through the check costs one scrypt per
  guess, exactly like guessing through the cipher.
- Default cost N=2^17, r=8, p=1 (128 MiB, ~0.4 s here): the minimum OWASP recommends for
  scrypt (Password Storage Cheat Sheet). The parameters are stored in the header, so they can
  be raised later without breaking old files; a file asking for absurd costs is refused.
- AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce per file (a fresh key per file too,
  from a fresh random salt) and the whole file header as additional authenticated data: a
  changed byte anywhere — header or payload — makes decryption fail. The payload is streamed
  in chunks (a database may not fit in memory twice); plaintext released before the final tag
  check is only ever written to a private temporary file that is discarded on failure.
- Passphrases are Unicode-normalised (NFC) before use, so the same words typed on another
  system (macOS keyboards produce NFD) open the file.
"""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import (
    AEADDecryptionContext,
    AEADEncryptionContext,
    Cipher,
    algorithms,
    modes,
)
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from openfse.adapters.backup.errors import BackupCorrupted, WeakPassphrase, WrongPassphrase

CIPHER_NAME = "AES-256-GCM"
KDF_NAME = "scrypt"
KEY_SIZE = 32
SALT_SIZE = 16
NONCE_SIZE = 12  # 96 bits: the GCM nonce length NIST SP 800-38D recommends
TAG_SIZE = 16
# CNIL recommendation on passwords (délibération n° 2022-100): at least 12 characters when
# the password alone protects the data. A passphrase of a few words is easier and stronger.
MIN_PASSPHRASE_LENGTH = 12
# A header may not make us allocate more than this for scrypt (128 * r * N bytes).
MAX_SCRYPT_MEMORY = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ScryptParams:
    n: int = 2**17
    r: int = 8
    p: int = 1

    def check(self) -> None:
        """Refuse parameters scrypt rejects or that would exhaust memory (hostile header)."""
        sane = (
            self.n >= 2 and self.n & (self.n - 1) == 0
            and 1 <= self.r <= 32 and 1 <= self.p <= 16
            and 128 * self.r * self.n <= MAX_SCRYPT_MEMORY
        )
        if not sane:
            raise BackupCorrupted(
                f"Paramètres de chiffrement invalides dans l'en-tête (scrypt N={self.n}, "
                f"r={self.r}, p={self.p}) : fichier altéré ou d'une autre origine.")


DEFAULT_SCRYPT = ScryptParams()


@dataclass(frozen=True, slots=True)
class DerivedKeys:
    cipher_key: bytes
    check: bytes


def normalise(passphrase: str) -> bytes:
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def require_strong(passphrase: str) -> None:
    """Refuse a passphrase too short to protect health data."""
    if len(unicodedata.normalize("NFC", passphrase).strip()) < MIN_PASSPHRASE_LENGTH:
        raise WeakPassphrase(
            f"Phrase de passe trop courte : au moins {MIN_PASSPHRASE_LENGTH} caractères "
            "(par exemple quatre mots au hasard).", field="passphrase")


def derive_keys(passphrase: str, salt: bytes, params: ScryptParams) -> DerivedKeys:
    params.check()
    material = Scrypt(salt=salt, length=2 * KEY_SIZE, n=params.n, r=params.r,
                      p=params.p).derive(normalise(passphrase))
    return DerivedKeys(cipher_key=material[:KEY_SIZE], check=material[KEY_SIZE:])


def verify_key_check(keys: DerivedKeys, expected: bytes) -> None:
    if not hmac.compare_digest(keys.check, expected):
        raise WrongPassphrase(
            "Phrase de passe incorrecte : la sauvegarde n'a pas pu être déchiffrée "
            "(rien n'a été restauré).", field="passphrase")


def encryptor(key: bytes, nonce: bytes, header: bytes) -> AEADEncryptionContext:
    """A streaming AES-GCM encryptor authenticating ``header``; read ``.tag`` after
    ``finalize()``."""
    _check_key(key)
    context = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    context.authenticate_additional_data(header)
    return context


def decryptor(key: bytes, nonce: bytes, tag: bytes, header: bytes) -> AEADDecryptionContext:
    """A streaming AES-GCM decryptor; ``finalize()`` raises ``InvalidTag`` if anything
    (header, ciphertext, tag) was changed."""
    _check_key(key)
    context = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
    context.authenticate_additional_data(header)
    return context


def _check_key(key: bytes) -> None:
    # algorithms.AES would silently accept a 16- or 24-byte key (AES-128/192).
    if len(key) != KEY_SIZE:
        raise ValueError("AES-256 needs a 32-byte key")
