"""What the desk typed in a patient search: a name, a NIR or a date of birth.

One search field answers three ways (issue 13, defect 11: the placeholder « Nom, prénom ou
NIR » promised it):

* a **NIR** as printed on the carte Vitale or an attestation — 13 characters, or 15 with the
  key, spaces allowed (``1 83 01 75 111 001 49``); Corsica's ``2A``/``2B`` included. It finds
  every file covered under that NIR (the ouvrant droit's, shared by his family) or whose own
  NIR it is;
* a **date of birth** ``jj/mm/aaaa`` (``/``, ``.`` or ``-`` between the parts, one-digit day or
  month accepted: ``5/6/1990``), alone or after the start of a name (``dupont 05/06/1990``).
  Lunar dates (``00/00/1980``, aide eS-KAP+) are found as typed: the file keeps the card's text;
* anything else: the start of a name, as before (:mod:`openfse.store.models.search_text`).

Pure: no database. The repository turns the result into its query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BirthDateSearch", "NameSearch", "NirSearch", "PatientSearch", "parse_patient_search"]

# NIR shape (openfse.ids.nir): sexe 1 char, année 2, mois 2, département 2 (2A/2B), commune 3,
# ordre 3 [, clé 2]. Sexe 1/2, or 7/8 for a provisional number (NIA).
_NIR = re.compile(r"[12378][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}(?:[0-9]{2})?")
_NIR_SEPARATORS = re.compile(r"[\s.\-]+")
_DATE = re.compile(r"(?:^|\s)([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})(?:\s|$)")


@dataclass(frozen=True, slots=True)
class NameSearch:
    text: str  # the start of a name, as typed


@dataclass(frozen=True, slots=True)
class NirSearch:
    first13: str  # the NIR without its key
    key: str | None  # the 2-digit key when typed (15 characters)

    @property
    def full(self) -> str | None:
        return self.first13 + self.key if self.key else None


@dataclass(frozen=True, slots=True)
class BirthDateSearch:
    birth_date_text: str  # AAAAMMJJ, as stored from the card (lunar dates included)
    name: str  # the start of a name typed with it ("" when the date is alone)


PatientSearch = NameSearch | NirSearch | BirthDateSearch


def parse_patient_search(text: str) -> PatientSearch:
    """What ``text`` asks for.

    >>> parse_patient_search("1 83 01 75 111 001 49")
    NirSearch(first13='1830175111001', key='49')
    >>> parse_patient_search("2 83 01 2a 011 001")
    NirSearch(first13='283012A011001', key=None)
    >>> parse_patient_search("05/06/1990")
    BirthDateSearch(birth_date_text='19900605', name='')
    >>> parse_patient_search("dupont 5.6.1990")
    BirthDateSearch(birth_date_text='19900605', name='dupont')
    >>> parse_patient_search("dupont je")
    NameSearch(text='dupont je')
    """
    compact = _NIR_SEPARATORS.sub("", text).upper()
    if _NIR.fullmatch(compact):
        return NirSearch(compact[:13], compact[13:] or None)
    found = _DATE.search(text)
    if found is not None:
        day, month, year = found.groups()
        name = (text[:found.start()] + " " + text[found.end():]).strip()
        return BirthDateSearch(f"{year}{int(month):02d}{int(day):02d}", name)
    return NameSearch(text)
