"""Backup files and the database programs behind them (used by ``openfse.services.backup``).

- ``container``: the ``.ofsbak`` file — header, checksums, streaming, optional encryption;
- ``crypto``: scrypt + AES-256-GCM;
- ``fingerprint``: row-by-row digest of a database, stored at backup, checked at restore;
- ``sqlite``: online copy, integrity check, atomic installation;
- ``postgres``: ``pg_dump`` / ``pg_restore`` / ``psql`` found, version-checked and run;
- ``errors``: what can go wrong, with a machine code and a French message.
"""
