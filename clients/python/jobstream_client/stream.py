"""A job's event stream that survives drops: reconnects with ``Last-Event-ID`` until the job ends.

Why not httpx-sse: its parser breaks two rules resumption depends on (a phantom empty event after
a comment that follows an id, its issue #35; ``retry: +5`` accepted as a delay), and it only parses
one response: reconnecting, backing off and de-duplicating across connections is left to the
caller anyway. So this is httpx for the transport plus our own WHATWG parser
(``jobstream_client.sse.SSEParser``), and the resume loop below.

Exactly once: the server numbers events 1, 2, 3... per job. The stream remembers the highest id
it yielded, resumes after it, and drops (and counts) any event whose id is not above it, so a
server that replays too much cannot make a caller see an event twice.
"""

from __future__ import annotations

import email.utils
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Self

import httpx

from jobstream_client.backoff import Backoff
from jobstream_client.errors import (
    GaveUp,
    ProtocolViolation,
    ServerRejected,
    redact_url,
    rejection,
)
from jobstream_client.job_tokens import token_expires_at
from jobstream_client.sse import ServerSentEvent, SSEParser
from jobstream_client.stream_failure import is_stream_failure

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "TERMINAL_EVENT_TYPES",
    "EventStream",
    "RetryNotice",
    "StreamEnd",
    "default_timeout",
]

# The wire contract's terminal types (also jobstream.store.models.TERMINAL_EVENT_TYPES; repeated
# here: this distribution installs and runs without the server's package).
TERMINAL_EVENT_TYPES: frozenset[str] = frozenset({"complete", "error", "cancelled"})
DEFAULT_MAX_ATTEMPTS = 10
# Transient by definition, although some are 4xx: retry them like a 5xx.
_RETRYABLE_STATUSES = frozenset({408, 425, 429})
# A 4xx body is a small JSON object; read no more of a misbehaving one.
_MAX_ERROR_BODY = 16 * 1024
# A token refused this way may just have expired (or its key rotated away): worth one fresh one.
_REFRESHABLE_STATUSES = frozenset({401, 403})
# A (re)connect refreshes a token that would expire within this many seconds: the server checks
# the token when a connection opens, and every window's reconnect opens one.
DEFAULT_REFRESH_MARGIN_S = 60.0


def default_timeout(read_s: float = 45.0) -> httpx.Timeout:
    """The server sends a heartbeat comment every 15 s, so a read that waits ``read_s`` (three
    heartbeats by default) for any byte means the connection is dead even if TCP did not notice."""
    return httpx.Timeout(10.0, read=read_s)


class StreamEnd(StrEnum):
    TERMINAL = "terminal"  # a complete / error / cancelled event was yielded
    NO_CONTENT = "no_content"  # the server answered 204: nothing after our last id, job finished


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """Passed to ``on_retry`` before each reconnect wait: why, how long, and the streak so far."""

    reason: str  # safe to show; "stream ended" for a clean end at the server's time bound
    delay_s: float
    consecutive_failures: int  # 0 when the previous attempt delivered new events
    attempt: int  # number of the request about to be made (1 is the first request)
    last_event_id: str


class EventStream:
    """Iterate over a job's events, each exactly once, across any number of reconnects.

    ``url`` is the job's ``events_url``; ``token`` is sent as ``Authorization: Bearer`` (leave it
    ``None`` when the URL already carries ``?token=``). Iteration ends after the terminal event
    (``end`` is ``StreamEnd.TERMINAL``, ``terminal_event`` holds it) or on a 204 (``NO_CONTENT``).

    Every way a connection can stop short (connection error, read timeout, the body ending without
    a terminal event, 5xx/408/429) leads to a reconnect after ``backoff.delay(...)`` seconds,
    based on the server's ``retry:``. An attempt that yields at least one new event resets the
    failure streak, and so does a stream window's end (``retry: 0``, then a clean end: the
    server asks for the client back, at once when the window brought new events);
    ``max_attempts`` failures in a row raise ``GaveUp`` (``None``: never give up). A 4xx raises
    a ``ServerRejected`` subclass; a wrong content type, an unexpected status or an event without
    an integer id raise ``ProtocolViolation``. A 429 (the job's cap on live streams) is retried
    no sooner than its ``Retry-After``.

    ``viewer_id`` is sent as ``Viewer-Id``: the server keeps one live stream per viewer, so a
    reconnect ends the connection it replaces. The default ("") makes a fresh id for this
    EventStream; pass a stable one to let a restarted program replace its earlier stream; None
    sends none.

    ``refresh_token`` returns a fresh token for the job (``JobsAPI.refresher``): view tokens live
    minutes. It is called before a request when there is no token yet or the token expires
    within ``refresh_margin_s``, and once after a 401/403 (the request is then made again at
    once; a fresh token refused too raises as any 4xx does).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        last_event_id: str | int | None = None,
        client: httpx.Client | None = None,
        max_attempts: int | None = DEFAULT_MAX_ATTEMPTS,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: httpx.Timeout | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
        viewer_id: str | None = "",
        refresh_token: Callable[[], str] | None = None,
        refresh_margin_s: float = DEFAULT_REFRESH_MARGIN_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_attempts is not None and max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (or None for no limit)")
        _check_url(url)
        self.url = url
        self._token = token
        self._last_id = _parse_start_id(last_event_id)
        self._client = client
        self._owns_client = client is None
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self._timeout = timeout or default_timeout()
        self._on_retry = on_retry
        self._refresh_token = refresh_token
        self._refresh_margin_s = refresh_margin_s
        self._clock = clock
        # The last request's token was refused and replaced: a second refusal is final.
        self._refreshed_after_refusal = False
        self.token_refreshes = 0  # fresh tokens fetched (before expiry or after a refusal)
        # Sent as Viewer-Id: the server keeps one live stream per viewer, so each reconnect of this
        # stream ends the connection it replaces at once (on Lambda an abandoned connection would
        # run, billed, until its window ends). One id per EventStream by default; None: none.
        self.viewer_id = uuid.uuid4().hex if viewer_id == "" else viewer_id
        # From a 429's (or 503's) Retry-After: the next reconnect waits at least this long.
        self._retry_after_s = 0.0
        # Counters, for callers, tests and the bench.
        self.attempts = 0  # HTTP requests made
        self.reconnects = 0  # requests after the first
        self.events = 0  # events yielded
        self.duplicates = 0  # events dropped because their id was not above the last yielded
        self.gaps = 0  # times an id skipped ahead of last + 1 (events the server never sent)
        self.delays: list[float] = []  # every wait before a reconnect, in seconds
        self.retry_ms: int | None = None  # the server's last valid ``retry:``
        self.end: StreamEnd | None = None
        self.terminal_event: ServerSentEvent | None = None
        # In-band "the stream failed, reconnect" notices received (never yielded as events).
        self.stream_failures = 0
        self._failures = 0

    # --- public -------------------------------------------------------------------------------

    @property
    def last_event_id(self) -> str:
        """The id of the last event yielded (or the one given to start after); "" if none."""
        return "" if self._last_id is None else str(self._last_id)

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def __iter__(self) -> Iterator[ServerSentEvent]:
        if self.end is not None:
            return
        self._failures = 0
        try:
            while True:
                new_events = 0
                failure: str | None = None
                # The body ended normally (the server's own end, not a drop or an error status).
                clean_end = False
                self.attempts += 1
                if self.attempts > 1:
                    self.reconnects += 1
                self._refresh_if_expiring()
                try:
                    with self._http().stream(
                        "GET", self.url, headers=self._headers(), timeout=self._timeout
                    ) as response:
                        if self._refreshed_on_refusal(response):
                            continue
                        failure = self._check_status(response)
                        if failure is None and self.end is None:
                            for event in self._read(response):
                                new_events += 1
                                yield event
                                if self.end is not None:
                                    return
                            failure = "stream ended" if new_events else "stream ended empty"
                            clean_end = True
                except (httpx.TransportError, httpx.DecodingError) as exc:
                    failure = _describe_transport_error(exc)
                if self.end is not None:
                    return
                # ``retry: 0`` before a clean end is a stream window's end: the server is fine and
                # asks for the client back, also when the window brought only heartbeats (a quiet
                # job), so that is no failure: ten quiet windows in a row must not give up.
                window_end = clean_end and self.retry_ms == 0
                self._wait_before_retry(
                    failure or "stream ended",
                    new_events,
                    at_once=window_end and new_events > 0,
                    healthy=window_end,
                )
        finally:
            if self._owns_client and self._client is not None:
                self._client.close()
                self._client = None

    def close(self) -> None:
        """Close the HTTP client if this stream created it (a client passed in is left open)."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- one attempt --------------------------------------------------------------------------

    def _refresh_if_expiring(self) -> None:
        if self._refresh_token is None:
            return
        expires_at = None if self._token is None else token_expires_at(self._token)
        if self._token is None or (
            expires_at is not None and expires_at - self._clock() <= self._refresh_margin_s
        ):
            self._token = self._refresh_token()
            self.token_refreshes += 1

    def _refreshed_on_refusal(self, response: httpx.Response) -> bool:
        """True if a 401/403 was answered by fetching a fresh token: make the request again."""
        if response.status_code not in _REFRESHABLE_STATUSES:
            self._refreshed_after_refusal = False
            return False
        if self._refresh_token is None or self._refreshed_after_refusal:
            return False
        fresh = self._refresh_token()
        self.token_refreshes += 1
        if fresh == self._token:
            return False
        self._token = fresh
        self._refreshed_after_refusal = True
        return True

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self._timeout)
        return self._client

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if self._last_id is not None:
            headers["Last-Event-ID"] = str(self._last_id)
        if self.viewer_id:
            headers["Viewer-Id"] = self.viewer_id
        return headers

    def _check_status(self, response: httpx.Response) -> str | None:
        """None to read the body; a failure to retry; raises for what retrying cannot fix."""
        status = response.status_code
        if status == 204:
            self.end = StreamEnd.NO_CONTENT
            return None
        if status >= 500 or status in _RETRYABLE_STATUSES:
            # At a job's cap on live streams the server answers 429 with Retry-After: wait it.
            self._retry_after_s = _retry_after_s(response.headers.get("retry-after"))
            return f"HTTP {status}"
        if 400 <= status < 500:
            raise self._rejected(response)
        if status != 200:
            raise ProtocolViolation(
                f"unexpected HTTP {status} from {redact_url(self.url)} (expected 200 or 204)"
            )
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "text/event-stream":
            raise ProtocolViolation(
                f"{redact_url(self.url)} answered 200 with content type "
                f"{media_type or 'none'!r}, not text/event-stream"
            )
        return None

    def _rejected(self, response: httpx.Response) -> ServerRejected:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= _MAX_ERROR_BODY:
                break
        return rejection(
            response.status_code, url=self.url, body=bytes(body), secrets=(self._token,)
        )

    def _read(self, response: httpx.Response) -> Iterator[ServerSentEvent]:
        """The new events of one response body, stopping after a terminal one."""
        parser = SSEParser(last_event_id=self.last_event_id)
        for chunk in response.iter_bytes():
            events = parser.feed(chunk)
            if parser.retry is not None:
                self.retry_ms = parser.retry
            for event in events:
                if is_stream_failure(event.event, event.data):
                    # The server broke mid-stream and said so in-band: resume like any drop.
                    self.stream_failures += 1
                    return
                if not self._accept(event):
                    continue
                self.events += 1
                if event.event in TERMINAL_EVENT_TYPES:
                    self.end = StreamEnd.TERMINAL
                    self.terminal_event = event
                yield event
                if self.end is not None:
                    return
        parser.end()

    def _accept(self, event: ServerSentEvent) -> bool:
        event_id = _parse_event_id(event.id)
        if event_id is None:
            raise ProtocolViolation(
                f"an event from {redact_url(self.url)} has no integer id; "
                "resuming without one could repeat or lose events"
            )
        if self._last_id is not None:
            if event_id <= self._last_id:
                self.duplicates += 1
                return False
            if event_id > self._last_id + 1:
                self.gaps += 1
        self._last_id = event_id
        return True

    # --- between attempts ---------------------------------------------------------------------

    def _wait_before_retry(
        self, reason: str, new_events: int, *, at_once: bool = False, healthy: bool = False
    ) -> None:
        if new_events or healthy:
            self._failures = 0
        else:
            self._failures += 1
            if self.max_attempts is not None and self._failures >= self.max_attempts:
                raise GaveUp(attempts=self._failures, last_failure=reason)
        base_s = None if self.retry_ms is None else self.retry_ms / 1000
        # ``at_once``: the server ended, cleanly, a connection that delivered new events and asked
        # for an immediate return (``retry: 0``: a stream window's end, timed so that the job's
        # next event is not due yet). The backoff's floor and jitter, which protect a failing
        # server, would only delay that event. A drop, an error status or a connection without
        # new events still backs off.
        retry_number = max(self._failures - 1, 0)
        delay = 0.0 if at_once else self.backoff.delay(retry_number, base_s=base_s)
        # Never sooner than the server asked (capped like the backoff).
        delay = max(delay, min(self._retry_after_s, self.backoff.max_s))
        self._retry_after_s = 0.0
        self.delays.append(delay)
        if self._on_retry is not None:
            self._on_retry(
                RetryNotice(
                    reason=reason,
                    delay_s=delay,
                    consecutive_failures=self._failures,
                    attempt=self.attempts + 1,
                    last_event_id=self.last_event_id,
                )
            )
        self._sleep(delay)


def _retry_after_s(value: str | None) -> float:
    """A Retry-After in seconds (delta-seconds or an HTTP date); 0 when absent or unreadable."""
    if value is None:
        return 0.0
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - time.time())


def _check_url(url: str) -> None:
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL:
        scheme = ""
    if scheme not in ("http", "https"):
        # The URL is not quoted: it may carry a ?token=.
        raise ValueError("the events URL must be an absolute http(s) URL")


def _parse_event_id(value: str) -> int | None:
    # isascii + isdigit: int() would also take "+5", " 5", "5_0" and non-ASCII digits.
    if value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return None


def _parse_start_id(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    parsed = value if isinstance(value, int) else _parse_event_id(value)
    if parsed is None or parsed < 0:
        raise ValueError("last_event_id must be a non-negative integer")
    return parsed


def _describe_transport_error(exc: httpx.TransportError | httpx.DecodingError) -> str:
    # The class name says what happened; the exception text could quote the URL (and its token).
    name = type(exc).__name__
    return {
        "ConnectError": "connection failed",
        "ConnectTimeout": "connect timed out",
        "ReadTimeout": "read timed out",
        "RemoteProtocolError": "connection dropped",
        "ReadError": "connection dropped",
    }.get(name, name)
