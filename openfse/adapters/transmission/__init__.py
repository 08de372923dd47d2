"""Télétransmission adapters: our versioned wire formats and the mail transport.

- ``lot_file`` / ``arl_file`` / ``returns_file``: pure bytes ↔ values (``openfse.domain.
  transmission``) pairs, framed by ``framing`` (header with format id and version, records,
  trailer with the record count and a SHA-256), documented in ``docs/formats/lot.md``,
  ``arl.md`` and ``returns.md``. Parsers are strict: anything wrong raises a
  ``TransmissionFormatError`` naming the line.
- ``mail``: one e-mail per file (attachment, Message-ID derived from the lot id).
- ``smtp_sender`` (lots out), ``pop3_receiver`` (ARL and payment returns in, deleted from the
  mailbox only once handled), ``quarantine`` (corrupt files kept aside with the reason).
"""
