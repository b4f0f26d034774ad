"""SnapStart's restore handshake (docs/lambda-runtime.md, "Row 7: SnapStart"), on the wire.

With ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`` Lambda initialises a published version, waits for
the runtime's ``GET /runtime/restore/next``, snapshots the process while that request is held, and
answers it in every environment restored from the snapshot. AWS's Python runtime client
(awslambdaric 4.0.1, ``bootstrap.on_init_complete``) runs the before-snapshot hooks, asks for
``/restore/next``, runs the after-restore hooks, then asks for invocations; a failing hook is
posted to ``/init/error`` (``Runtime.BeforeSnapshotError``, exit 64) or ``/restore/error``
(``Runtime.AfterRestoreError``, exit 65). The runtime runs as Lambda starts it, against the
recording Runtime API, which holds ``/restore/next`` until the test restores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jobstream_sandbox.recording_runtime_api import API

from .conftest import StartRuntime

ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
SNAPSTART_ENV = {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
BEFORE = ["before-aws", "before-2", "before-1"]
AFTER = ["after-1", "after-2", "after-aws"]


def _hooks(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").split() if log.exists() else []


def test_row_snapstart_hooks_around_the_held_restore_request(
    start_runtime: StartRuntime, tmp_path: Path
) -> None:
    log = tmp_path / "hooks.log"
    runtime = start_runtime(
        "snapstart_app.handler", extra_env={**SNAPSTART_ENV, "HOOK_LOG": str(log)}
    )
    api = runtime.api
    restore = api.wait_for(lambda r: r.kind == "restore-next", what="GET /restore/next")
    # Before the snapshot: every before-snapshot hook has run (last registered first, ours and
    # snapshot_restore_py's), no after-restore hook, and no invocation asked for.
    assert restore.request_line == f"GET {API}/restore/next HTTP/1.1"
    assert restore.body == b""
    assert restore.headers["user-agent"].startswith("jobstream/")
    assert _hooks(log) == BEFORE
    assert api.next_calls == 0

    api.restore()
    request_id = api.invoke({})
    answer = api.wait_for_answer(request_id)
    assert _hooks(log) == BEFORE + AFTER
    first_next = next(r for r in api.requests if r.kind == "next")
    assert first_next.received_at > restore.received_at
    # The snapshot froze random's seeded state; the restored process drew from a new one.
    result = answer.json()
    assert result["draw"] != result["seeded_draw"]
    assert runtime.process.poll() is None


def test_row_snapstart_not_asked_for_without_snap_start_init(
    start_runtime: StartRuntime, tmp_path: Path
) -> None:
    log = tmp_path / "hooks.log"
    runtime = start_runtime("snapstart_app.handler", extra_env={"HOOK_LOG": str(log)})
    request_id = runtime.api.invoke({})
    result = runtime.api.wait_for_answer(request_id).json()
    assert [r.kind for r in runtime.api.requests][:1] == ["next"]
    assert not any(r.kind.startswith("restore") for r in runtime.api.requests)
    assert _hooks(log) == []
    # No SnapStart, no reseed: the draw is the seeded one.
    assert result["draw"] == result["seeded_draw"]


def test_row_snapstart_before_snapshot_error(start_runtime: StartRuntime, tmp_path: Path) -> None:
    log = tmp_path / "hooks.log"
    runtime = start_runtime(
        "snapstart_app.handler",
        extra_env={**SNAPSTART_ENV, "HOOK_LOG": str(log), "FAIL_HOOK": "before-2"},
    )
    assert runtime.process.wait(timeout=60) == 64, runtime.logs()
    error = runtime.api.wait_for(lambda r: r.kind == "init-error", what="POST /init/error")
    assert error.headers[ERROR_TYPE.lower()] == "Runtime.BeforeSnapshotError"
    document = error.json()
    assert document["errorType"] == "HookFailed"
    assert document["errorMessage"] == "before-2 failed on purpose"
    assert document["requestId"] == ""
    # The hooks after the failing one did not run; nothing asked for a restore or an invocation.
    assert _hooks(log) == ["before-aws", "before-2"]
    assert [r.kind for r in runtime.api.requests] == ["init-error"]


@pytest.mark.parametrize("failing", ["after-1", "after-aws"])
def test_row_snapstart_after_restore_error(
    start_runtime: StartRuntime, tmp_path: Path, failing: str
) -> None:
    log = tmp_path / "hooks.log"
    runtime = start_runtime(
        "snapstart_app.handler",
        extra_env={**SNAPSTART_ENV, "HOOK_LOG": str(log), "FAIL_HOOK": failing},
    )
    runtime.api.wait_for(lambda r: r.kind == "restore-next", what="GET /restore/next")
    runtime.api.restore()
    assert runtime.process.wait(timeout=60) == 65, runtime.logs()
    error = runtime.api.wait_for(lambda r: r.kind == "restore-error", what="POST /restore/error")
    assert error.request_line == f"POST {API}/restore/error HTTP/1.1"
    assert error.headers[ERROR_TYPE.lower()] == "Runtime.AfterRestoreError"
    assert error.headers["content-type"] == "application/json"
    assert error.json()["errorType"] == "HookFailed"
    assert _hooks(log) == BEFORE + AFTER[: AFTER.index(failing) + 1]
    assert runtime.api.next_calls == 0
