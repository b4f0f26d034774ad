"""Streams nobody watches (`make bench`, section ``streams``): what a stream costs after its viewer
left, what a reload and a viewer-hour with window reconnects cost, an attack of dropped opens, and
what windows do to latency.

Everything runs on the local stack in its faithful mode (the default): as on Lambda, a client that
disconnects does not stop the stream function; the local Function URL pulls the rest of the body
and drops it, so a stream ends only when it ends by itself. The server side is observed through
the stack's ``on_stream_close`` hook (what each stream did and when it ended), the client side
through httpx. Nothing but our code limits the streams: the local Function URL runs as many at
once as are opened (``stream_concurrency`` above the attack's N).

- **after the viewer leaves**: viewers of jobs at three cadences (idle, 1 and 10 events/s) read for
  a random 1-15 s and drop the connection; the figure is the time from the drop to the stream's end
  (function duration billed after the viewer left), at the template's defaults;
- **reload**: a viewer drops its connection and reconnects at once with the same viewer id; the
  figure is the time from the new connection to the old stream's end;
- **viewer-hour**: one viewer with a viewer id follows a 1 event/s job for a few minutes: windows
  (requests), re-opens, replayed events and the DynamoDB requests per window, scaled to an hour;
- **attack**: N opens of one job with one token, each dropped as soon as its status is known, with
  the per-job cap and (for contrast) without it; how many got a stream, how many still run after
  60 s, for how long they ran and what that costs;
- **latency with windows**: 1 / 2 / 10 events/s jobs long enough to cross at least three windows
  (the window is shortened for this run, and the report says so), three runs each with windows on
  and off; the median of the runs' p99 and the reconnect gap (a window's end on the server to the
  next connection's response on the client).
"""

from __future__ import annotations

import json
import logging
import math
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from jobstream.settings import Settings
from jobstream.tail import StreamStats
from jobstream_bench.jobs import TICK_EVENT, TICKS
from jobstream_bench.stats import percentile
from jobstream_client import EventStream, JobsAPI, RetryNotice
from jobstream_local.cost.prices import PriceList
from jobstream_local.stack import LocalStack

BENCH_REGISTRY = "jobstream_bench.jobs:registry"
# The template's StreamMemorySize: what an abandoned stream's seconds are billed at.
STREAM_GB = 0.25
ARCH = "arm64"
# StreamTimeout (900) minus the deadline margin (5): how long a stream ran without windows.
NO_WINDOW_SECONDS = 895.0
# How long the bench waits for a stream to end by itself before it reports it as still running.
WAIT_LIMIT_S = 150.0


@dataclass(slots=True)
class Closes:
    """Every stream's end as the server saw it: (monotonic time, stats)."""

    items: list[tuple[float, StreamStats]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, stats: StreamStats) -> None:
        with self.lock:
            self.items.append((time.monotonic(), stats))

    def of(self, job_id: str) -> list[tuple[float, StreamStats]]:
        with self.lock:
            return [(at, s) for at, s in self.items if s.job_id == job_id]

    def wait_for(self, job_id: str, count: int, timeout: float) -> list[tuple[float, StreamStats]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(job_id)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.of(job_id)


@contextmanager
def _stack(closes: Closes, *, concurrency: int = 100, **settings: Any) -> Iterator[LocalStack]:
    logger = logging.getLogger("jobstream")
    level = logger.level
    base = Settings(
        api_auth="none",
        job_registry=BENCH_REGISTRY,
        table=f"jobstream-bench-{uuid.uuid4().hex[:8]}",
        **settings,
    )
    with LocalStack(
        port=0,
        function_timeout_s=120,
        # The template's default: a stream without windows would run this long.
        stream_timeout_s=900,
        settings=base,
        stream_concurrency=concurrency,
        on_stream_close=closes,
    ) as stack:
        logger.setLevel(logging.WARNING)
        try:
            yield stack
        finally:
            logger.setLevel(level)


def open_stream(url: str, token: str, viewer: str | None = None) -> tuple[socket.socket, int]:
    """Open a stream on a plain socket and read its status line; the socket stays open.

    A socket, not httpx: a viewer that leaves must be able to go at any moment, also while nothing
    arrives (an idle stream sends a byte only every 15 s), and without reading what it missed.
    """
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Authorization: Bearer {token}",
        "Accept: text/event-stream",
    ]
    if viewer:
        lines.append(f"Viewer-Id: {viewer}")
    sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=60)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return sock, status


def _drop_after(url: str, token: str, seconds: float, viewer: str | None = None) -> float:
    """Watch a stream for ``seconds``, then leave (close the connection); when it left."""
    sock, status = open_stream(url, token, viewer)
    try:
        if status != 200:
            raise AssertionError(f"stream answered {status}")
        time.sleep(seconds)
    finally:
        sock.close()
    return time.monotonic()


# --- after the viewer leaves ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AfterLeave:
    cadence: str
    seconds: list[float]  # drop -> stream end, per viewer
    reasons: list[str]


CADENCES: dict[str, dict[str, float]] = {
    # No event for a minute: the stream has nothing to predict.
    "idle job": {"n": 1, "rate": 0, "start_delay_ms": 60_000},
    "1 event/s": {"n": 400, "rate": 1},
    "10 events/s": {"n": 4_000, "rate": 10},
}


def measure_after_leave(viewers: int, seed: int = 0) -> list[AfterLeave]:
    import random

    rng = random.Random(seed)
    closes = Closes()
    results: list[AfterLeave] = []
    with _stack(closes) as stack, httpx.Client(timeout=30) as http:
        api = JobsAPI(stack.url, client=http)
        plan: list[tuple[str, str, float]] = []
        threads: list[threading.Thread] = []
        drops: dict[str, float] = {}
        for cadence, params in CADENCES.items():
            for _ in range(viewers):
                job = api.create(TICKS, dict(params))
                read_for = rng.uniform(1.0, 15.0)
                plan.append((cadence, job.job_id, read_for))

                def watch(
                    job_id: str = job.job_id,
                    url: str = job.events_url,
                    token: str = job.token,
                    read_for: float = read_for,
                ) -> None:
                    drops[job_id] = _drop_after(url, token, read_for)

                thread = threading.Thread(target=watch, daemon=True)
                thread.start()
                threads.append(thread)
        for thread in threads:
            thread.join()
        for cadence in CADENCES:
            seconds: list[float] = []
            reasons: list[str] = []
            for name, job_id, _ in plan:
                if name != cadence:
                    continue
                found = closes.wait_for(job_id, 1, timeout=WAIT_LIMIT_S)
                if not found:
                    # Still running: reported as over the limit, not waited for (up to 895 s).
                    seconds.append(math.inf)
                    reasons.append("still running")
                    continue
                at, stats = found[0]
                seconds.append(at - drops[job_id])
                reasons.append(stats.reason)
            results.append(AfterLeave(cadence=cadence, seconds=seconds, reasons=reasons))
    return results


# --- reload --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reload:
    job: str
    seconds: list[float]  # new connection -> old stream's end
    reasons: list[str]


def measure_reload(reloads: int) -> list[Reload]:
    closes = Closes()
    results: list[Reload] = []
    with _stack(closes) as stack, httpx.Client(timeout=30) as http:
        api = JobsAPI(stack.url, client=http)
        for name, params in (
            ("idle job", CADENCES["idle job"]),
            ("10 events/s", CADENCES["10 events/s"]),
        ):
            seconds: list[float] = []
            reasons: list[str] = []
            for n in range(reloads):
                job = api.create(TICKS, dict(params))
                viewer = f"tab-{n}"
                _drop_after(job.events_url, job.token, 2.0, viewer=viewer)
                reopened = time.monotonic()
                newer = threading.Thread(
                    target=_drop_after,
                    args=(job.events_url, job.token, 4.0, viewer),
                    daemon=True,
                )
                newer.start()
                found = closes.wait_for(job.job_id, 1, timeout=120)
                at, stats = found[0]
                seconds.append(at - reopened)
                reasons.append(stats.reason)
                newer.join()
            results.append(Reload(job=name, seconds=seconds, reasons=reasons))
    return results


# --- a viewer-hour with window reconnects --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ViewerHour:
    minutes: float
    connections: int
    events: int
    duplicates: int
    windows: list[float]  # each connection's length, s
    dynamodb_calls: dict[str, int]


def measure_viewer_hour(minutes: float) -> ViewerHour:
    closes = Closes()
    with _stack(closes) as stack, httpx.Client(timeout=30) as http:
        api = JobsAPI(stack.url, client=http)
        job = api.create(TICKS, {"n": int(minutes * 60) + 5, "rate": 1})
        calls: dict[str, int] = {}

        def count(model: Any, **_: Any) -> None:
            # The stream's requests only: the worker (its appends, its cancel checks) runs in
            # threads of its own (ThreadWorkerInvoker's "worker-<job>-<hop>").
            if not threading.current_thread().name.startswith("worker-"):
                calls[model.name] = calls.get(model.name, 0) + 1

        client = stack.jobs.store.client
        client.meta.events.register("before-call.dynamodb", count)
        started = time.monotonic()
        stream = EventStream(job.events_url, token=job.token, client=http)
        events = 0
        for event in stream:
            if event.event == TICK_EVENT:
                events += 1
            if time.monotonic() - started >= minutes * 60:
                break
        client.meta.events.unregister("before-call.dynamodb", count)
        viewer_calls = dict(calls)
        ended = [at for at, s in closes.of(job.job_id)]
        lengths: list[float] = []
        previous = started
        for at in ended:
            lengths.append(at - previous)
            previous = at
        return ViewerHour(
            minutes=minutes,
            connections=stream.attempts,
            events=events,
            duplicates=stream.duplicates,
            windows=[w for w in lengths if w > 1],
            dynamodb_calls=viewer_calls,
        )


# --- the attack ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attack:
    cap: int  # 0: no cap
    opens: int
    statuses: dict[int, int]
    running_after_60s: int
    durations: list[float]  # of the streams that ran, s
    dynamodb_calls: dict[str, int]


def measure_attack(n: int, cap: int) -> Attack:
    closes = Closes()
    with (
        _stack(closes, concurrency=n + 50, stream_max_per_job=cap) as stack,
        httpx.Client(timeout=30) as http,
    ):
        api = JobsAPI(stack.url, client=http)
        job = api.create(TICKS, {"n": 300, "rate": 1})
        calls: dict[str, int] = {}

        def count(model: Any, **_: Any) -> None:
            # The stream's requests only: the worker (its appends, its cancel checks) runs in
            # threads of its own (ThreadWorkerInvoker's "worker-<job>-<hop>").
            if not threading.current_thread().name.startswith("worker-"):
                calls[model.name] = calls.get(model.name, 0) + 1

        client = stack.jobs.store.client
        client.meta.events.register("before-call.dynamodb", count)
        statuses: list[int] = []
        opened_at: list[float] = []
        lock = threading.Lock()

        def open_and_drop() -> None:
            sock, status = open_stream(job.events_url, job.token)
            # Dropped as soon as the status is known.
            sock.close()
            with lock:
                statuses.append(status)
                if status == 200:
                    opened_at.append(time.monotonic())

        start = time.monotonic()
        threads = [threading.Thread(target=open_and_drop, daemon=True) for _ in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ran = statuses.count(200)
        time.sleep(max(0.0, start + 60 - time.monotonic()))
        running = ran - len(closes.of(job.job_id))
        found = closes.wait_for(job.job_id, ran, timeout=WAIT_LIMIT_S)
        client.meta.events.unregister("before-call.dynamodb", count)
        ends = sorted(at for at, _ in found)
        durations = [end - begin for begin, end in zip(sorted(opened_at), ends, strict=False)]
        viewer_calls = dict(calls)
        return Attack(
            cap=cap,
            opens=n,
            statuses={s: statuses.count(s) for s in sorted(set(statuses))},
            running_after_60s=running,
            durations=durations,
            dynamodb_calls=viewer_calls,
        )


# --- latency with windows on and off -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WindowLatency:
    rate: float
    window_s: float  # 0: windows off
    p99_ms: list[float]  # one per run
    p50_ms: list[float]
    connections: list[int]
    # A window's end as the client saw it (its body ended) -> the next connection's response.
    gaps_ms: list[float]
    # Emit-to-client latency of the first event each connection after the first delivered: the
    # events a slow reconnect would delay.
    after_reconnect_ms: list[float] = field(default_factory=list)


@dataclass(slots=True)
class _Followed:
    latencies: list[float]
    attempts: int
    gaps_ms: list[float]
    after_reconnect_ms: list[float]


def measure_window_latency(
    rates: tuple[float, ...], window_s: float, windows: int, runs: int
) -> list[WindowLatency]:
    """Each run follows the same job twice at once, on a stack with windows off and one with
    windows of ``window_s``: both see the same load and the same pauses of the one process they
    share (the garbage collector's full collections of the embedded DynamoDB's growing heap take
    ~250 ms every few seconds at 10 events/s, a process Lambda does not have), so the ratio of
    their p99s is what windows change. The first event after each reconnect and the reconnect
    gap show what a window costs directly."""
    results: list[WindowLatency] = []
    with (
        _stack(Closes(), stream_window_seconds=0.0) as off,
        _stack(Closes(), stream_window_seconds=window_s) as on,
        httpx.Client(timeout=30) as http_off,
        httpx.Client(timeout=30) as http_on,
    ):
        apis = {0.0: (JobsAPI(off.url, client=http_off), http_off)}
        apis[window_s] = (JobsAPI(on.url, client=http_on), http_on)
        for api, http in apis.values():
            # Warm-up: imports, connections, the stack's lazy parts.
            _follow(api, http, {"n": 20, "rate": 0})
        for rate in rates:
            # Long enough to cross ``windows`` windows of ``window_s``.
            n = int(rate * window_s * windows) + int(rate * 2)
            params = {"n": n, "rate": rate, "start_delay_ms": 1_000}
            followed: dict[float, list[_Followed]] = {w: [] for w in apis}
            for _ in range(runs):
                for window, one in _follow_at_once(apis, params).items():
                    followed[window].append(one)
            for window, runs_of in followed.items():
                results.append(
                    WindowLatency(
                        rate=rate,
                        window_s=window,
                        p99_ms=[percentile(f.latencies, 99) for f in runs_of],
                        p50_ms=[percentile(f.latencies, 50) for f in runs_of],
                        connections=[f.attempts for f in runs_of],
                        gaps_ms=[g for f in runs_of for g in f.gaps_ms],
                        after_reconnect_ms=[a for f in runs_of for a in f.after_reconnect_ms],
                    )
                )
    return results


def _follow_at_once(
    apis: dict[float, tuple[JobsAPI, httpx.Client]], params: dict[str, float]
) -> dict[float, _Followed]:
    found: dict[float, _Followed] = {}
    failed: list[BaseException] = []

    def follow(window: float) -> None:
        try:
            found[window] = _follow(*apis[window], params)
        except BaseException as error:  # noqa: BLE001 - re-raised below, in the caller's thread
            failed.append(error)

    threads = [threading.Thread(target=follow, args=(window,)) for window in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise failed[0]
    return found


def _follow(api: JobsAPI, http: httpx.Client, params: dict[str, float]) -> _Followed:
    job = api.create(TICKS, params)
    ended: list[float] = []  # when a connection's body ended cleanly (before any reconnect)
    gaps: list[float] = []

    def on_response(response: httpx.Response) -> None:
        if ended and len(gaps) < len(ended):
            gaps.append(1000 * (time.monotonic() - ended[-1]))

    def on_retry(notice: RetryNotice) -> None:
        if notice.reason == "stream ended":
            ended.append(time.monotonic())

    http.event_hooks["response"] = [on_response]
    stream = EventStream(job.events_url, token=job.token, client=http, on_retry=on_retry)
    latencies: list[float] = []
    after_reconnect: list[float] = []
    ids: list[int] = []
    connection = 1
    for event in stream:
        if event.event == TICK_EVENT:
            latency = 1000 * (time.time() - float(json.loads(event.data)["t"]))
            latencies.append(latency)
            ids.append(int(event.id))
            if stream.attempts != connection:
                connection = stream.attempts
                after_reconnect.append(latency)
    if ids != list(range(1, int(params["n"]) + 1)):
        raise AssertionError("events lost, repeated or reordered across windows")
    return _Followed(latencies, stream.attempts, gaps, after_reconnect)


# --- the section ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamsResult:
    after_leave: list[AfterLeave]
    reloads: list[Reload]
    viewer_hour: ViewerHour
    attacks: list[Attack]
    latency: list[WindowLatency]
    latency_window_s: float
    cap: int
    window_s: float
    # The same latency run at a much shorter window: many more reconnects per event.
    stress_latency: list[WindowLatency] = field(default_factory=list)
    stress_window_s: float = 0.0


def run(*, quick: bool, latency_window_s: float | None = None) -> StreamsResult:
    """``latency_window_s``: the window of the latency run (default 6 s, so that each job crosses
    three windows in about 20 s; at the template's 45 s each job runs 2 min 20 s, and one such
    run, with the garbage collector's heap frozen, grew this process to 23 GB, the machine's
    memory: cause not isolated, so not the default); with a window longer than 6 s a run at 6 s
    windows follows, for many more reconnects."""
    defaults = Settings(api_auth="none")
    after = measure_after_leave(viewers=2 if quick else 6)
    reloads = measure_reload(reloads=2 if quick else 5)
    hour = measure_viewer_hour(minutes=1.0 if quick else 3.0)
    attacks = [measure_attack(50 if quick else 200, cap=defaults.stream_max_per_job)]
    if not quick:
        attacks.append(measure_attack(200, cap=0))
    rates = (10.0, 2.0, 1.0)
    runs = 1 if quick else 3
    latency_window = latency_window_s or (3.0 if quick else 6.0)
    latency = measure_window_latency(rates, window_s=latency_window, windows=3, runs=runs)
    stress_window = 0.0 if quick or latency_window <= 6.0 else 6.0
    stress = (
        measure_window_latency(rates, window_s=stress_window, windows=3, runs=runs)
        if stress_window
        else []
    )
    return StreamsResult(
        after_leave=after,
        reloads=reloads,
        viewer_hour=hour,
        attacks=attacks,
        latency=latency,
        latency_window_s=latency_window,
        cap=defaults.stream_max_per_job,
        window_s=defaults.stream_window_seconds,
        stress_latency=stress,
        stress_window_s=stress_window,
    )


def _gb_seconds_cost(seconds: float, prices: PriceList) -> float:
    return seconds * STREAM_GB * prices.lambda_per_gb_second[ARCH]


def render(result: StreamsResult, prices: PriceList | None = None) -> list[str]:
    prices = prices or PriceList()
    lines = ["## Streams nobody watches", ""]
    lines += [
        "Faithful local Function URL (a disconnect does not stop the stream, as on Lambda), "
        f"template defaults: windows of {result.window_s:g} s, at most {result.cap} streams per "
        f"job, {STREAM_GB * 1024:.0f} MB. Prices: {prices.as_of} list prices, {ARCH}.",
        "",
        "**Function duration billed after the viewer leaves** (viewers read 1-15 s, then drop):",
        "",
        "| job | viewers | p50 | max | ended by | without windows |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for a in result.after_leave:
        reasons = ", ".join(sorted(set(a.reasons)))
        lines.append(
            f"| {a.cadence} | {len(a.seconds)} | {statistics.median(a.seconds):.1f} s | "
            f"{max(a.seconds):.1f} s | {reasons} | up to {NO_WINDOW_SECONDS:.0f} s |"
        )
    worst = max(max(a.seconds) for a in result.after_leave)
    lines += [
        "",
        f"An abandoned viewer costs at most {worst:.0f} s x {STREAM_GB:g} GB = "
        f"${_gb_seconds_cost(worst, prices):.6f} of stream function "
        f"(${_gb_seconds_cost(NO_WINDOW_SECONDS, prices):.6f} without windows: "
        f"{NO_WINDOW_SECONDS / worst:.0f} times as much), plus its polls meanwhile (at most 20 "
        "Queries a minute once idle).",
        "",
        "**Reload** (the same viewer id reconnects at once; the older stream's end after the "
        "newer opened):",
        "",
        "| job | reloads | p50 | max | ended by |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in result.reloads:
        lines.append(
            f"| {r.job} | {len(r.seconds)} | {statistics.median(r.seconds):.2f} s | "
            f"{max(r.seconds):.2f} s | {', '.join(sorted(set(r.reasons)))} |"
        )
    reload_max = max(max(r.seconds) for r in result.reloads)
    lines += [
        "",
        f"A reload costs at most {reload_max:.1f} s of the older stream "
        f"(${_gb_seconds_cost(reload_max, prices):.7f}); without a viewer id it would run to its "
        f"window's end (up to {result.window_s:g} s), without windows up to "
        f"{NO_WINDOW_SECONDS:.0f} s.",
        "",
    ]
    lines += _viewer_hour(result.viewer_hour, prices)
    lines += _attacks(result.attacks, prices, result.window_s)
    lines += _latency(result.latency, result.latency_window_s, result.window_s)
    if result.stress_latency:
        lines += _latency(result.stress_latency, result.stress_window_s, result.window_s)
    return lines


def _viewer_hour(h: ViewerHour, prices: PriceList) -> list[str]:
    per_hour = 60 / h.minutes
    windows = h.connections * per_hour
    reads = sum(v for k, v in h.dynamodb_calls.items() if k in ("GetItem", "Query"))
    writes = sum(v for k, v in h.dynamodb_calls.items() if k in ("PutItem", "DeleteItem"))
    per_window = {k: v / max(h.connections, 1) for k, v in sorted(h.dynamodb_calls.items())}
    mean_window = statistics.mean(h.windows) if h.windows else 0.0
    # What windows add to an hour: the requests, and per window the open (one consistent Query
    # of the job and its slots, the slot's put) and the end (the slot's delete); the polls
    # themselves are the same.
    extra_requests = windows * prices.lambda_per_request
    extra_reads = windows * prices.dynamodb_per_read_unit
    extra_writes = windows * 2 * prices.dynamodb_per_write_unit
    return [
        f"**A viewer-hour with window reconnects** (one viewer of a 1 event/s job for "
        f"{h.minutes:g} min, scaled to an hour): {h.connections} connections in {h.minutes:g} "
        f"min (mean window {mean_window:.1f} s), so {windows:.0f} requests and re-opens an hour; "
        f"{h.events} events delivered, {h.duplicates} replayed twice (re-sent across a window: "
        "none, each connection resumes after the last id). DynamoDB requests of the stream per "
        "connection: "
        + ", ".join(f"{k} {v:.1f}" for k, v in per_window.items())
        + f" ({reads} reads and {writes} writes in all). What the windows add to the hour: "
        f"${extra_requests:.5f} of Lambda requests, ${extra_reads + extra_writes:.5f} of DynamoDB "
        "(per window one Query of the job and its slots, one slot put and one delete), against "
        f"${3600 * STREAM_GB * prices.lambda_per_gb_second[ARCH]:.4f} of stream duration an hour "
        "that a watched stream pays anyway.",
        "",
    ]


def _attacks(attacks: list[Attack], prices: PriceList, window_s: float) -> list[str]:
    lines = [
        "**The attack**: N opens of one job with one token, each dropped as soon as its status "
        "arrived, all at once (nothing but our code limits the streams: the local Function URL "
        "runs every one opened):",
        "",
        "| per-job cap | N | answered | streams still running after 60 s | each ran (max) | "
        "Lambda $ | DynamoDB requests |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for a in attacks:
        answered = ", ".join(f"{count} x {status}" for status, count in a.statuses.items())
        total = sum(a.durations)
        cost = _gb_seconds_cost(total, prices) + a.opens * prices.lambda_per_request
        calls = ", ".join(f"{k} {v}" for k, v in sorted(a.dynamodb_calls.items()))
        lines.append(
            f"| {a.cap or 'none'} | {a.opens} | {answered} | {a.running_after_60s} | "
            f"{max(a.durations, default=0):.1f} s | ${cost:.5f} | {calls} |"
        )
    lines += [
        "",
        f"Without windows each stream that got in would run {NO_WINDOW_SECONDS:.0f} s: "
        f"{attacks[-1].statuses.get(200, 0)} of them hold {attacks[-1].statuses.get(200, 0)} "
        "concurrent executions for 15 minutes "
        f"(${_gb_seconds_cost(NO_WINDOW_SECONDS, prices) * attacks[-1].statuses.get(200, 0):.4f}"
        " per round of opens).",
        "",
    ]
    return lines


def _latency(results: list[WindowLatency], window_s: float, default_window_s: float) -> list[str]:
    if window_s == default_window_s:
        which = f"at the default window, {window_s:g} s; each job crosses at least three"
    else:
        which = (
            f"windows shortened to {window_s:g} s for this run so that each job crosses at least "
            "three, and reconnects far more often than at the default"
        )
    count = len(results[0].p99_ms) if results else 0
    runs = {1: "one run", 3: "three runs"}.get(count, f"{count} runs")
    lines = [
        f"**Latency with windows** ({which}; background jobs; emit-to-client; each run follows "
        f"the same job on a stack with windows off and one with windows on, at once; {runs} "
        "each, the median of the runs' p99):",
        "",
        "| events/s | p99 windows off | p99 windows on | ratio | connections per job (on) | "
        "reconnect gap p50 / max | first event after a reconnect p50 / max |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    by_rate: dict[float, dict[float, WindowLatency]] = {}
    for r in results:
        by_rate.setdefault(r.rate, {})[r.window_s] = r
    for rate, pair in by_rate.items():
        off = next(v for k, v in pair.items() if k == 0)
        on = next(v for k, v in pair.items() if k != 0)
        p99_off = statistics.median(off.p99_ms)
        p99_on = statistics.median(on.p99_ms)
        lines.append(
            f"| {rate:g} | {p99_off:.0f} ms | {p99_on:.0f} ms | {p99_on / p99_off:.2f}x | "
            f"{statistics.median(on.connections):.0f} | {_p50_max(on.gaps_ms)} | "
            f"{_p50_max(on.after_reconnect_ms)} |"
        )
    lines.append("")
    return lines


def _p50_max(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.0f} / {max(values):.0f} ms"


def verdicts(result: StreamsResult) -> list[tuple[str, str, bool]]:
    """(target, figure, met) for the issue's targets."""
    worst = max(max(a.seconds) for a in result.after_leave)
    reload_max = max(max(r.seconds) for r in result.reloads)
    capped = result.attacks[0]
    out = [
        (
            "function duration after the viewer leaves, template defaults: <= 60 s (max)",
            f"{worst:.1f} s",
            worst <= 60,
        ),
        (
            "reload: the older stream of the same viewer ends within 5 s",
            f"{reload_max:.2f} s",
            reload_max <= 5,
        ),
        (
            f"{capped.opens} dropped opens with one token: streams still running after 60 s <= "
            f"the per-job cap ({capped.cap})",
            str(capped.running_after_60s),
            capped.running_after_60s <= capped.cap,
        ),
    ]
    by_rate: dict[float, dict[float, WindowLatency]] = {}
    for r in result.latency:
        by_rate.setdefault(r.rate, {})[r.window_s] = r
    for rate, pair in by_rate.items():
        off = statistics.median(next(v for k, v in pair.items() if k == 0).p99_ms)
        on = statistics.median(next(v for k, v in pair.items() if k != 0).p99_ms)
        out.append(
            (
                f"p99 at {rate:g} events/s with windows on: <= 1.2x without",
                f"{on:.0f} / {off:.0f} ms = {on / off:.2f}x",
                on <= 1.2 * off,
            )
        )
    return out
