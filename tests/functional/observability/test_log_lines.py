"""Every log line of the deployed handlers: JSON with job id and request id, never a token.

One job's whole life goes through the three handlers as Lambda would run them (create with an
Idempotency-Key, the worker's hop, streams with the token in the header and in the query, a
refused token, status, cancel, an idempotent replay), with every logger at DEBUG (what
LogLevel=DEBUG gives on Lambda), while every record any logger emits and everything printed are
captured: Powertools' JSON lines, plain logging records with all their attributes, stdout/stderr.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

# Imported first on purpose: it creates the Powertools Logger for "jobstream" (a Logger finding
# handlers already on its logging logger would leave them alone and format nothing itself).
from jobstream.api.log import logger as powertools_logger
from jobstream.invocation_context import InvocationContext
from jobstream.settings import Settings
from tests.conftest import REPO_ROOT, load_handler_module


class Capture(logging.Handler):
    """Every record: the Powertools JSON line (for jobstream's logger) and all of its raw parts."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.formatter_for_json: logging.Formatter | None = None
        self.json_lines: list[dict[str, Any]] = []
        self.raw: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.getMessage(), repr(record.__dict__)]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        self.raw.append("\n".join(parts))
        if record.name.startswith("jobstream") and self.formatter_for_json is not None:
            line = json.loads(self.formatter_for_json.format(record))
            self.json_lines.append(line)
            self.raw.append(json.dumps(line))


@pytest.fixture
def capture() -> Iterator[Capture]:
    handler = Capture()
    handler.formatter_for_json = powertools_logger.registered_formatter
    loggers = [logging.getLogger(), logging.getLogger("jobstream")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    # The handlers capped botocore's level when they were loaded (at DEBUG, it logs bodies).
    logging.getLogger("botocore").setLevel(logging.NOTSET)
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def _event(name: str, **replace: str) -> dict[str, Any]:
    text = (REPO_ROOT / "events" / name).read_text()
    for placeholder, value in replace.items():
        text = text.replace("{{" + placeholder + "}}", value)
    event: dict[str, Any] = json.loads(text)
    return event


def _context(function: str) -> InvocationContext:
    return InvocationContext.for_timeout(60, function_name=f"stack-{function}")


def test_no_line_holds_the_token_and_every_line_names_its_job_and_request(
    deployed: Settings,
    capture: Capture,
    capsys: pytest.CaptureFixture[str],
    event_loop_for_mangum: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Even if the deployment asks Powertools to log every event.
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    api = load_handler_module("api")
    stream = load_handler_module("stream")
    worker = load_handler_module("worker")

    create = _event("api_create_job.json")
    create["body"] = json.dumps({"type": "demo.count", "params": {"n": 3, "interval_ms": 0}})
    create["headers"]["idempotency-key"] = "log-test-1"
    created = json.loads(api.handler(create, _context("api"))["body"])
    job_id, token = created["job_id"], created["token"]
    control = created["control_token"]
    mac = token.rsplit(".", 1)[1]
    create_lines = len(capture.json_lines)

    worker_reply = worker.handler({"job_id": job_id, "hop": 0}, _context("worker"))
    streamed = stream.handler(
        _event("stream_from_start.json", job_id=job_id, token=token), _context("stream")
    )
    body = b"".join(streamed.body)
    by_query = _event("stream_resume.json", job_id=job_id, token="unused")
    del by_query["headers"]["authorization"]
    # A reloaded page: the token in the query string (Last-Event-ID: 3 still in the header).
    by_query["rawQueryString"] = f"token={token}"
    by_query["queryStringParameters"] = {"token": token}
    resumed = b"".join(stream.handler(by_query, _context("stream")).body)
    refused = stream.handler(
        _event("stream_from_start.json", job_id=job_id, token=token + "x"), _context("stream")
    )
    status = api.handler(_event("api_job_status.json", job_id=job_id, token=token), _context("api"))
    cancel = api.handler(
        _event("api_cancel_job.json", job_id=job_id, token=control), _context("api")
    )
    replay = api.handler(create, _context("api"))

    # The flow did what it should (so the capture below saw a real run).
    assert worker_reply["outcome"] == "finished"
    assert b"event: complete" in body
    assert b"id: 4\n" in resumed
    assert refused.status_code == 403
    assert (status["statusCode"], cancel["statusCode"]) == (200, 202)
    assert json.loads(replay["body"])["job_id"] == job_id  # the idempotent replay

    output = capsys.readouterr()
    everything = [*capture.raw, output.out, output.err]
    assert capture.json_lines
    assert not [text for text in everything if token in text]
    assert not [text for text in everything if mac in text]
    assert not [text for text in everything if control in text]
    assert not [text for text in everything if control.rsplit(".", 1)[1] in text]
    # Structured: the request id on every line, the job id on every line once the job exists
    # (the create's lines before the id is known carry it in their message at most).
    assert all(line.get("function_request_id") for line in capture.json_lines)
    after_create = capture.json_lines[create_lines:]
    assert after_create
    assert all(line.get("job_id") == job_id for line in after_create)
