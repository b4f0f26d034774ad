"""How the local stack adapts Settings: one origin, a token key, margins that fit short timeouts."""

from __future__ import annotations

from jobstream.settings import Settings
from jobstream_local.stack import local_settings

ORIGIN = "http://127.0.0.1:8000"


def adapt(
    base: Settings, *, function_timeout_s: float = 20, stream_timeout_s: float = 60
) -> Settings:
    return local_settings(
        base,
        origin=ORIGIN,
        endpoint_url="http://127.0.0.1:9999",
        function_timeout_s=function_timeout_s,
        stream_timeout_s=stream_timeout_s,
    )


def test_one_origin_and_a_fresh_key_each_start() -> None:
    base = Settings(stream_base_url="https://elsewhere.example", cors_allowed_origins=["https://a"])

    first, second = adapt(base), adapt(base)

    assert first.stream_base_url is None
    assert first.cors_allowed_origins == [ORIGIN, "https://a"]
    assert first.dynamodb_endpoint_url == "http://127.0.0.1:9999"
    assert first.local_function_timeout_s == 20
    assert first.token_key is not None
    assert len(bytes.fromhex(first.token_key)) == 32
    assert first.token_key != second.token_key


def test_a_key_that_is_set_is_kept() -> None:
    assert adapt(Settings(token_key="kept")).token_key == "kept"


def test_margins_shrink_to_fit_short_timeouts_unless_set() -> None:
    short = adapt(Settings(), function_timeout_s=2, stream_timeout_s=4)
    explicit = adapt(
        Settings(chunk_safety_margin_seconds=1.5, stream_deadline_margin_seconds=0.1),
        function_timeout_s=2,
        stream_timeout_s=4,
    )
    long = adapt(Settings(), function_timeout_s=900, stream_timeout_s=900)

    assert (short.chunk_safety_margin_seconds, short.stream_deadline_margin_seconds) == (0.5, 1.0)
    assert explicit.chunk_safety_margin_seconds == 1.5
    assert explicit.stream_deadline_margin_seconds == 0.1
    assert long.chunk_safety_margin_seconds == Settings().chunk_safety_margin_seconds
    assert long.stream_deadline_margin_seconds == Settings().stream_deadline_margin_seconds
