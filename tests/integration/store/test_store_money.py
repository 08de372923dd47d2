"""Exact amounts: money as integer cents, other decimals as scaled integers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import StatementError

from openfse.store.models import Favourite, FavouriteAct, Patient
from openfse.store.uow import UnitOfWork

BIG = Decimal("123456789012345.67")


def _favourite_with_prices(make_uow: Callable[..., UnitOfWork], *prices: Decimal) -> int:
    with make_uow() as uow:
        favourite = Favourite(label="Pansement lourd")
        favourite.acts = [FavouriteAct(position=i, code="AMI", coefficient=Decimal("4.5"),
                                       unit_price=price) for i, price in enumerate(prices)]
        uow.favourites.add(favourite)
        uow.commit()
        return favourite.id


def test_a_large_amount_is_stored_as_integer_cents_and_summed_exactly(
        make_uow: Callable[..., UnitOfWork], engine: Engine) -> None:
    favourite_id = _favourite_with_prices(make_uow, BIG, Decimal("0.01"))

    with make_uow() as uow:
        acts = uow.favourites.get(favourite_id).acts
        sql_sum = uow.session.scalar(
            select(func.sum(FavouriteAct.unit_price)).where(
                FavouriteAct.favourite_id == favourite_id))
    with engine.connect() as connection:
        raw = connection.execute(text(
            "SELECT unit_price FROM favourite_act WHERE favourite_id = :f ORDER BY position"),
            {"f": favourite_id}).scalars().all()

    assert [act.unit_price for act in acts] == [BIG, Decimal("0.01")]
    # 12 345 678 901 234 567 + 1 cents: exact, where a REAL column gives …345.77
    # (sqlite.org/datatype3.html).
    assert raw == [12345678901234567, 1]
    assert sql_sum == Decimal("123456789012345.68")
    assert sum(act.unit_price for act in acts if act.unit_price) == Decimal("123456789012345.68")


def test_coefficients_and_distances_round_trip_exactly(
        make_uow: Callable[..., UnitOfWork]) -> None:
    favourite_id = _favourite_with_prices(make_uow, Decimal("14.18"))
    with make_uow() as uow:
        patient = uow.patients.add(Patient(last_name="Roux", first_name="Ana",
                                           ik_plain_km=Decimal("12.3"),
                                           ik_mountain_km=Decimal("0.1")))
        uow.commit()

    with make_uow() as uow:
        stored = uow.patients.get(patient.id)
        act = uow.favourites.get(favourite_id).acts[0]

    assert (stored.ik_plain_km, stored.ik_mountain_km, stored.ik_ski_km) == (
        Decimal("12.3"), Decimal("0.1"), None)
    assert act.coefficient == Decimal("4.50")


def test_a_float_or_an_excess_decimal_is_refused(make_uow: Callable[..., UnitOfWork]) -> None:
    with make_uow() as uow, pytest.raises(StatementError, match="more than 1 decimals"):
        uow.patients.add(Patient(last_name="Roux", ik_plain_km=Decimal("12.34")))
    with make_uow() as uow, pytest.raises(StatementError, match="never float"):
        _ = uow.favourites.add(Favourite(label="x", acts=[
            FavouriteAct(position=0, code="C", unit_price=26.5)]))
