"""DynamoDB faults injected under botocore, so that its own retry path handles them.

``FaultInjector`` hooks ``before-send`` on a client: for a share of the HTTP attempts it answers in
DynamoDB's place with

- ``throttle``: HTTP 400 ProvisionedThroughputExceededException, the request never applied;
- ``error``: HTTP 500 InternalServerError, the request never applied;
- ``lost_reply``: the request IS sent and applied, then its answer is replaced by a 500, the
  ambiguous case a retry must survive (the write happened; the retry repeats it).

Faults are never injected on an attempt that is the last one botocore will make (its
``amz-sdk-request: attempt=N; max=M`` header says which): the point is to exercise the retry path,
not to exhaust it, which a caller would see as a failed request.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_PREFIX = "com.amazonaws.dynamodb.v20120810#"
_ANSWERS = {
    "throttle": (
        400,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    "error": (500, "InternalServerError", "Internal server error"),
    "lost_reply": (500, "InternalServerError", "Internal server error"),
}
_KINDS = tuple(sorted(_ANSWERS))


class _Body:
    """The ``raw`` an AWSResponse reads its content from."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


def _attempt(request: AWSPreparedRequest) -> tuple[int, int]:
    raw = request.headers.get("amz-sdk-request", b"")
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    fields = dict(part.strip().split("=", 1) for part in text.split(";") if "=" in part)
    return int(fields.get("attempt", 1)), int(fields.get("max", 1))


def _operation(request: AWSPreparedRequest) -> str:
    # JSON protocol: "X-Amz-Target: DynamoDB_20120810.PutItem".
    raw = request.headers.get("X-Amz-Target", b"")
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return text.rpartition(".")[2]


class FaultInjector:
    """``rate``: the share of attempts answered with a random fault. ``lose_replies``: operation
    name -> how many of its next first attempts get a ``lost_reply`` (directed faults)."""

    def __init__(
        self,
        client: DynamoDBClient,
        *,
        rate: float = 0.0,
        seed: int = 0,
        lose_replies: dict[str, int] | None = None,
    ) -> None:
        self._client = client
        self._rate = rate
        self._lose = dict(lose_replies or {})
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._id = f"fault-injector-{uuid.uuid4().hex}"
        self.injected: Counter[str] = Counter()
        self.by_operation: Counter[str] = Counter()
        self.attempts = 0
        self._http = httpx.Client(timeout=30)

    def __enter__(self) -> FaultInjector:
        self._client.meta.events.register(
            "before-send.dynamodb", self._before_send, unique_id=self._id
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.meta.events.unregister("before-send.dynamodb", unique_id=self._id)
        self._http.close()

    def _before_send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        attempt, most = _attempt(request)
        operation = _operation(request)
        with self._lock:
            self.attempts += 1
            if attempt >= most:
                return None
            if attempt == 1 and self._lose.get(operation, 0) > 0:
                self._lose[operation] -= 1
                kind = "lost_reply"
            elif self._rng.random() < self._rate:
                # Which attempts fail is random; the kinds take turns, so that every kind is
                # exercised in equal share however few calls a run makes (a random choice left
                # one kind at 3 of 17 faults once streams read less).
                kind = _KINDS[sum(self.injected[k] for k in _KINDS) % len(_KINDS)]
            else:
                return None
            self.injected[kind] += 1
            self.by_operation[f"{kind} {operation}"] += 1
        if kind == "lost_reply":
            body = request.body
            self._http.request(
                request.method,
                request.url,
                headers=dict(request.headers.items()),
                content=body if isinstance(body, bytes) else (body.read() if body else b""),
            )
        status, code, message = _ANSWERS[kind]
        answer = json.dumps({"__type": _PREFIX + code, "message": message}).encode()
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        headers["x-amzn-RequestId"] = uuid.uuid4().hex
        return AWSResponse(request.url, status, headers, _Body(answer))
