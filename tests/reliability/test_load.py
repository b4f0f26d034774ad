"""Load on the local server: 200 concurrent viewers of one job, 50 concurrent jobs.

Every client must get every event, exactly once and in order; the server's memory must come back
near where it was (a generous bound: the point is to catch per-stream leaks, which would show as
tens of MB per round, not to measure the allocator).

The clients run on one asyncio loop (httpx.AsyncClient + jobstream's SSE parser), resuming with
Last-Event-ID if a stream ends before its terminal event. The viewers connect first and the job
then emits at full speed: the embedded DynamoDB serves every request one at a time (about a hundred
a second on a loaded 2-core machine), so hundreds of streams tailing a slowly paced job would spend
minutes queueing for it; docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jobstream_client import JobsAPI
from jobstream_client.sse import SSEParser
from jobstream_local.stack import LocalStack
from tests.reliability.conftest import running_stack, stack_settings

TERMINAL = frozenset({"complete", "error", "cancelled"})
# Generous (a round of 200 streams adds about 25 MB, mostly stream threads' stacks): a leak
# of a few hundred KB per stream would exceed it.
MAX_RSS_GROWTH_MB = 80
# The local Function URL runs each stream in a thread of a pool of this size (FunctionURLApp's
# max_concurrent); idle pool threads stay parked, so the count may rise to it, never beyond.
STREAM_THREADS = 100


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


async def watch(client: httpx.AsyncClient, url: str, token: str) -> tuple[list[int], int]:
    """Every event id of one job's stream, resuming after drops; and the number of requests."""
    ids: list[int] = []
    requests = 0
    while True:
        requests += 1
        headers = {"Authorization": f"Bearer {token}"}
        if ids:
            headers["Last-Event-ID"] = str(ids[-1])
        parser = SSEParser()
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 204:
                return ids, requests
            assert response.status_code == 200, response.status_code
            async for chunk in response.aiter_raw():
                for event in parser.feed(chunk):
                    ids.append(int(event.id))
                    if event.event in TERMINAL:
                        return ids, requests
        assert requests < 20, "too many reconnects"


async def watch_all(jobs: list[tuple[str, str]]) -> list[tuple[list[int], int]]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    timeout = httpx.Timeout(120.0)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        return await asyncio.gather(*(watch(client, url, token) for url, token in jobs))


def settle_threads(bound: int, timeout: float = 30) -> int:
    """Thread count once at most ``bound`` (the workers' threads end with their jobs)."""
    deadline = time.monotonic() + timeout
    while threading.active_count() > bound and time.monotonic() < deadline:
        time.sleep(0.1)
    return threading.active_count()


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """200 viewers of one job, none naming itself: without the per-job stream cap (at its default
    of 10 the rest would be told 429 and wait their turn, which is tested elsewhere)."""
    with running_stack(stack_settings(stream_max_per_job=0)) as running:
        yield running


@pytest.fixture(scope="module")
def baseline(stack: LocalStack, api: JobsAPI) -> tuple[float, int]:
    """Memory and threads after a small warm-up round (imports, pools, first allocations)."""
    job = api.create("bench.ticks", {"n": 50, "rate": 0})
    asyncio.run(watch_all([(job.events_url, job.token)] * 10))
    threads = threading.active_count()
    gc.collect()
    return rss_mb(), threads


def test_200_concurrent_viewers_of_one_job_each_get_every_event(
    stack: LocalStack, api: JobsAPI, baseline: tuple[float, int]
) -> None:
    rss_before, threads_before = baseline
    events = 200
    # start_delay: the viewers are connected (the first hundred streaming, the rest waiting for
    # a stream thread) before the first event.
    job = api.create("bench.ticks", {"n": events, "rate": 0, "start_delay_ms": 2_000})
    results = asyncio.run(watch_all([(job.events_url, job.token)] * 200))

    for ids, _ in results:
        assert ids == list(range(1, events + 2))
    assert settle_threads(threads_before + STREAM_THREADS) <= threads_before + STREAM_THREADS
    gc.collect()
    assert rss_mb() - rss_before < MAX_RSS_GROWTH_MB


def test_50_concurrent_jobs_each_stream_gets_every_event(
    stack: LocalStack, api: JobsAPI, baseline: tuple[float, int]
) -> None:
    rss_before, threads_before = baseline
    jobs = [api.create("demo.count", {"n": 20, "interval_ms": 0}) for _ in range(50)]
    results = asyncio.run(watch_all([(job.events_url, job.token) for job in jobs]))

    for job, (ids, _) in zip(jobs, results, strict=True):
        assert ids == list(range(1, 22)), job.job_id
        assert stack.jobs.store.get_job(job.job_id).last_event_id == 21
    assert settle_threads(threads_before + STREAM_THREADS) <= threads_before + STREAM_THREADS
    gc.collect()
    assert rss_mb() - rss_before < MAX_RSS_GROWTH_MB
