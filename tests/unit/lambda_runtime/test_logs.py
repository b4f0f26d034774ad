from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Iterator

import pytest

from jobstream.lambda_runtime.logs import configure_logging, current_request_id


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """A stand-in for the root logger (pytest's own capture handlers sit on the real one).

    It keeps propagating: pytest puts its capture handlers on non-propagating loggers too.
    """
    logger = logging.getLogger(f"test-root-{uuid.uuid4().hex}")
    yield logger
    for handler in logger.handlers:
        handler.close()
    logger.handlers.clear()


def test_json_lines_carry_the_request_id_and_the_error(
    root: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging({"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}, root=root)
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    # The handler captured sys.stdout when it was built: point it at pytest's capture.
    handler.setStream(sys.stdout)
    token = current_request_id.set("req-7")
    try:
        root.info("hello %s", "world")
        try:
            raise ValueError("bad")
        except ValueError:
            root.exception("failed")
    finally:
        current_request_id.reset(token)
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["message"] == "hello world"
    assert first["level"] == "INFO"
    assert first["requestId"] == "req-7"
    assert first["timestamp"].endswith("Z")
    assert second["errorType"] == "ValueError"
    assert isinstance(second["stackTrace"], list)


def test_text_lines_carry_level_and_request_id(
    root: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging({}, root=root)
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sys.stdout)
    token = current_request_id.set("req-8")
    try:
        root.warning("careful")
        root.info("not shown at the default level")
    finally:
        current_request_id.reset(token)
    [line] = capsys.readouterr().out.splitlines()
    level, timestamp, request_id, message = line.split("\t")
    assert (level, request_id, message) == ("[WARNING]", "req-8", "careful")
    assert timestamp.endswith("Z")


def test_the_default_level_is_warning_like_lambdas_python_runtime(root: logging.Logger) -> None:
    configure_logging({}, root=root)
    assert root.level == logging.WARNING
    configure_logging({"AWS_LAMBDA_LOG_LEVEL": "WARN"}, root=root)
    assert len(root.handlers) == 1


def test_existing_logging_configuration_is_left_alone(root: logging.Logger) -> None:
    existing = logging.NullHandler()
    root.addHandler(existing)
    configure_logging({"AWS_LAMBDA_LOG_FORMAT": "JSON"}, root=root)
    assert root.handlers == [existing]
