"""What each handler module loads on a cold start, imported in a fresh interpreter as Lambda does.

A cold stream pays every import before its first byte, so the stream handler loads the read path
only: no job engine (jobstream.jobs arrives with the first stream of an inline job), no API
framework, no pydantic (settings are read without it) and no tracing SDK. No handler loads the
retiring X-Ray SDK: tracing is Lambda's own or the ADOT layer's (docs/deploy.md, "Tracing").
The import times themselves are a bench figure (`make bench`), not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ..conftest import REPO_ROOT

pytestmark = pytest.mark.integration

FUNCTIONS = REPO_ROOT / "functions"
REPORT = "import json, sys; import app; print(json.dumps(sorted(sys.modules)))"


def loaded_modules(handler: str, **env: str) -> set[str]:
    """Every module in sys.modules after ``import app`` in the function's folder (its task root)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JOBSTREAM_", "PYTHON"))}
    completed = subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=FUNCTIONS / handler,
        # JOBSTREAM_API_AUTH has no default: the template sets it on every function.
        env={**clean, "AWS_DEFAULT_REGION": "us-east-1", "JOBSTREAM_API_AUTH": "none", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    modules: list[str] = json.loads(completed.stdout.splitlines()[-1])
    return set(modules)


def packages(modules: set[str]) -> set[str]:
    return {module.split(".")[0] for module in modules}


def test_the_stream_handler_loads_the_read_path_only() -> None:
    modules = loaded_modules("stream", JOBSTREAM_WORKER_FUNCTION="stack-worker")

    assert {"jobstream.tail.service", "jobstream.store.job_store", "boto3"} <= modules
    assert sorted(m for m in modules if m.startswith("jobstream.jobs")) == []
    assert packages(modules).isdisjoint(
        {"fastapi", "mangum", "starlette", "pydantic", "pydantic_settings"}
    )
    assert packages(modules).isdisjoint({"aws_xray_sdk", "opentelemetry"})


@pytest.mark.parametrize("driver", ["chain", "durable"])
def test_the_worker_handler_loads_no_xray_sdk(driver: str) -> None:
    # As on Lambda (a Runtime API address set): the worker picks its driver's entry during init, so
    # the durable SDK arrives with the cold start under durable only.
    modules = loaded_modules(
        "worker", JOBSTREAM_DRIVER=driver, AWS_LAMBDA_RUNTIME_API="127.0.0.1:9"
    )

    assert "jobstream.jobs.service" in modules
    assert ("jobstream.jobs.durable_sdk" in modules) == (driver == "durable")
    assert "aws_xray_sdk" not in packages(modules)


def test_the_api_handler_loads_no_xray_sdk() -> None:
    modules = loaded_modules("api")

    assert {"jobstream.api.app", "mangum"} <= modules
    assert "aws_xray_sdk" not in packages(modules)


def test_the_sweep_handler_loads_the_sweep_and_no_api_framework_or_xray_sdk() -> None:
    # As on Lambda: its settings and store are built during init.
    modules = loaded_modules("sweep", AWS_LAMBDA_RUNTIME_API="127.0.0.1:9")

    assert {"jobstream.jobs.sweep", "jobstream.store.sweep_index"} <= modules
    assert packages(modules).isdisjoint({"fastapi", "mangum", "starlette", "aws_xray_sdk"})
