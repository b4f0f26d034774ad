"""Fixtures of the reliability suite: the real local stack (what `make run` serves) on a table of
its own, with the bench's job types (jobstream_bench.jobs) next to the demo ones."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from jobstream.auth.tokens import TokenSigner
from jobstream.settings import Settings
from jobstream_client import JobsAPI
from jobstream_local.stack import LocalStack

BENCH_REGISTRY = "jobstream_bench.jobs:registry"


def stack_settings(**overrides: object) -> Settings:
    # A table per stack: the embedded moto servers of one process share their tables.
    return Settings(
        table=f"jobstream-rel-{uuid.uuid4().hex[:8]}", job_registry=BENCH_REGISTRY, **overrides
    )


@contextmanager
def running_stack(settings: Settings, *, timeout_s: float = 60) -> Iterator[LocalStack]:
    """A started stack logging warnings only (it logs a line per request and per stream at INFO:
    thousands here); the level is put back afterwards, for the tests that read log lines."""
    logger = logging.getLogger("jobstream")
    level = logger.level
    with LocalStack(
        port=0, function_timeout_s=timeout_s, stream_timeout_s=timeout_s, settings=settings
    ) as running:
        # Set once started: the Powertools loggers set their own level when they are created.
        logger.setLevel(logging.WARNING)
        try:
            yield running
        finally:
            logger.setLevel(level)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with running_stack(stack_settings()) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(30.0)) as client:
        yield client


@pytest.fixture(scope="module")
def api(stack: LocalStack, http: httpx.Client) -> JobsAPI:
    return JobsAPI(stack.url, client=http)


@pytest.fixture(scope="module")
def signer(stack: LocalStack) -> TokenSigner:
    key = stack.settings.token_key
    assert key is not None
    return TokenSigner(key.encode())
