"""Typed errors of backups and restores: a machine code (CLI/API) and a French message.

A restore that raises any of these has changed nothing in the database (the file is checked,
decrypted and prepared before the database is touched), except ``RestoreVerificationFailed``
on PostgreSQL, which says so in its message.
"""

from __future__ import annotations

from openfse.errors import Conflict, OpenFSEError


class BackupError(OpenFSEError):
    code = "backup_error"


# -- the backup file --------------------------------------------------------------------------
class BackupFileMissing(BackupError):
    code = "backup_file_missing"


class BackupFileExists(BackupError):
    code = "backup_file_exists"


class NotABackup(BackupError):
    code = "backup_not_a_backup"


class BackupFormatUnsupported(BackupError):
    code = "backup_format_unsupported"


class BackupTruncated(BackupError):
    code = "backup_truncated"


class BackupCorrupted(BackupError):
    code = "backup_corrupted"


# -- encryption ---------------------------------------------------------------------------------
class PassphraseRequired(BackupError):
    code = "backup_passphrase_required"


class WrongPassphrase(BackupError):
    code = "backup_wrong_passphrase"


class WeakPassphrase(BackupError):
    code = "backup_weak_passphrase"


# -- the database -------------------------------------------------------------------------------
class DatabaseMissing(BackupError):
    code = "backup_database_missing"


class DatabaseKindMismatch(BackupError):
    code = "backup_database_kind_mismatch"


class DatabaseNotEmpty(BackupError, Conflict):
    code = "backup_database_not_empty"


class DatabaseDamaged(BackupError):
    """``PRAGMA integrity_check`` (or the foreign-key check) found a problem."""

    code = "backup_database_damaged"


class DatabaseUnguarded(BackupError):
    """The immutability guards (append-only journal, frozen invoices) are missing or disabled:
    such a database is neither backed up nor restored (``openfse.store.guards``)."""

    code = "backup_database_unguarded"


class DatabaseBusy(BackupError):
    code = "backup_database_busy"


class DatabaseWriteFailed(BackupError):
    code = "backup_database_write_failed"


class SchemaTooNew(BackupError):
    code = "backup_schema_too_new"


class SchemaUpgradeFailed(BackupError):
    code = "backup_schema_upgrade_failed"


class RestoreVerificationFailed(BackupError):
    code = "backup_verification_failed"


# -- PostgreSQL client programs -----------------------------------------------------------------
class ToolMissing(BackupError):
    code = "backup_tool_missing"


class ToolTooOld(BackupError):
    code = "backup_tool_too_old"


class ToolFailed(BackupError):
    code = "backup_tool_failed"
