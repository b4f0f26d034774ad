from __future__ import annotations

import pytest

from jobstream.settings import Settings


def test_stream_max_seconds_is_read_from_the_issue_trackers_name_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JOBSTREAM_STREAM_MAX_SECONDS", raising=False)
    monkeypatch.setenv("STREAM_MAX_SECONDS", "120")
    assert Settings().stream_max_seconds == 120


def test_prefixed_stream_max_seconds_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAM_MAX_SECONDS", "120")
    monkeypatch.setenv("JOBSTREAM_STREAM_MAX_SECONDS", "60")
    assert Settings().stream_max_seconds == 60


def test_stream_max_seconds_defaults_to_none_and_accepts_a_keyword(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STREAM_MAX_SECONDS", raising=False)
    monkeypatch.delenv("JOBSTREAM_STREAM_MAX_SECONDS", raising=False)
    assert Settings().stream_max_seconds is None
    assert Settings(stream_max_seconds=30).stream_max_seconds == 30
