"""observe_worker: a worker invocation's chunk metrics, published when it returns or raises."""

from __future__ import annotations

from typing import Any

import pytest

from jobstream.observability import MetricName, observe_durable_worker, observe_worker
from tests.clock import FakeClock
from tests.unit.observability.emf import emf_documents, new_sink, values

pytestmark = pytest.mark.unit


def test_a_hop_records_its_duration_and_steps(capsys: pytest.CaptureFixture[str]) -> None:
    sink = new_sink()
    clock = FakeClock(100.0)

    @observe_worker(sink, clock=clock)
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        clock.advance(1.25)
        return {"outcome": "handed_off", "reason": "", "steps": 7}

    assert handler({}, None) == {"outcome": "handed_off", "reason": "", "steps": 7}

    documents = emf_documents(capsys.readouterr().out)
    assert values(documents, "WorkerHops") == [1.0]
    assert values(documents, "ChunkSteps") == [7.0]
    assert values(documents, "ChunkDuration") == [1250.0]


def test_a_rejected_event_is_counted_apart(capsys: pytest.CaptureFixture[str]) -> None:
    @observe_worker(new_sink())
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        return {"outcome": "rejected"}

    handler({}, None)

    documents = emf_documents(capsys.readouterr().out)
    assert values(documents, "WorkerEventsRejected") == [1.0]
    assert values(documents, "WorkerHops") == []


def test_what_was_recorded_is_published_even_when_the_handler_raises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink = new_sink()

    @observe_worker(sink)
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        sink.count(MetricName.EVENTS_EMITTED, 3)  # e.g. appends made before the failure
        raise RuntimeError("store unavailable")

    with pytest.raises(RuntimeError):
        handler({}, None)

    assert values(emf_documents(capsys.readouterr().out), "EventsEmitted") == [3.0]


def test_a_durable_invocation_counts_as_a_hop_and_publishes_what_its_steps_recorded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink = new_sink()
    clock = FakeClock(100.0)

    @observe_durable_worker(sink, clock=clock)
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        sink.count(MetricName.EVENTS_EMITTED, 4)  # the store's appends during the invocation
        clock.advance(0.5)
        return {"Status": "PENDING"}

    assert handler({}, None) == {"Status": "PENDING"}

    documents = emf_documents(capsys.readouterr().out)
    assert values(documents, "WorkerHops") == [1.0]
    assert values(documents, "ChunkDuration") == [500.0]
    assert values(documents, "EventsEmitted") == [4.0]
    assert values(documents, "ChunkSteps") == []


def test_a_failed_durable_invocation_still_publishes(capsys: pytest.CaptureFixture[str]) -> None:
    sink = new_sink()

    @observe_durable_worker(sink)
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        sink.count(MetricName.EVENTS_EMITTED, 2)
        raise RuntimeError("not a durable invocation")

    with pytest.raises(RuntimeError):
        handler({}, None)

    documents = emf_documents(capsys.readouterr().out)
    assert values(documents, "EventsEmitted") == [2.0]
    assert values(documents, "WorkerHops") == []
