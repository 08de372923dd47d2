"""Teleservice answers kept until the user's next click, in the database.

Two flows show an answer first and act on it at the next click: the ADRi compare-and-choose
screen (manuel eS-KAP+ « Choix informations AMO ») and the beneficiaries of an appli carte Vitale
session (a QR code cannot be read twice). The answer is stored as plain JSON (the value types'
own codec, :mod:`openfse.adapters.cards.codec`) under a random token, so that a restart of the
server or a second worker does not lose it; only the user who asked reads it back, for the
patient file it was asked for, until it expires (15 minutes: the time of a consultation).

Used by the web edge as::

    token = pending_results.put(uow, PendingKind.ADRI, answer, user_id=7, subject_id=42, now=now)
    answer = pending_results.get(uow, token, PendingKind.ADRI, user_id=7, subject_id=42, now=now)
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from openfse.adapters.cards.codec import from_data, to_data
from openfse.adapters.cards.errors import CardContentError
from openfse.domain.rights import AdriAnswer
from openfse.errors import NotFound
from openfse.services.cards import VitaleReading
from openfse.store.models import PendingResult
from openfse.store.uow import UnitOfWork

__all__ = ["TTL", "PendingKind", "get", "put"]

TTL = timedelta(minutes=15)


class PendingKind(StrEnum):
    ADRI = "adri"  # an AdriAnswer about one patient file
    APCV = "apcv"  # the VitaleReading of an appli carte Vitale session


_TYPES: dict[PendingKind, type[Any]] = {
    PendingKind.ADRI: AdriAnswer,
    PendingKind.APCV: VitaleReading,
}
_EXPIRED = {
    PendingKind.ADRI: "Résultat ADRi expiré ou inconnu pour ce dossier : interrogez l'ADRi à "
                      "nouveau.",
    PendingKind.APCV: "Lecture expirée ou inconnue : relisez l'appli carte Vitale.",
}


def put(uow: UnitOfWork, kind: PendingKind, value: Any, *, user_id: int,
        subject_id: int | None = None, now: datetime) -> str:
    """Keep ``value`` for ``user_id`` (and the patient ``subject_id``); its token."""
    if not isinstance(value, _TYPES[kind]):
        raise TypeError(f"a {kind.value} pending result is a {_TYPES[kind].__name__}")
    token = secrets.token_urlsafe(18)  # 24 characters, 144 random bits
    with uow:
        uow.pending_results.purge_expired(now)
        uow.pending_results.add(PendingResult(
            token=token, user_id=user_id, kind=kind.value, subject_id=subject_id,
            payload=to_data(value), expires_at=now + TTL))
        uow.commit()
    return token


def get(uow: UnitOfWork, token: str, kind: PendingKind, *, user_id: int,
        subject_id: int | None = None, now: datetime) -> Any:
    """The value kept under ``token``, or ``NotFound`` (``pending_expired``) when it is
    unknown, expired, another user's, of another kind or about another patient file."""
    with uow:
        row = uow.pending_results.by_token(token)
        usable = (row is not None and row.user_id == user_id and row.kind == kind.value
                  and row.subject_id == subject_id and row.expires_at >= now)
        payload = row.payload if row is not None and usable else None
    if payload is None:
        raise NotFound(_EXPIRED[kind], code="pending_expired")
    try:
        return from_data(_TYPES[kind], payload, kind.value)
    except CardContentError:  # written by an older version whose value types differ
        raise NotFound(_EXPIRED[kind], code="pending_expired") from None
