"""CORS headers on a stream read from the table: for allowed origins through the REST API front,
never from the function behind a Function URL (preflights, refusals: tests/unit/tail/test_cors.py).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from jobstream.auth.tokens import TokenSigner
from jobstream.settings import Settings
from jobstream.store import JobStore
from tests.functional.tail.conftest import LogWriter, parse_sse
from tests.unit.tail.function_url import function_url_event
from tests.unit.tail.test_cors import (
    OTHER,
    SITE,
    cors_headers,
    invoke,
    load_stream_app,
    rest_event,
)


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_stream_app(settings, monkeypatch)


@pytest.fixture
def finished_job(store: JobStore, new_job: Callable[..., str]) -> str:
    job_id = new_job()
    writer = LogWriter(store, job_id)
    writer.progress(2)
    writer.finish()
    return job_id


def test_the_stream_carries_cors_headers_for_an_allowed_origin(
    app: ModuleType, signer: TokenSigner, finished_job: str
) -> None:
    token = signer.issue(finished_job, ttl_seconds=60)
    response = invoke(
        app,
        rest_event(
            f"/jobs/{finished_job}/events",
            headers={"Origin": SITE, "Authorization": f"Bearer {token}"},
        ),
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert cors_headers(response) == {"Access-Control-Allow-Origin": SITE}
    assert response.headers["Vary"] == "Origin"
    assert [e.event for e in parse_sse(response.body)][-1] == "complete"


def test_a_disallowed_origin_gets_the_response_without_cors_headers(
    app: ModuleType, signer: TokenSigner, finished_job: str
) -> None:
    token = signer.issue(finished_job, ttl_seconds=60)
    response = invoke(
        app,
        rest_event(
            f"/jobs/{finished_job}/events",
            headers={"Origin": OTHER, "Authorization": f"Bearer {token}"},
        ),
    )
    # Not refused (a non-browser client may send any Origin): the browser is what enforces CORS.
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert response.headers["Vary"] == "Origin"


def test_a_function_url_event_gets_no_cors_headers_from_the_function(
    app: ModuleType, signer: TokenSigner, finished_job: str
) -> None:
    token = signer.issue(finished_job, ttl_seconds=60)
    response = invoke(
        app,
        function_url_event(
            f"/jobs/{finished_job}/events",
            headers={"Origin": SITE, "Authorization": f"Bearer {token}"},
        ),
    )
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert "Vary" not in response.headers
    # And OPTIONS there is not a preflight the function answers (the URL does): still a 405.
    response = invoke(
        app,
        function_url_event(
            "/jobs/j1/events",
            method="OPTIONS",
            headers={"Origin": SITE, "Access-Control-Request-Method": "GET"},
        ),
    )
    assert response.status_code == 405
    assert cors_headers(response) == {}
