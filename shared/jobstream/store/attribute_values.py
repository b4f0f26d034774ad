"""DynamoDB AttributeValue <-> Python for the few shapes the store uses (S, N, BOOL).

The store talks to the low-level client (typed, no resource layer, no Decimal round trips), so it
builds and reads these small dicts itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef


def s(value: str) -> AttributeValueTypeDef:
    return {"S": value}


def n(value: float) -> AttributeValueTypeDef:
    if isinstance(value, int):
        return {"N": str(value)}
    if not math.isfinite(value):
        raise ValueError(f"{value} cannot be stored as a number")
    # Fixed notation with microseconds: exact for epoch-second timestamps, never an exponent.
    return {"N": f"{value:.6f}"}


def ttl(epoch_seconds: float) -> AttributeValueTypeDef:
    # TTL attributes are whole epoch seconds; rounding up never expires an item early.
    return {"N": str(math.ceil(epoch_seconds))}


def boolean(value: bool) -> AttributeValueTypeDef:
    return {"BOOL": value}


def get_s(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value["S"])


def require_s(item: Mapping[str, Any], name: str) -> str:
    value = get_s(item, name)
    if value is None:
        raise ValueError(f"item has no {name!r} attribute")
    return value


def get_n(item: Mapping[str, Any], name: str) -> float | None:
    value = item.get(name)
    return None if value is None else float(value["N"])


def get_int(item: Mapping[str, Any], name: str) -> int | None:
    value = item.get(name)
    return None if value is None else int(value["N"])


def get_bool(item: Mapping[str, Any], name: str) -> bool:
    value = item.get(name)
    return False if value is None else bool(value["BOOL"])


def string_set(values: list[str]) -> AttributeValueTypeDef:
    """A String Set (ADD and DELETE update it atomically); DynamoDB refuses an empty one."""
    if not values:
        raise ValueError("a string set needs at least one value")
    return {"SS": values}


def get_ss(item: Mapping[str, Any], name: str) -> list[str]:
    value = item.get(name)
    return [] if value is None else [str(v) for v in value["SS"]]
