"""Whole numbers typed by a user or posted by a form: record ids, small counts.

One reader for every form field holding an id (a patient, a professional, an organism fiche,
the invoices ticked in a list…), so that no screen calls ``int()`` on raw input. Two traps
made such calls end in HTTP 500 (issue 8, the form fuzz):

* ``str.isdigit()`` is true for « ² » or « ١ » too, and ``int("²")`` raises ValueError;
* Python refuses to convert more than 4,300 digits (``int("9" * 5000)`` raises ValueError),
  and a 20-digit id overflows the 64-bit integer columns of SQLite and PostgreSQL.

So only ASCII digits are read, and at most :data:`MAX_ID_DIGITS` significant ones.
The module is pure (no I/O): the domain may use it as well as the services and the web.

>>> record_id(" 42 ")
42
>>> record_id("9" * 5000) is None
True
>>> small_int("007", max_digits=3)
7
"""

from __future__ import annotations

__all__ = ["MAX_ID_DIGITS", "record_id", "small_int"]

# 18 digits stay below 2**63 - 1 (9.2 × 10**18): the BIGINT of SQLite and PostgreSQL.
MAX_ID_DIGITS = 18


def small_int(value: object, *, max_digits: int = MAX_ID_DIGITS) -> int | None:
    """The non-negative integer ``value`` holds, or None when it holds something else.

    A string counts when it is ASCII digits only (blanks around ignored) with at most
    ``max_digits`` significant digits (leading zeros are not counted); an ``int`` (not a bool)
    counts under the same bound. Never raises.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**max_digits else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    significant = text.lstrip("0")
    if len(significant) > max_digits:
        return None
    return int(significant or "0")


def record_id(value: object) -> int | None:
    """The id of a stored record (1 or more, at most 18 digits) ``value`` holds, else None."""
    number = small_int(value)
    return number if number else None
