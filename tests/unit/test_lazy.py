"""Lazy: built once per container, on first use, with the first call's arguments."""

from __future__ import annotations

import threading

import pytest

from jobstream.lazy import Lazy, LazyPerKey


def test_builds_on_first_call_not_before() -> None:
    builds: list[int] = []
    value = Lazy(lambda: builds.append(1) or "client")

    assert builds == []
    assert not value.built
    assert value() == "client"
    assert value.built
    assert builds == [1]


def test_later_calls_get_the_first_value_whatever_their_arguments() -> None:
    value = Lazy(lambda arn: f"service for {arn}")

    first = value("arn:aws:lambda:eu-west-1:1:function:worker:live")
    later = value("arn:aws:lambda:eu-west-1:1:function:worker:other")

    assert first == later == "service for arn:aws:lambda:eu-west-1:1:function:worker:live"


def test_a_failed_build_is_retried_by_the_next_call() -> None:
    attempts: list[int] = []

    def build() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("endpoint not ready")
        return "client"

    value = Lazy(build)
    with pytest.raises(RuntimeError, match="endpoint not ready"):
        value()
    assert not value.built
    assert value() == "client"
    assert len(attempts) == 2


def test_concurrent_first_calls_build_once() -> None:
    # The build waits (briefly) for every caller to reach it: without the lock all of them would,
    # and each would build its own value; with it, the others wait for the one build.
    callers = 8
    in_build = threading.Semaphore(0)
    builds: list[object] = []

    def build() -> object:
        builds.append(object())
        in_build.release()
        for _ in range(callers - 1):
            if not in_build.acquire(timeout=0.2):
                break
        return builds[0]

    value = Lazy(build)
    start = threading.Barrier(callers)
    results: list[object] = []
    lock = threading.Lock()

    def call() -> None:
        start.wait()
        result = value()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(builds) == 1
    assert results == [builds[0]] * callers


def test_per_key_builds_once_for_each_key_and_keeps_it() -> None:
    builds: list[str] = []
    services = LazyPerKey(lambda arn: builds.append(arn) or f"service for {arn}")

    assert not services.built
    assert services("worker") == "service for worker"
    assert services("worker:live") == "service for worker:live"
    assert services("worker") == "service for worker"
    assert builds == ["worker", "worker:live"]
    services.reset()
    assert not services.built
    services("worker")
    assert builds == ["worker", "worker:live", "worker"]


def test_per_key_concurrent_first_calls_build_once_per_key() -> None:
    builds: list[str] = []
    started = threading.Barrier(8)

    def build(key: str) -> str:
        builds.append(key)
        return key

    services = LazyPerKey(build)

    def call(key: str) -> None:
        started.wait()
        services(key)

    threads = [threading.Thread(target=call, args=(f"k{i % 2}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(builds) == ["k0", "k1"]
