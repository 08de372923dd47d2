"""Query parameter types shared by the API's list endpoints."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

SearchText = Annotated[str, Query(max_length=100, description="Start of a name (any order)")]
Order = Annotated[Literal["asc", "desc"], Query(description="Sort order A>Z or Z>A")]
Limit = Annotated[int, Query(ge=1, le=200)]
# A database row id (BIGINT): larger values cannot exist and must not reach the driver.
RowIdQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Row id")]


def _iso_day(value: object) -> object:
    # A query value is text: only the ISO form the schema names (« format: date »), not the
    # other forms pydantic would read (a number of seconds, "2026-03-02T00:00").
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_parsing", "Input should be a valid date")
    return value


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
IsoDate = Annotated[date, BeforeValidator(_iso_day)]
