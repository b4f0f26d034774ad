from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobstream.tail.errors import StreamRejected
from jobstream.tail.request import parse_last_event_id, parse_stream_request
from tests.unit.tail.function_url import function_url_event


def test_reads_job_id_token_and_last_event_id_from_headers() -> None:
    event = function_url_event(
        "/jobs/abc_123-X/events",
        headers={"Authorization": "Bearer tok.en", "Last-Event-ID": "42"},
    )
    request = parse_stream_request(event)
    assert request.job_id == "abc_123-X"
    assert request.token == "tok.en"
    assert request.last_event_id == "42"


def test_query_parameters_are_used_when_headers_are_absent() -> None:
    event = function_url_event("/jobs/j1/events", query={"token": "t1", "last_event_id": "7"})
    request = parse_stream_request(event)
    assert (request.token, request.last_event_id) == ("t1", "7")


def test_last_event_id_header_wins_over_query_parameter() -> None:
    event = function_url_event(
        "/jobs/j1/events", headers={"last-event-id": "9"}, query={"last_event_id": "3"}
    )
    assert parse_stream_request(event).last_event_id == "9"


def test_repeated_query_parameter_takes_the_first_value_not_a_comma_join() -> None:
    event = function_url_event("/jobs/j1/events")
    event["rawQueryString"] = "token=first&token=second"
    event["queryStringParameters"] = {"token": "first,second"}
    assert parse_stream_request(event).token == "first"


def test_token_is_not_in_the_request_repr() -> None:
    event = function_url_event("/jobs/j1/events", headers={"authorization": "Bearer s3cret"})
    assert "s3cret" not in repr(parse_stream_request(event))


def test_rest_api_v1_event_shape_is_understood() -> None:
    event = {
        "path": "/jobs/j1/events",
        "httpMethod": "GET",
        "headers": {"Authorization": "Bearer t", "Last-Event-ID": "5"},
        "queryStringParameters": None,
    }
    request = parse_stream_request(event)
    assert (request.job_id, request.token, request.last_event_id) == ("j1", "t", "5")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/jobs",
        "/jobs/j1",
        "/jobs/j1/events/",
        "/jobs//events",
        "/jobs/a/b/events",
        "/jobs/j%2F1/events",
        "/jobs/../events",
        "/jobs/j1/status",
        "/JOBS/j1/events",
        "/jobs/" + "x" * 129 + "/events",
    ],
)
def test_unknown_path_is_404(path: str) -> None:
    with pytest.raises(StreamRejected) as caught:
        parse_stream_request(function_url_event(path))
    assert caught.value.status_code == 404
    assert caught.value.payload()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"])
def test_other_methods_are_405_with_allow_header(method: str) -> None:
    with pytest.raises(StreamRejected) as caught:
        parse_stream_request(function_url_event("/jobs/j1/events", method=method))
    assert caught.value.status_code == 405
    assert caught.value.headers == {"Allow": "GET"}
    assert method in caught.value.message


def test_event_without_method_is_405_not_a_crash() -> None:
    event = function_url_event("/jobs/j1/events")
    del event["requestContext"]
    with pytest.raises(StreamRejected) as caught:
        parse_stream_request(event)
    assert caught.value.status_code == 405


def test_event_without_path_is_404_not_a_crash() -> None:
    with pytest.raises(StreamRejected) as caught:
        parse_stream_request({})
    assert caught.value.status_code == 404


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("", None), ("0", 0), ("17", 17), ("000000000009", 9), ("9" * 12, 10**12 - 1)],
)
def test_valid_last_event_ids(raw: str | None, expected: int | None) -> None:
    assert parse_last_event_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("-1", "non-negative integer"),
        ("1.5", "non-negative integer"),
        ("abc", "non-negative integer"),
        (" 5", "non-negative integer"),
        ("+5", "non-negative integer"),
        ("5,6", "non-negative integer"),
        ("\u00b2", "non-negative integer"),
        ("\u0663", "non-negative integer"),
        ("1" * 13, "too long"),
        ("x" * 10_000, "too long"),
    ],
)
def test_malformed_last_event_id_is_400_saying_why(raw: str, why: str) -> None:
    with pytest.raises(StreamRejected) as caught:
        parse_last_event_id(raw)
    assert caught.value.status_code == 400
    assert caught.value.error == "invalid_last_event_id"
    assert why in caught.value.message


@given(
    path=st.one_of(st.text(max_size=60), st.just("/jobs/j1/events")),
    method=st.one_of(st.text(max_size=8), st.sampled_from(["GET", "get", "POST"])),
    headers=st.dictionaries(
        st.sampled_from(["authorization", "Last-Event-ID", "x"]), st.text(max_size=40), max_size=3
    ),
    raw_query=st.text(max_size=60),
)
def test_any_request_is_either_understood_or_refused_with_a_4xx(
    path: str, method: str, headers: dict[str, str], raw_query: str
) -> None:
    event = function_url_event(path, method=method, headers=headers)
    event["rawQueryString"] = raw_query
    refused: StreamRejected | None = None
    try:
        request = parse_stream_request(event)
        parse_last_event_id(request.last_event_id)
    except StreamRejected as rejected:
        refused = rejected
    if refused is not None:
        assert 400 <= refused.status_code < 500
        assert refused.payload()["error"]["message"]


def test_a_malformed_viewer_id_is_a_400_before_anything_is_read() -> None:
    event = {
        "version": "2.0",
        "rawPath": "/jobs/j1/events",
        "rawQueryString": "viewer=" + "x" * 65,
        "headers": {},
        "requestContext": {"http": {"method": "GET"}},
    }
    with pytest.raises(StreamRejected) as rejected:
        parse_stream_request(event)
    assert rejected.value.status_code == 400
    assert rejected.value.error == "invalid_viewer"
    event["rawQueryString"] = "viewer=tab_1-A"
    assert parse_stream_request(event).viewer == "tab_1-A"
    event["headers"] = {"viewer-id": "hdr"}
    assert parse_stream_request(event).viewer == "hdr"
