"""In-process hand-over of committed events: a stream that drives an inline job learns of what its
own driver committed without reading it back from the table.

``JobStore.append`` publishes each transaction's events here right after DynamoDB accepted it, on
the appending thread. A ``Subscription`` (one per stream) buffers what is published for its job
after it subscribed; the stream waits on it instead of sleeping and takes, as its next batch, the
events that continue exactly where it is (ids contiguous with the last one it sent). Anything else
(a gap, events written by another process) is left to the table: the feed is a shortcut, the log
stays the truth, and a stream that cannot use the feed polls as any other stream does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from jobstream.store.models import StoredEvent

logger = logging.getLogger(__name__)

# A subscriber that stops taking (its client reads slowly, so the stream's generator is not
# pulled) must not hold a fast job's events in memory: past this many the buffer is dropped and
# the stream, seeing a gap, reads them from the table, where they are anyway.
MAX_BUFFERED_EVENTS = 10_000


class Subscription:
    """What one stream receives from the feed for one job, from subscription to ``close``."""

    def __init__(self, feed: CommitFeed, job_id: str) -> None:
        self._feed = feed
        self.job_id = job_id
        self._condition = threading.Condition()
        self._events: list[StoredEvent] = []
        self._woken = False
        self._closed = False

    def deliver(self, events: Sequence[StoredEvent]) -> None:
        """Called by the feed (the appending thread): committed events, in id order."""
        with self._condition:
            if self._closed:
                return
            if len(self._events) + len(events) > MAX_BUFFERED_EVENTS:
                self._events = []
            self._events.extend(events)
            self._condition.notify_all()

    def wake(self) -> None:
        """Ends the current or next ``wait`` early (the driver stopped: the stream should look)."""
        with self._condition:
            self._woken = True
            self._condition.notify_all()

    def wait(self, timeout: float) -> bool:
        """Block until events are buffered, ``wake`` was called or ``timeout`` seconds passed.
        True unless the timeout passed with nothing to look at."""
        with self._condition:
            if not self._events and not self._woken and not self._closed:
                self._condition.wait(max(timeout, 0.0))
            ready = bool(self._events) or self._woken or self._closed
            self._woken = False
            return ready

    def take(self, after_id: int) -> list[StoredEvent]:
        """The buffered events that continue ``after_id`` without a gap (possibly none).

        Events at or below ``after_id`` (already read from the table) are dropped. When the
        buffer's next event is not ``after_id + 1`` (something was committed that the feed did not
        see, or was read from the table past it), nothing is returned: the caller reads the table.
        """
        with self._condition:
            self._events.sort(key=lambda event: event.id)
            fresh = [event for event in self._events if event.id > after_id]
            run: list[StoredEvent] = []
            expected = after_id + 1
            for event in fresh:
                if event.id != expected:
                    break
                run.append(event)
                expected += 1
            self._events = fresh[len(run) :]
            return run

    def discard_through(self, last_id: int) -> None:
        """Forget buffered events at or below ``last_id`` (the stream read them from the table),
        so that they do not wake the next ``wait``."""
        with self._condition:
            self._events = [event for event in self._events if event.id > last_id]

    @property
    def pending(self) -> int:
        with self._condition:
            return len(self._events)

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._events = []
            self._condition.notify_all()
        self._feed.unsubscribe(self)


class CommitFeed:
    """Per job, the subscriptions of this process's streams; fed by the store's append path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: dict[str, list[Subscription]] = {}

    def subscribe(self, job_id: str) -> Subscription:
        subscription = Subscription(self, job_id)
        with self._lock:
            self._subscriptions.setdefault(job_id, []).append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subscribers = self._subscriptions.get(subscription.job_id, [])
            if subscription in subscribers:
                subscribers.remove(subscription)
            if not subscribers:
                self._subscriptions.pop(subscription.job_id, None)

    def publish(self, job_id: str, events: Sequence[StoredEvent]) -> None:
        """``events`` of ``job_id`` are committed (the transaction that wrote them succeeded).

        Never raises: the events are durable whatever happens here, and a failed hand-over only
        means the stream reads them from the table.
        """
        if not events:
            return
        with self._lock:
            subscribers = list(self._subscriptions.get(job_id, ()))
        for subscription in subscribers:
            try:
                subscription.deliver(events)
            except Exception:
                logger.exception("commit feed: hand-over failed", extra={"job_id": job_id})
