"""Search keys for names: upper case, no accents, one space between words.

A desk types "elo" and expects Élodie; "jean pierre" and expects JEAN-PIERRE; "oeuvray" and
expects ŒUVRAY. The key keeps only ``A–Z``, ``0–9`` and single spaces, so a prefix search is a
plain byte-order range (``key >= 'ELO' AND key < 'ELP'``) that an ordinary B-tree index answers
on SQLite (BINARY collation) and on PostgreSQL (column collated ``"C"``).

>>> search_key("  Élodie ")
'ELODIE'
>>> search_key("Jean-Pierre d'Ormesson")
'JEAN PIERRE D ORMESSON'
>>> search_key("Œuvray")
'OEUVRAY'
>>> prefix_upper_bound("ELO")
'ELP'
"""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not decompose into a base letter plus accents.
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "OE", "Æ": "AE", "æ": "AE", "ß": "SS", "Ø": "O",
                            "ø": "O", "Đ": "D", "đ": "D", "Ł": "L", "ł": "L"})
_NOT_KEY = re.compile(r"[^A-Z0-9]+")


def search_key(text: str) -> str:
    """Normalise a name (or a typed search) into its search key."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Hyphens, apostrophes and any other separator become one space.
    return _NOT_KEY.sub(" ", without_marks.upper()).strip()


def joined_key(*parts: str | None) -> str:
    """Search key of several name parts in order ("NOM PRENOM"), skipping empty ones."""
    return " ".join(k for k in (search_key(p) for p in parts if p) if k)


def prefix_upper_bound(prefix: str) -> str:
    """Smallest string greater than every string starting with ``prefix`` (byte order).

    Defined for search keys, which are printable ASCII: incrementing the last character
    never overflows or lands on an unencodable code point.
    """
    if not prefix or not prefix.isascii() or not prefix.isprintable():
        raise ValueError(f"not a search key: {prefix!r}")
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
