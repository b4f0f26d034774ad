"""Count a DynamoDB client's requests and model the capacity units they would consume on AWS.

Requests are counted from botocore's own events on the client (``before-parameter-build``: once
per API call, with the call's own parameters; botocore's retries of a call are not new calls).
Capacity comes in two forms:

- ``reported``: the ``ConsumedCapacity`` the endpoint returns, as the meter asks for it
  (``ReturnConsumedCapacity=TOTAL``) wherever the operation accepts it. On AWS this is the truth;
  moto answers a flat 1.0 (0.5 for GetItem) per call whatever the item sizes, so on the local
  stack it is only a cross-check of the request count.
- ``modelled``: DynamoDB's published on-demand rules applied to the item sizes the meter sees in
  requests and responses (Developer Guide, "Read/write capacity mode" and "Item sizes"): a write
  costs 1 WCU per KB of the item (rounded up), a transactional write twice that; a strongly
  consistent read 1 RCU per 4 KB, summed over a Query page's items before rounding up, at least
  1 per request; an eventually consistent read (``ConsistentRead`` false) half that.

The job item is updated in place and the meter never sees it whole during a write: its size is
the last size seen in a response (GetItem, an update returning ALL_NEW), else 1 KB.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

# DynamoDB's item-size and capacity-unit rules live once, beside `python -m jobstream_local.cost`.
from jobstream_local.cost.capacity import item_size, read_units, write_units

if TYPE_CHECKING:
    from botocore.model import OperationModel
    from mypy_boto3_dynamodb import DynamoDBClient

WRITE_OPERATIONS: Final = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)
READ_OPERATIONS: Final = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
_ACCEPTS_RETURN_CONSUMED: Final = WRITE_OPERATIONS | READ_OPERATIONS
# An item the meter has not seen is assumed to be this big (the job item is well under it).
UNKNOWN_ITEM_BYTES: Final = 1024


def _key_of(item: Mapping[str, Any]) -> tuple[str, str] | None:
    pk, sk = item.get("pk"), item.get("sk")
    if isinstance(pk, Mapping) and isinstance(sk, Mapping):
        return str(pk.get("S")), str(sk.get("S"))
    return None


class CapacityMeter:
    """Counts requests and capacity on one client while entered (a context manager)."""

    def __init__(
        self,
        client: DynamoDBClient,
        *,
        request_capacity: bool = True,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        # (operation, clock time, modelled units) per call, when a clock is given.
        self.timeline: list[tuple[str, float, float]] = []
        self._id = f"capacity-meter-{uuid.uuid4().hex}"
        self._request_capacity = request_capacity
        self.calls: Counter[str] = Counter()
        self.modelled_rcu = 0.0
        self.modelled_wcu = 0.0
        self.reported_units = 0.0
        self._sizes: dict[tuple[str, str], int] = {}
        # The local stack calls one client from many threads.
        self._lock = threading.Lock()
        # Whether the call in flight on this thread reads consistently (botocore calls _before
        # and _after on the calling thread).
        self._call = threading.local()
        # Clock times (with a clock) of the eventually consistent reads.
        self.eventual_at: list[float] = []

    # --- results ---
    @property
    def reads(self) -> int:
        return sum(n for op, n in self.calls.items() if op in READ_OPERATIONS)

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITE_OPERATIONS)

    @property
    def requests(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.modelled_rcu = self.modelled_wcu = self.reported_units = 0.0
            self.timeline.clear()
            self.eventual_at.clear()

    # --- botocore hooks ---
    def __enter__(self) -> CapacityMeter:
        events = self._client.meta.events
        if self._request_capacity:
            events.register(
                "provide-client-params.dynamodb",
                self._ask_for_capacity,
                unique_id=f"{self._id}-params",
            )
        # botocore keys unique ids across all events: one id per registration.
        events.register(
            "before-parameter-build.dynamodb", self._before, unique_id=f"{self._id}-before"
        )
        events.register("after-call.dynamodb", self._after, unique_id=f"{self._id}-after")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        events = self._client.meta.events
        events.unregister("provide-client-params.dynamodb", unique_id=f"{self._id}-params")
        events.unregister("before-parameter-build.dynamodb", unique_id=f"{self._id}-before")
        events.unregister("after-call.dynamodb", unique_id=f"{self._id}-after")

    def _ask_for_capacity(self, params: dict[str, Any], model: OperationModel, **_: Any) -> None:
        if model.name in _ACCEPTS_RETURN_CONSUMED:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _before(self, model: OperationModel, params: Mapping[str, Any], **_: Any) -> None:
        self._call.consistent = bool(params.get("ConsistentRead", False))
        with self._lock:
            if model.name in READ_OPERATIONS and not self._call.consistent:
                self.eventual_at.append(self._clock() if self._clock is not None else 0.0)
            self.calls[model.name] += 1
            self._model_write(model.name, params)
            if self._clock is not None:
                self.timeline.append((model.name, self._clock(), 0.0))

    def _after(
        self, model: OperationModel, parsed: Mapping[str, Any], http_response: Any, **_: Any
    ) -> None:
        consumed = parsed.get("ConsumedCapacity")
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        with self._lock:
            self.reported_units += sum(float(e.get("CapacityUnits", 0)) for e in entries)
            if getattr(http_response, "status_code", 200) >= 300:
                return
            before = self.modelled_rcu
            self._model_read(model.name, parsed)
            if self._clock is not None and self.timeline:
                name, at, _units = self.timeline[-1]
                self.timeline[-1] = (name, at, self.modelled_rcu - before)

    # --- the model ---
    def _model_write(self, operation: str, params: Mapping[str, Any]) -> None:
        if operation == "PutItem":
            size = item_size(params["Item"])
            self._remember(params["Item"], size)
            self.modelled_wcu += write_units(size)
        elif operation in ("UpdateItem", "DeleteItem"):
            self.modelled_wcu += write_units(self._known_size(params["Key"]))
        elif operation == "TransactWriteItems":
            units = 0
            for action in params["TransactItems"]:
                if "Put" in action:
                    size = item_size(action["Put"]["Item"])
                    self._remember(action["Put"]["Item"], size)
                    units += write_units(size)
                else:
                    (body,) = action.values()
                    units += write_units(self._known_size(body["Key"]))
            # Transactions cost two units per item-KB (prepare and commit).
            self.modelled_wcu += 2 * units

    def _model_read(self, operation: str, parsed: Mapping[str, Any]) -> None:
        if operation == "GetItem":
            item = parsed.get("Item") or {}
            size = item_size(item)
            if item:
                self._remember(item, size)
            self.modelled_rcu += read_units(size)
        elif operation in ("Query", "Scan"):
            units = read_units(sum(item_size(i) for i in parsed.get("Items", [])))
            consistent = getattr(self._call, "consistent", True)
            self.modelled_rcu += units if consistent else units / 2
        elif operation == "UpdateItem":
            attributes = parsed.get("Attributes")
            if attributes:
                self._remember(attributes, item_size(attributes))

    def _remember(self, item: Mapping[str, Any], size: int) -> None:
        key = _key_of(item)
        if key is not None:
            self._sizes[key] = size

    def _known_size(self, key: Mapping[str, Any]) -> int:
        found = _key_of(key)
        return self._sizes.get(found, UNKNOWN_ITEM_BYTES) if found else UNKNOWN_ITEM_BYTES
