"""Limits on failed tries (passwords, codes porteur, codes de déblocage), kept in the database.

Each try is counted under several keys at once — the login typed, the client's address, the
card in the reader — each with its own :class:`Limit` (at most ``max_failures`` in a sliding
``window``). The failures live in the ``login_failure`` table: a restart forgets nothing, and
no flood of other keys can push a locked key out (issue 12, finding 4: 10,001 long passwords
evicted a lock from the old in-memory table).

A try is **reserved before it is made** (:func:`reserve`): its failure rows are written and
committed first, then counted; when a key is over its limit the try is refused and its rows
taken back, so concurrent tries cannot slip past the count and a refused try costs no hashing
and no code presented to the card. The caller then says how the try went: :func:`succeeded`
(the key's past failures are forgiven where the limit says so), :func:`not_made` (nothing was
checked: a card pulled out, a missing field), or nothing at all for a failure (the rows stay).

Keys are stored as SHA-256 digests: the table names no login and no address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from openfse.errors import OpenFSEError
from openfse.store.models import LoginFailure
from openfse.store.uow import UnitOfWork

__all__ = [
    "CARD_PIN",
    "CARD_UNBLOCK",
    "CLIENT",
    "LOGIN",
    "Limit",
    "Reservation",
    "ThrottleKey",
    "TooManyAttempts",
    "not_made",
    "reserve",
    "succeeded",
]


@dataclass(frozen=True, slots=True)
class Limit:
    scope: str
    max_failures: int
    window: timedelta
    refusal: str  # French, « {n} essais en {minutes} minutes »
    forgiven_on_success: bool = True


LOGIN = Limit("login", 5, timedelta(minutes=15),
              "Trop d'essais infructueux pour cet identifiant")
CLIENT = Limit("client", 20, timedelta(minutes=15),
               "Trop d'essais infructueux depuis ce poste", forgiven_on_success=False)
# The card blocks itself after 3 wrong codes; tries on a blocked card count too, so that a
# flood of codes at one card stops here (the unblock's success forgives them).
CARD_PIN = Limit("card", 5, timedelta(minutes=15),
                 "Trop de codes porteur faux pour cette carte")
# The card allows 10 wrong codes de déblocage, then is unusable for good: at most 3 an hour.
CARD_UNBLOCK = Limit("unblock", 3, timedelta(hours=1),
                     "Trop de codes de déblocage faux pour cette carte")


FORGOTTEN_AFTER = timedelta(days=1)  # longer than every window


class TooManyAttempts(OpenFSEError):
    code = "too_many_attempts"

    def __init__(self, limit: Limit, retry_after_seconds: int, field: str | None) -> None:
        self.limit = limit
        self.retry_after_seconds = retry_after_seconds
        minutes = max(1, -(-retry_after_seconds // 60))
        window = int(limit.window.total_seconds() // 60)
        super().__init__(
            f"{limit.refusal} ({limit.max_failures} en {window} minutes) : réessayez dans "
            f"{minutes} minute{'s' if minutes > 1 else ''}.",
            field=field,
        )


@dataclass(frozen=True, slots=True)
class ThrottleKey:
    limit: Limit
    value: str  # the login, the address, the card's serial (hashed before storage)

    @property
    def digest(self) -> str:
        text = f"{self.limit.scope}\x1f{self.value.strip().lower()}"
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Reservation:
    keys: tuple[ThrottleKey, ...]
    row_ids: tuple[int, ...]


def _recent(uow: UnitOfWork, key: ThrottleKey, now: datetime) -> tuple[int, datetime | None]:
    """Failures of ``key`` in its window: how many, and the oldest one's instant."""
    since = now - key.limit.window
    count, oldest = uow.session.execute(
        select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(
            LoginFailure.cabinet_id == uow.require_cabinet(),
            LoginFailure.scope == key.limit.scope,
            LoginFailure.key == key.digest,
            LoginFailure.at > since,
            LoginFailure.at <= now,
        )
    ).one()
    return int(count), oldest


def reserve(uow: UnitOfWork, keys: Sequence[ThrottleKey], *, now: datetime,
            field: str | None = None) -> Reservation:
    """Count one failed try under every key in advance; raise :class:`TooManyAttempts` (rows
    taken back) when a key is then over its limit. ``now`` is an aware UTC instant."""
    with uow:
        cabinet_id = uow.require_cabinet()
        rows = [LoginFailure(cabinet_id=cabinet_id, scope=k.limit.scope, key=k.digest, at=now)
                for k in keys]
        uow.session.add_all(rows)
        uow.flush()
        ids = tuple(row.id for row in rows)
        # Failures older than every window are forgotten (never one still counted).
        uow.session.execute(delete(LoginFailure).where(
            LoginFailure.cabinet_id == cabinet_id, LoginFailure.at <= now - FORGOTTEN_AFTER))
        uow.commit()
    with uow:
        for key in keys:
            count, oldest = _recent(uow, key, now)
            if count > key.limit.max_failures:
                _forget(uow, ids)
                uow.commit()
                assert oldest is not None
                retry = int((oldest + key.limit.window - now).total_seconds()) + 1
                raise TooManyAttempts(key.limit, max(retry, 1), field)
    return Reservation(tuple(keys), ids)


def _forget(uow: UnitOfWork, ids: Sequence[int]) -> None:
    uow.session.execute(delete(LoginFailure).where(
        LoginFailure.cabinet_id == uow.require_cabinet(), LoginFailure.id.in_(list(ids))))


def not_made(uow: UnitOfWork, reservation: Reservation) -> None:
    """The try was not made (nothing was checked): it does not count."""
    with uow:
        _forget(uow, reservation.row_ids)
        uow.commit()


def succeeded(uow: UnitOfWork, reservation: Reservation,
              also_forgive: Sequence[ThrottleKey] = ()) -> None:
    """The try succeeded: it does not count, and keys whose limit forgives lose their past
    failures (the client's address keeps them: one good password does not open a flood), as
    do ``also_forgive`` (an unblocked card's wrong codes porteur)."""
    with uow:
        _forget(uow, reservation.row_ids)
        forgiven = [k.digest for k in (*reservation.keys, *also_forgive)
                    if k.limit.forgiven_on_success]
        if forgiven:
            uow.session.execute(delete(LoginFailure).where(
                LoginFailure.cabinet_id == uow.require_cabinet(),
                LoginFailure.key.in_(forgiven)))
        uow.commit()
