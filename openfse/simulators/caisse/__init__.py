"""The simulated insurer (« caisse »): receives lots by SMTP, answers by POP3.

A separate process on 127.0.0.1 (``python -m openfse.simulators.caisse``, or
``openfse simulators caisse``): an SMTP server receives lot files (our ``OPENFSE-LOT`` format),
the caisse checks them (structure, SHA-256, NIR keys, rights, amounts priced again) and answers
an ARL per lot, then payment returns per invoice — paid, partially paid, rejected with a reason,
some late — in the sender's mailbox, served by a POP3 server. State lives in SQLite and
Maildirs in the data directory: killed and restarted, it loses nothing and pays nothing twice.
See ``server`` (admin routes), ``caisse`` (rules), ``faults`` (failure injection).
"""

from openfse.simulators.caisse.command import main

__all__ = ["main"]
