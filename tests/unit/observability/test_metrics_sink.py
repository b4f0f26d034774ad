from __future__ import annotations

import threading

import pytest

from jobstream.observability import MetricName
from jobstream.observability.metrics import metrics_sink
from tests.unit.observability.emf import emf_documents, namespaces, new_sink, values

pytestmark = pytest.mark.unit


def test_flush_publishes_one_emf_document_then_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    sink = new_sink()
    sink.count(MetricName.STREAMS)
    sink.milliseconds(MetricName.CHUNK_DURATION, 1234.5)

    sink.flush()
    sink.flush()  # nothing recorded since: no line, and no Powertools "empty metrics" warning

    documents = emf_documents(capsys.readouterr().out)
    assert len(documents) == 1
    assert values(documents, "Streams") == [1.0]
    assert values(documents, "ChunkDuration") == [1234.5]
    [directive] = documents[0]["_aws"]["CloudWatchMetrics"]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "Streams": "Count",
        "ChunkDuration": "Milliseconds",
    }
    assert directive["Dimensions"] == [["service"]]


def test_namespace_and_stage_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "acme-jobs")
    monkeypatch.setenv("JOBSTREAM_STAGE", "prod")
    sink = metrics_sink()
    sink.count(MetricName.RECONNECTS)
    sink.flush()

    [document] = emf_documents(capsys.readouterr().out)
    assert namespaces([document]) == {"acme-jobs"}
    assert document["stage"] == "prod"
    assert sorted(document["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == [
        "service",
        "stage",
    ]


def test_namespace_defaults_to_jobstream(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    sink = metrics_sink()
    sink.count(MetricName.STREAMS)
    sink.flush()
    assert namespaces(emf_documents(capsys.readouterr().out)) == {"jobstream"}


def test_recording_from_threads_while_flushing_loses_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink = new_sink()
    threads_n, per_thread = 4, 500
    start = threading.Barrier(threads_n + 1)

    def record() -> None:
        start.wait()
        for _ in range(per_thread):
            sink.count(MetricName.EVENTS_EMITTED, 1)

    threads = [threading.Thread(target=record) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    start.wait()
    while any(thread.is_alive() for thread in threads):
        sink.flush()
    for thread in threads:
        thread.join()
    sink.flush()

    # Powertools also publishes by itself every 100 values of a metric: all lines count.
    recorded = values(emf_documents(capsys.readouterr().out), "EventsEmitted")
    assert sum(recorded) == threads_n * per_thread
