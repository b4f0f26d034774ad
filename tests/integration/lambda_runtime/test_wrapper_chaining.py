"""Our exec wrapper chained with another one (JOBSTREAM_NEXT_EXEC_WRAPPER), as with the ADOT layer.

Lambda runs a single AWS_LAMBDA_EXEC_WRAPPER; the stream function's is ours. The ADOT layer's
/opt/otel-instrument is chained after it: ours execs it with our loop's command line, it sets up
its environment and execs that command. The stand-in below does what otel-instrument does to the
process (exports variables, swaps _HANDLER for its own after keeping the original in
ORIG_HANDLER) and records the arguments and environment it was started with.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from ...conftest import REPO_ROOT
from .conftest import StartRuntime

pytestmark = pytest.mark.integration

FAKE_WRAPPER = """#!/bin/sh
set -eu
printf '%s\\n' "$@" > "{record}.args"
printf '%s\\n' "PYTHONPATH=${{PYTHONPATH:-}}" "_HANDLER=$_HANDLER" > "{record}.env"
export OTEL_STAND_IN=applied
export ORIG_HANDLER="$_HANDLER"
export _HANDLER=fixture_app.handler
exec "$@"
"""


def fake_wrapper(tmp_path: Path) -> tuple[Path, Path]:
    record = tmp_path / "next-wrapper"
    script = tmp_path / "otel-instrument"
    script.write_text(FAKE_WRAPPER.format(record=record))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def test_the_next_wrapper_gets_our_loops_command_and_its_setup_reaches_the_loop(
    start_runtime: StartRuntime, tmp_path: Path
) -> None:
    script, record = fake_wrapper(tmp_path)
    # The handler Lambda was configured with; the stand-in swaps it, as otel-instrument does.
    runtime = start_runtime(
        "fixture_app.configured_handler",
        extra_env={"JOBSTREAM_NEXT_EXEC_WRAPPER": str(script)},
    )
    names = ["OTEL_STAND_IN", "ORIG_HANDLER", "_HANDLER"]
    request_id = runtime.api.invoke({"case": "environ_report", "names": names})
    answer = runtime.api.wait_for_answer(request_id).json()

    assert answer == {
        "OTEL_STAND_IN": "applied",
        "ORIG_HANDLER": "fixture_app.configured_handler",
        "_HANDLER": "fixture_app.handler",
    }
    # Our loop's command, with the interpreter Lambda's runtime command named.
    args = Path(f"{record}.args").read_text().splitlines()
    assert args == [sys.executable, "-m", "jobstream.lambda_runtime"]
    # Our wrapper's own setup came first: the layer (here the source tree) is on the path.
    env = dict(line.split("=", 1) for line in Path(f"{record}.env").read_text().splitlines())
    assert env["PYTHONPATH"].split(":")[0] == str(REPO_ROOT / "shared")
    assert env["_HANDLER"] == "fixture_app.configured_handler"


def test_a_missing_next_wrapper_fails_the_start_loudly(
    start_runtime: StartRuntime, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-wrapper"
    runtime = start_runtime(extra_env={"JOBSTREAM_NEXT_EXEC_WRAPPER": str(missing)})

    assert runtime.process.wait(timeout=20) == 127
    assert f"JOBSTREAM_NEXT_EXEC_WRAPPER={missing} is not an executable file" in runtime.logs()
    assert runtime.api.next_calls == 0


def test_without_a_next_wrapper_the_loop_starts_directly(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": "environ_report", "names": ["ORIG_HANDLER"]})

    assert runtime.api.wait_for_answer(request_id).json() == {"ORIG_HANDLER": None}
