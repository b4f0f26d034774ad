"""jobstream's Lambda runtime: the Runtime API loop that the exec wrapper starts.

The managed Python runtime cannot stream a response; this loop replaces it (see ``exec-wrapper``)
and serves every handler: a ``StreamingResponse`` is streamed, any other result is returned
buffered, exactly as the managed runtime would.
"""

from __future__ import annotations

import json
import logging
import os
import site
import sys
from collections.abc import Callable, Mapping, MutableMapping

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.invocation_context import TRACE_ID_HEADER, InvocationContext
from jobstream.lambda_runtime.api_client import Invocation, RuntimeAPIClient, RuntimeAPIError
from jobstream.lambda_runtime.errors import ErrorReport
from jobstream.lambda_runtime.handler_loader import HandlerLoadError, load_handler
from jobstream.lambda_runtime.logs import configure_logging, current_request_id
from jobstream.lambda_runtime.sink import RuntimeAPISink
from jobstream.lambda_runtime.snapstart import (
    INITIALIZATION_TYPE,
    SNAP_START,
    run_after_restore,
    run_before_snapshot,
)
from jobstream.response_stream.delivery import Handler, deliver

logger = logging.getLogger(__name__)

# X-Ray reads the invocation's trace header from this variable (AWS DG, "Using the Lambda runtime
# API for custom runtimes": "set it as the _X_AMZN_TRACE_ID environment variable").
TRACE_ENV = "_X_AMZN_TRACE_ID"

# Where a Python layer's code lives (AWS DG, "Packaging your layer content": python and
# python/lib/python3.x/site-packages under /opt). The managed runtime puts these on sys.path.
LAYER_ROOT = "/opt/python"

# awslambdaric's exit codes and error types when a SnapStart hook fails (bootstrap.on_init_complete,
# lambda_runtime_exception.FaultException).
BEFORE_SNAPSHOT_ERROR = "Runtime.BeforeSnapshotError"
AFTER_RESTORE_ERROR = "Runtime.AfterRestoreError"
EXIT_BEFORE_SNAPSHOT = 64
EXIT_AFTER_RESTORE = 65


class RuntimeLoop:
    def __init__(
        self,
        client: RuntimeAPIClient,
        handler: Handler,
        *,
        env: MutableMapping[str, str] = os.environ,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._client = client
        self._handler = handler
        self._env = env
        self._clock = clock

    def run_once(self) -> None:
        """Wait for the next invocation and answer it. RuntimeAPIError means: exit."""
        invocation = self._client.next_invocation()
        token = current_request_id.set(invocation.request_id)
        try:
            self._handle(invocation)
        finally:
            current_request_id.reset(token)

    def _handle(self, invocation: Invocation) -> None:
        trace_id = invocation.headers.get(TRACE_ID_HEADER.lower())
        if trace_id:
            self._env[TRACE_ENV] = trace_id
        else:
            self._env.pop(TRACE_ENV, None)
        context = InvocationContext.from_invocation(
            invocation.headers, self._env, clock=self._clock
        )
        try:
            event = json.loads(invocation.payload) if invocation.payload else None
        except ValueError as exc:
            report = ErrorReport(
                "Runtime.UnmarshalError",
                f"Unable to parse the event: {exc}",
                request_id=invocation.request_id,
            )
            self._client.post_error(invocation.request_id, report)
            return
        deliver(self._handler, event, context, RuntimeAPISink(self._client, invocation.request_id))


def main(env: MutableMapping[str, str] = os.environ) -> int:
    configure_logging(env)
    address = env.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        logger.error(
            "AWS_LAMBDA_RUNTIME_API is not set: jobstream.lambda_runtime runs inside Lambda "
            "(started by the exec wrapper) or against a Runtime API emulator"
        )
        return 2
    _add_layer_paths(env)
    client = RuntimeAPIClient(address)
    try:
        handler = load_handler(env.get("_HANDLER", ""), task_root=env.get("LAMBDA_TASK_ROOT"))
    except HandlerLoadError as exc:
        logger.error("Init failed: %s", exc)
        try:
            client.post_init_error(exc.report)
        except RuntimeAPIError as api_error:
            logger.error("Could not report the init error: %s", api_error)
        return 1
    if env.get(INITIALIZATION_TYPE) == SNAP_START:
        failed = _snapshot_and_restore(client)
        if failed:
            return failed
    loop = RuntimeLoop(client, handler, env=env)
    try:
        while True:
            loop.run_once()
    except RuntimeAPIError as exc:
        logger.error("Runtime API failed, exiting: %s", exc)
        return 1


def _snapshot_and_restore(client: RuntimeAPIClient) -> int:
    """SnapStart's handshake, as awslambdaric's ``on_init_complete`` does it: before-snapshot
    hooks, then ``GET /restore/next``, which returns in each restored environment; then the
    after-restore hooks. Returns the exit code of a failure, or 0."""
    try:
        run_before_snapshot()
        client.restore_next()
    except Exception as exc:
        logger.exception("Before the snapshot: failed")
        report = ErrorReport.from_exception(exc)
        # The document names the exception; the header says where it happened.
        _post_quietly(lambda: client.post_init_error(report, error_type=BEFORE_SNAPSHOT_ERROR))
        return EXIT_BEFORE_SNAPSHOT
    try:
        run_after_restore()
    except Exception as exc:
        logger.exception("After the restore: failed")
        report = ErrorReport.from_exception(exc)
        _post_quietly(lambda: client.post_restore_error(report, error_type=AFTER_RESTORE_ERROR))
        return EXIT_AFTER_RESTORE
    return 0


def _post_quietly(post: Callable[[], None]) -> None:
    try:
        post()
    except RuntimeAPIError as api_error:
        logger.error("Could not report the error: %s", api_error)


def _add_layer_paths(env: Mapping[str, str]) -> None:
    """Layer folders go in front of the interpreter's own site-packages, as on the managed runtime,
    so that a layer's boto3 wins over the one the runtime ships."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    root = env.get("JOBSTREAM_LAYER_ROOT", LAYER_ROOT)
    site_packages = os.path.join(root, "lib", version, "site-packages")
    for path in (root, site_packages):
        if os.path.isdir(path) and path not in sys.path:
            sys.path.insert(0, path)
    if os.path.isdir(site_packages):
        # Already on the path, so this only processes its .pth files, as a site directory should.
        site.addsitedir(site_packages)
