"""Query parameter types shared by the API's list endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

SearchText = Annotated[str, Query(max_length=100, description="Start of a name (any order)")]
Order = Annotated[Literal["asc", "desc"], Query(description="Sort order A>Z or Z>A")]
Limit = Annotated[int, Query(ge=1, le=200)]
# A database row id (BIGINT): larger values cannot exist and must not reach the driver.
RowIdQuery = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Row id")]
