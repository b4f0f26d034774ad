"""How long a warm jobs API function takes to answer GET /jobs/{id}: what a polling client pays.

The API handler (functions/api/app.py) is loaded in this process and configured from the
environment as template.yaml configures it, against the DynamoDB server the caller gives; after a
few warm-up requests, each request's wall time is what Lambda would bill (rounded up to the ms).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

from jobstream.auth.tokens import TokenSigner
from jobstream.invocation_context import InvocationContext
from jobstream_local.invoke import fill_placeholders


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def status_request_ms(
    functions_dir: Path,
    *,
    job_id: str,
    key: str,
    environment: dict[str, str],
    requests: int = 50,
    warm_up: int = 5,
) -> float:
    """Median wall time (ms) of a warm GET /jobs/{job_id} through the API handler."""
    template = json.loads((functions_dir.parent / "events" / "api_job_status.json").read_text())
    token = TokenSigner(key.encode()).issue(job_id, ttl_seconds=3_600)
    event = fill_placeholders(template, {"job_id": job_id, "token": token})
    spec = importlib.util.spec_from_file_location(
        "jobstream_bench_api_app", functions_dir / "api" / "app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    timings: list[float] = []
    # The handler logs each request to stdout (its Powertools Logger, as on Lambda): to /dev/null
    # here, not into the bench's output.
    with _environment(environment), open(os.devnull, "w") as log, redirect_stdout(log):
        spec.loader.exec_module(module)
        for index in range(warm_up + requests):
            context = InvocationContext.for_timeout(10, function_name="bench-api")
            started = time.perf_counter()
            reply = module.handler(event, context)
            elapsed = (time.perf_counter() - started) * 1000
            if reply["statusCode"] != 200:
                raise AssertionError(f"GET /jobs/{job_id} answered {reply['statusCode']}")
            if index >= warm_up:
                timings.append(elapsed)
    return statistics.median(timings)
