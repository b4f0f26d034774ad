"""A job's events as an SSE stream: replay what is stored after Last-Event-ID, then tail new ones.

Nothing here knows about Lambda: the caller passes the request's parts and a remaining-time
callable, and gets a StreamingResponse whose body is consumed lazily by whatever transport runs it.

Shape of one stream::

    retry: <ms>                      first frame, sent at once
    id/event/data ...                replay: events_after(last id), in order
    id/event/data ... / ": heartbeat" tail: one Query per poll (PollSchedule: the job's cadence),
                                     or the commit feed for an inline job this stream drives
    retry: <window retry ms>         only when a window ends: "come back at once"
    (end)                            terminal event sent, window or deadline reached

The job item is read once, at open: it decides 404/400/204 and whether the job is already
terminal. While tailing only events_after is polled, because the terminal event itself tells the
stream to stop. A stream ends by itself before its deadline (Lambda never reports a client that
went away), and a client reconnecting with Last-Event-ID loses and repeats nothing.
When a stream ends (its deadline, its window, a predicted silence) is bounds.py's to say.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from jobstream.auth.tokens import TokenSigner
from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.errors import JobstreamError
from jobstream.http_errors import ErrorAnswer, answer_for
from jobstream.response_stream.response import (
    LastChunk,
    StreamingResponse,
    empty_response,
    json_response,
    sse_response,
)
from jobstream.settings import Settings
from jobstream.sse.encode import encode_comment, encode_event
from jobstream.store.commit_feed import CommitFeed, Subscription
from jobstream.store.errors import StoreError
from jobstream.store.models import TERMINAL_EVENT_TYPES, Job, JobMode, StoredEvent
from jobstream.store.stream_slots import LiveSlots, SlotsSeen, StreamSlot
from jobstream.tail.bounds import StreamBounds, quiet_enough
from jobstream.tail.cadence_memory import CadenceMemory
from jobstream.tail.errors import StreamRejected
from jobstream.tail.inline import start_inline_driver
from jobstream.tail.polling import PollSchedule
from jobstream.tail.ports import EventLog, InlineDriver, StreamSlotStore, StreamStats
from jobstream.tail.request import parse_last_event_id

logger = logging.getLogger(__name__)

HEARTBEAT = encode_comment("heartbeat")
# Events found by one poll are written in chunks of about this size: one flush per event would
# cost a chunked-encoding frame each during a replay, and Function URLs are reported to hold back
# small writes anyway.
_CHUNK_BYTES = 32 * 1024
# How long the stream waits, at its end, for an inline driver to stop after being told to.
_DRIVER_JOIN_SECONDS = 2.0
# A wait shorter than this is not worth a wake-up: a deadline or heartbeat this close counts as
# reached. Without it, float rounding (now + (t - now) < t) could make the loop spin on sub-ulp
# sleeps that never move a clock forward.
_TICK = 0.001


class StreamService:
    def __init__(
        self,
        *,
        store: EventLog,
        signer: TokenSigner,
        settings: Settings,
        clock: Clock = SYSTEM_CLOCK,
        inline_driver: InlineDriver | None = None,
        on_close: Callable[[StreamStats], None] | None = None,
        feed: CommitFeed | None = None,
        slots: StreamSlotStore | None = None,
        cadence: CadenceMemory | None = None,
    ) -> None:
        self._store = store
        # Where streams claim a slot of their job (the per-job cap, one stream per viewer);
        # None: neither applies (Settings.stream_max_per_job = 0 does the same).
        self._slots = slots if settings.stream_max_per_job else None
        # What this process's earlier connections learned about each job's cadence: a window's
        # reconnect polls when the next event is due instead of relearning (cadence_memory.py).
        self._cadence = cadence
        # Where this process's appends are published (JobStore.commit_feed): an inline job driven
        # here reaches its stream through it, without a table round trip.
        self._feed = feed
        self._signer = signer
        self._settings = settings
        # Monotonic time for the stream's schedule and deadline; its waits between polls.
        self._clock = clock
        self._inline_driver = inline_driver
        self._on_close = on_close

    def open(
        self,
        job_id: str,
        *,
        token: str | None,
        last_event_id: str | None,
        remaining_ms: Callable[[], int],
        viewer: str | None = None,
        token_in_url: bool = False,
    ) -> StreamingResponse:
        """Check the request and return the stream, or a 4xx/204 response before any byte.

        ``remaining_ms`` is the invocation's time left (Lambda's get_remaining_time_in_millis);
        it is read once, here, and the stream ends ``stream_deadline_margin_seconds`` before it.
        ``viewer`` (the client's per-tab id) makes this stream supersede that viewer's older one;
        with every slot of the job held by a live stream the answer is 429 with Retry-After.
        """
        try:
            job, start_id, seen = self._admit(
                job_id, token, last_event_id, token_in_url=token_in_url
            )
            if job.status.is_terminal and start_id >= job.last_event_id:
                # Nothing left to send; 204 is how an SSE client is told to stop reconnecting.
                return empty_response(204)
            bounds = StreamBounds.starting(self._settings, self._clock, remaining_ms)
            # At the job's cap: StreamsAtCap, a 429 with Retry-After (jobstream.http_errors).
            slot = self._claim(job, bounds, viewer, seen)
        except JobstreamError as refused:
            answer = answer_for(refused)
            if answer is None:
                raise
            return error_response(answer)
        return sse_response(self._stream(job, start_id, bounds, slot))

    def _claim(
        self, job: Job, bounds: StreamBounds, viewer: str | None, seen: SlotsSeen | None
    ) -> StreamSlot | None:
        if self._slots is None:
            return None
        # The slot's lease is on the store's wall clock; the bounds are on the stream's.
        until = self._slots.now() + max(0.0, bounds.ends_at - self._clock.monotonic())
        slot = self._slots.claim_stream_slot(
            job.job_id,
            cap=self._settings.stream_max_per_job,
            until=until,
            viewer=viewer,
            seen=seen,
        )
        if slot.superseded is not None:
            logger.info(
                "stream supersedes the viewer's older one",
                extra={"job_id": job.job_id, "superseded": slot.superseded},
            )
        return slot

    def _admit(
        self, job_id: str, token: str | None, raw_last_id: str | None, *, token_in_url: bool
    ) -> tuple[Job, int, SlotsSeen | None]:
        # Token first: it is checked without I/O (a token naming a key this container does not
        # hold yet fetches the keys, rarely), and an unauthenticated caller learns nothing, not
        # even whether the job exists. Every refusal is answered by jobstream.http_errors.
        self._signer.verify(token, job_id, in_url=token_in_url)
        last_id = parse_last_event_id(raw_last_id)
        seen: SlotsSeen | None = None
        if self._slots is not None:
            # One request for the job and its slots: every window's reconnect waits for it.
            job, seen = self._slots.read_job_and_slots(job_id)
        else:
            job = self._store.get_job(job_id)
        if last_id is not None and last_id > job.last_event_id:
            raise StreamRejected(
                400,
                "invalid_last_event_id",
                f"Last-Event-ID {last_id} is beyond this job's last event ({job.last_event_id})",
            )
        return job, last_id or 0, seen

    def _stream(
        self, job: Job, start_id: int, bounds: StreamBounds, slot: StreamSlot | None
    ) -> Iterator[bytes]:
        ends_at = bounds.ends_at
        stats = StreamStats(job_id=job.job_id, start_id=start_id, last_id=start_id)
        stop_driver = threading.Event()
        # Subscribed before the driver starts, so nothing it commits can slip past the feed.
        handover = self._handover(job)
        driver = self._start_driver(job, stop_driver, ends_at, handover)
        logger.info("stream opened", extra={"job_id": job.job_id, "after_id": start_id})
        try:
            yield from self._frames(job, stats, bounds, handover, driver, slot)
        finally:
            if slot is not None and self._slots is not None:
                self._release(slot)
            stop_driver.set()
            if driver is not None:
                driver.join(_DRIVER_JOIN_SECONDS)
            if handover is not None:
                handover.close()
            logger.info(
                "stream closed",
                extra={
                    "job_id": stats.job_id,
                    "after_id": stats.start_id,
                    "last_id": stats.last_id,
                    "events": stats.events,
                    "replayed": stats.replayed,
                    "handed_over": stats.handed_over,
                    "polls": stats.polls,
                    "heartbeats": stats.heartbeats,
                    "reason": stats.reason,
                },
            )
            if self._on_close is not None:
                self._on_close(stats)

    def _release(self, slot: StreamSlot) -> None:
        if self._slots is None:
            return
        try:
            self._slots.release_stream_slot(slot)
        except (StoreError, BotoCoreError, ClientError) as error:
            # The slot's lease frees it a little later anyway.
            logger.warning(
                "could not free the stream's slot",
                extra={"job_id": slot.job_id, "error_type": type(error).__name__},
            )

    def _handover(self, job: Job) -> Subscription | None:
        if self._feed is None or not self._drives(job):
            return None
        return self._feed.subscribe(job.job_id)

    def _frames(
        self,
        job: Job,
        stats: StreamStats,
        bounds: StreamBounds,
        handover: Subscription | None,
        driver: threading.Thread | None,
        slot: StreamSlot | None,
    ) -> Iterator[bytes]:
        schedule = PollSchedule.from_settings(self._settings, started_at=self._clock.monotonic())
        learned = self._cadence.recall(job.job_id) if self._cadence is not None else None
        if learned is not None:
            schedule.resume(learned)
        try:
            yield from self._poll_loop(job, stats, bounds, handover, driver, slot, schedule)
        finally:
            learned = schedule.learned()
            if learned is not None and self._cadence is not None:
                self._cadence.remember(job.job_id, learned)

    def _poll_loop(
        self,
        job: Job,
        stats: StreamStats,
        bounds: StreamBounds,
        handover: Subscription | None,
        driver: threading.Thread | None,
        slot: StreamSlot | None,
        schedule: PollSchedule,
    ) -> Iterator[bytes]:
        clock = self._clock.monotonic
        ends_at = bounds.ends_at
        # Where the deadline (or the window) ends the stream: the window's end also tells the
        # client to come straight back.
        at_end = self._window_end if bounds.window else self._deadline_end
        quiet_s = self._settings.stream_window_quiet_ms / 1000
        heartbeat_s = self._settings.heartbeat_seconds
        # A job already terminal at open has all its events stored: replay them and stop.
        replay_only = job.status.is_terminal
        # The first read is a replay up to at least the job item's last id: always consistent.
        consistent = True

        yield encode_event(retry=self._settings.stream_retry_ms)
        last_write = clock()
        last_read = clock()
        while True:
            if clock() >= ends_at - _TICK:
                yield from at_end(stats)
                return
            handed = handover.take(stats.last_id) if handover is not None else []
            if handed and slot is not None and clock() - last_read >= schedule.max_interval:
                # A job driven here may commit faster than the feed ever runs dry: read the table
                # (the same events, and this job's stream slots with them) at least this often,
                # so a newer stream of this viewer is still noticed.
                handed = []
            chunk: list[bytes] = []
            size = 0
            found = 0
            batch_bytes = 0
            created: list[float] = []
            live = LiveSlots(through=slot.index) if slot is not None else None
            try:
                source: Iterable[StoredEvent]
                if handed:
                    # Committed by this process's own driver, continuing exactly where we are.
                    source = handed
                    stats.handed_over += len(handed)
                else:
                    stats.polls += 1
                    last_read = clock()
                    source = self._read(job.job_id, stats.last_id, consistent, live)
                for event in source:
                    frame = encode_stored_event(event)
                    chunk.append(frame)
                    size += len(frame)
                    batch_bytes += len(frame)
                    stats.last_id = event.id
                    stats.events += 1
                    if event.id <= job.last_event_id:
                        stats.replayed += 1
                    found += 1
                    created.append(event.created_at)
                    if event.type in TERMINAL_EVENT_TYPES:
                        stats.reason = "terminal"
                        yield LastChunk(b"".join(chunk))
                        return
                    if size >= _CHUNK_BYTES:
                        yield b"".join(chunk)
                        last_write = clock()
                        chunk, size = [], 0
                    # A replay of a long log must not run the stream past its deadline either.
                    if clock() >= ends_at - _TICK:
                        break
            except (StoreError, BotoCoreError, ClientError) as error:
                # Not the client's fault and not worth an in-band "error" event (that type means
                # the job failed): end cleanly and let the client resume with Last-Event-ID.
                logger.warning(
                    "stream ends early: reading the event log failed",
                    extra={"job_id": job.job_id, "error_type": type(error).__name__},
                )
                stats.reason = "store_error"
                if chunk:
                    yield b"".join(chunk)
                return
            if handover is not None and not handed:
                # Read from the table: what the feed holds up to here must not wake us again.
                handover.discard_through(stats.last_id)
            if chunk:
                yield b"".join(chunk)
                last_write = clock()
            if live is not None and slot is not None and not handed and live.superseded(slot):
                # A newer stream of this viewer holds the slot now: it carries on from its own
                # Last-Event-ID, and this one (most likely its reloaded page's) stops paying.
                stats.reason = "superseded"
                return
            if clock() >= ends_at - _TICK:
                yield from at_end(stats)
                return
            if replay_only:
                stats.reason = "terminal"
                return
            now = clock()
            delay = schedule.record(now, events=found, size=batch_bytes, created=created)
            consistent = schedule.consistent
            if now >= bounds.quiet_end_from and quiet_enough(schedule, now, found, quiet_s):
                # The window may end here: the job's next event is not due before a client that
                # comes back at once is tailing again (or, for a job too busy for that, as little
                # before as its cadence allows).
                yield from self._window_end(stats)
                return
            if handover is not None and not (driver is not None and driver.is_alive()):
                # Handed to the worker (or never driven here): its commits reach this process
                # only through the table. What the feed still holds, the next poll reads anyway.
                handover.close()
                handover = None
            if handover is not None:
                # While this process drives the job the feed wakes the stream; the table is read
                # only as a safety net, at the idle ceiling.
                delay = schedule.max_interval
            next_poll = now + delay
            while True:
                if now - last_write >= heartbeat_s - _TICK:
                    yield HEARTBEAT
                    stats.heartbeats += 1
                    last_write = now
                wake_at = min(next_poll, last_write + heartbeat_s, ends_at)
                if handover is not None:
                    if handover.wait(wake_at - now):
                        break
                else:
                    self._clock.sleep(max(wake_at - now, _TICK))
                now = clock()
                if now >= next_poll - _TICK or now >= ends_at - _TICK:
                    break

    def _window_end(self, stats: StreamStats) -> Iterator[bytes]:
        stats.reason = "window"
        # The client reconnects when the body ends: end it before the clean-up (the slot's
        # delete, the driver's stop), which then runs while the next connection is on its way.
        yield LastChunk(encode_event(retry=self._settings.stream_window_retry_ms))

    @staticmethod
    def _deadline_end(stats: StreamStats) -> Iterator[bytes]:
        stats.reason = "deadline"
        yield from ()

    def _read(
        self, job_id: str, last_id: int, consistent: bool, live: LiveSlots | None
    ) -> Iterator[StoredEvent]:
        if live is not None and self._slots is not None:
            return self._slots.events_after(job_id, last_id, consistent=consistent, live=live)
        if consistent:
            return self._store.events_after(job_id, last_id)
        return self._store.events_after(job_id, last_id, consistent=False)

    def _drives(self, job: Job) -> bool:
        return (
            self._inline_driver is not None
            and job.mode is JobMode.INLINE
            and not job.status.is_terminal
        )

    def _start_driver(
        self, job: Job, stop: threading.Event, ends_at: float, handover: Subscription | None
    ) -> threading.Thread | None:
        """The seam for inline jobs: the stream function drives the job while a viewer watches."""
        if self._inline_driver is None or not self._drives(job):
            return None
        clock = self._clock.monotonic
        return start_inline_driver(
            self._inline_driver,
            job,
            stop=stop,
            seconds_left=lambda: ends_at - clock(),
            handover=handover,
        )


def encode_stored_event(event: StoredEvent) -> bytes:
    """One stored event as an SSE frame: ``id`` the sequence number, ``event`` its type, compact
    JSON ``data`` (json.dumps escapes line breaks, so data is always a single line)."""
    data = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False)
    return encode_event(id=event.id, event=event.type, data=data)


def error_response(answer: ErrorAnswer) -> StreamingResponse:
    """A refusal before the first byte: the table's answer as a JSON response."""
    return json_response(answer.status, answer.body(), headers=dict(answer.headers))
