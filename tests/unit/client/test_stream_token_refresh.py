"""EventStream's view-token refresh, against a scripted transport: a token near its expiry is
replaced before the (re)connect that would send it, a refused one once after the refusal, and a
fresh token refused too ends the stream with the server's answer."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from jobstream_client import EventStream, Forbidden, token_expires_at, token_scope

URL = "http://stream.test/jobs/job1/events"
EVENT_1 = b"id: 1\nevent: progress\ndata: {}\n\n"
COMPLETE_2 = b'id: 2\nevent: complete\ndata: {"result": {}}\n\n'
SSE = {"content-type": "text/event-stream"}
REFUSED = httpx.Response(403, json={"error": {"code": "token_invalid", "message": "expired"}})


def token(expires_at: int, scope: str = "view") -> str:
    return f"v2.AAAAAAAA.{scope}.{expires_at}.mac{expires_at}"


def run(
    answer: Callable[[httpx.Request], httpx.Response], stream_kwargs: dict[str, object]
) -> tuple[EventStream, list[str]]:
    sent: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("authorization", ""))
        return answer(request)

    client = httpx.Client(transport=httpx.MockTransport(record))
    stream = EventStream(URL, client=client, sleep=lambda _: None, **stream_kwargs)  # type: ignore[arg-type]
    with stream:
        list(stream)
    client.close()
    return stream, sent


def test_the_token_format_is_read_for_its_expiry_and_scope() -> None:
    assert token_expires_at(token(1_700)) == 1_700.0
    assert token_scope(token(1_700, "control")) == "control"
    assert token_expires_at("v1.123.mac") is None
    assert token_scope("a.jwt.token") is None


def test_a_token_near_its_expiry_is_replaced_before_the_reconnect() -> None:
    now = [1_000.0]
    fresh = iter([token(2_000), token(3_000)])
    answers = iter(
        [
            httpx.Response(200, content=EVENT_1, headers=SSE),
            httpx.Response(200, content=COMPLETE_2, headers=SSE),
        ]
    )

    def answer(request: httpx.Request) -> httpx.Response:
        # Between the two connections the first token comes within the margin of its expiry.
        now[0] = 1_550.0
        return next(answers)

    stream, sent = run(
        answer,
        {
            "token": token(1_600),
            "refresh_token": lambda: next(fresh),
            "refresh_margin_s": 60.0,
            "clock": lambda: now[0],
        },
    )

    assert sent == [f"Bearer {token(1_600)}", f"Bearer {token(2_000)}"]
    assert stream.token_refreshes == 1


def test_a_refused_token_is_replaced_once_and_the_request_made_again_at_once() -> None:
    answers = iter([REFUSED, httpx.Response(200, content=COMPLETE_2, headers=SSE)])
    stream, sent = run(
        lambda _: next(answers),
        {"token": "opaque", "refresh_token": lambda: "fresh", "clock": lambda: 0.0},
    )

    assert sent == ["Bearer opaque", "Bearer fresh"]
    assert stream.token_refreshes == 1
    assert stream.delays == []  # no backoff: a fresh token is not a failure


def test_a_fresh_token_refused_too_ends_the_stream() -> None:
    with pytest.raises(Forbidden):
        run(lambda _: REFUSED, {"token": "opaque", "refresh_token": lambda: "fresh"})


def test_without_a_token_the_first_request_gets_one() -> None:
    stream, sent = run(
        lambda _: httpx.Response(200, content=COMPLETE_2, headers=SSE),
        {"token": None, "refresh_token": lambda: token(9_999_999_999)},
    )

    assert sent == [f"Bearer {token(9_999_999_999)}"]
    assert stream.token_refreshes == 1
