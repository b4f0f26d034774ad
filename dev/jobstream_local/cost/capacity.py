"""DynamoDB requests and the capacity units they would consume on AWS, counted on a boto3 client.

The one meter of the dev tooling: the cost model (``python -m jobstream_local.cost``) and the bench
(``make bench``) both count with it, so DynamoDB's unit rules are written down only here.

Counted from botocore's own events (``before-parameter-build``: once per API call, with the call's
own parameters, botocore's retries not counted again; ``after-call``: the parsed response), so
nothing in the store changes for it. moto reports a flat ``ConsumedCapacity`` whatever the item
sizes, so the units are *modelled* from the item sizes seen in requests and responses with
DynamoDB's published rules (Developer Guide, "Item sizes and formats", "Read/write capacity
mode"):

- write: 1 write unit per KB of the item (rounded up); an update is charged on the larger of the
  item before and after, modelled here as the largest size seen for that item; a transactional
  write costs 2 units per KB per item; a failed conditional write is charged like a write;
- read (strongly consistent): 1 read unit per 4 KB; a Query or Scan page sums its items' sizes
  before rounding up; at least 1 unit per request, an empty Query included (an assumption: the
  conservative one). An eventually consistent read costs half that: the units here are whole
  numbers as if it were consistent, and the ``timeline`` marks it (``Call.consistent``) for a
  caller that prices it (the bench's stream reads).
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from jobstream.clock import Clock

if TYPE_CHECKING:
    from botocore.model import OperationModel
    from mypy_boto3_dynamodb import DynamoDBClient

WRITE_UNIT_BYTES: Final = 1024
READ_UNIT_BYTES: Final = 4096
# An item not yet seen whole (the job item before its first read) is assumed this big.
UNSEEN_ITEM_BYTES: Final = 1024
EVENT_ITEM_PREFIX: Final = "EV#"


def attribute_size(value: Mapping[str, Any]) -> int:
    """Stored size of one AttributeValue, per the Developer Guide's rules."""
    (kind, raw), *_ = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        digits = str(raw).lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: item}) for item in raw)
    if kind == "L":
        return 3 + sum(1 + attribute_size(item) for item in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in raw.items())
    raise ValueError(f"unknown AttributeValue type {kind!r}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


def read_units(size: int) -> int:
    return max(1, math.ceil(size / READ_UNIT_BYTES))


WRITE_OPERATIONS: Final = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)
READ_OPERATIONS: Final = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})


@dataclass(frozen=True, slots=True)
class Usage:
    """What one client did: requests by operation and modelled units."""

    requests: Mapping[str, int]
    write_units: int
    read_units: int
    event_bytes_written: int
    # Wall time of the calls (from parameter building to the parsed reply), per operation.
    seconds: Mapping[str, float] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.requests.items() if op in WRITE_OPERATIONS)

    @property
    def reads(self) -> int:
        return sum(n for op, n in self.requests.items() if op in READ_OPERATIONS)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def mean_latency(self, operation: str) -> float | None:
        count = self.requests.get(operation, 0)
        return self.seconds.get(operation, 0.0) / count if count else None

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            requests=dict(Counter(self.requests) + Counter(other.requests)),
            write_units=self.write_units + other.write_units,
            read_units=self.read_units + other.read_units,
            event_bytes_written=self.event_bytes_written + other.event_bytes_written,
            seconds=dict(Counter(self.seconds) + Counter(other.seconds)),
        )


NO_USAGE: Final = Usage(requests={}, write_units=0, read_units=0, event_bytes_written=0)


@dataclass(frozen=True, slots=True)
class Call:
    """One request as the meter saw it, at ``clock`` time (the bench's simulated minutes)."""

    operation: str
    at: float
    read_units: int
    # False for an eventually consistent read (ConsistentRead absent or false): half the units.
    consistent: bool = True

    @property
    def priced_read_units(self) -> float:
        return self.read_units if self.consistent else self.read_units / 2


class CapacityMeter:
    """Meters one client while entered. Thread-safe (the step committer writes from a timer).

    ``clock``: when given, every call is also kept in ``timeline`` with its time on that clock,
    so a caller can bin requests and read units by (simulated) minute.
    """

    def __init__(self, client: DynamoDBClient, *, clock: Clock | None = None) -> None:
        self._client = client
        self._clock = clock
        self._id = f"capacity-meter-{uuid.uuid4().hex}"
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._write_units = 0
        self._read_units = 0
        self._event_bytes = 0
        self._sizes: dict[tuple[str, str], int] = {}
        self._seconds: Counter[str] = Counter()
        self._timeline: list[Call] = []
        # Each thread has at most one call in flight on a client.
        self._in_flight = threading.local()

    def usage(self) -> Usage:
        with self._lock:
            return Usage(
                requests=dict(self._requests),
                write_units=self._write_units,
                read_units=self._read_units,
                event_bytes_written=self._event_bytes,
                seconds=dict(self._seconds),
            )

    @property
    def timeline(self) -> list[Call]:
        with self._lock:
            return list(self._timeline)

    def reset(self) -> None:
        """Start counting afresh (item sizes seen so far are kept: they are still true)."""
        with self._lock:
            self._requests.clear()
            self._write_units = self._read_units = self._event_bytes = 0
            self._seconds.clear()
            self._timeline.clear()

    def __enter__(self) -> CapacityMeter:
        # One unique id per event: botocore keeps unique ids across all events of an emitter and
        # silently ignores a second registration under the same id.
        events = self._client.meta.events
        events.register(
            "before-parameter-build.dynamodb", self._before_call, unique_id=f"{self._id}-before"
        )
        events.register("after-call.dynamodb", self._after_call, unique_id=f"{self._id}-after")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        events = self._client.meta.events
        events.unregister("before-parameter-build.dynamodb", unique_id=f"{self._id}-before")
        events.unregister("after-call.dynamodb", unique_id=f"{self._id}-after")

    # --- botocore hooks ---
    def _before_call(self, model: OperationModel, params: Mapping[str, Any], **_: Any) -> None:
        self._in_flight.started = time.monotonic()
        self._in_flight.call = None
        with self._lock:
            self._requests[model.name] += 1
            self._write_units += self._write_cost(model.name, params)
            if self._clock is not None:
                self._in_flight.call = len(self._timeline)
                consistent = model.name not in READ_OPERATIONS or bool(
                    params.get("ConsistentRead", False)
                )
                self._timeline.append(Call(model.name, self._clock.time(), 0, consistent))

    def _after_call(self, model: OperationModel, parsed: Mapping[str, Any], **_: Any) -> None:
        started = getattr(self._in_flight, "started", None)
        if started is not None:
            with self._lock:
                self._seconds[model.name] += time.monotonic() - started
        if "Error" in parsed:
            # A refused read is still a request (counted above); its units are not modelled.
            return
        with self._lock:
            units = self._read_cost(model.name, parsed)
            self._read_units += units
            index = getattr(self._in_flight, "call", None)
            # A reset() between the two hooks dropped the entry: nothing to fill in then.
            if index is not None and index < len(self._timeline):
                entry = self._timeline[index]
                self._timeline[index] = Call(entry.operation, entry.at, units, entry.consistent)

    # --- the model (lock held) ---
    def _write_cost(self, operation: str, params: Mapping[str, Any]) -> int:
        if operation == "PutItem":
            return write_units(self._put(params["Item"]))
        if operation in ("UpdateItem", "DeleteItem"):
            return write_units(self._known(params["Key"]))
        if operation == "TransactWriteItems":
            units = 0
            for action in params["TransactItems"]:
                if "Put" in action:
                    units += write_units(self._put(action["Put"]["Item"]))
                else:
                    (body,) = action.values()
                    units += write_units(self._known(body["Key"]))
            # Transactions cost two units per item-KB (prepare and commit).
            return 2 * units
        return 0

    def _read_cost(self, operation: str, parsed: Mapping[str, Any]) -> int:
        if operation == "GetItem":
            item = parsed.get("Item") or {}
            if item:
                self._remember(item)
            return read_units(item_size(item))
        if operation in ("Query", "Scan"):
            return read_units(sum(item_size(item) for item in parsed.get("Items", [])))
        if operation == "UpdateItem" and parsed.get("Attributes"):
            self._remember(parsed["Attributes"])
        return 0

    def _put(self, item: Mapping[str, Any]) -> int:
        size = self._remember(item)
        key = _key(item)
        if key is not None and key[1].startswith(EVENT_ITEM_PREFIX):
            self._event_bytes += size
        return size

    def _remember(self, item: Mapping[str, Any]) -> int:
        size = item_size(item)
        key = _key(item)
        if key is not None:
            self._sizes[key] = max(size, self._sizes.get(key, 0))
        return size

    def _known(self, key: Mapping[str, Any]) -> int:
        found = _key(key)
        return self._sizes.get(found, UNSEEN_ITEM_BYTES) if found else UNSEEN_ITEM_BYTES


def _key(item: Mapping[str, Any]) -> tuple[str, str] | None:
    pk, sk = item.get("pk"), item.get("sk")
    if isinstance(pk, Mapping) and isinstance(sk, Mapping):
        return str(pk.get("S")), str(sk.get("S"))
    return None
