"""A client for the Lambda Runtime API (version 2018-06-01), streaming responses included.

Paths, headers and status codes: AWS Lambda Developer Guide, "Using the Lambda runtime API for
custom runtimes" and "Building a custom runtime" (response streaming). What each message looks like
on the wire, next to what AWS's own runtime clients send, is in docs/lambda-runtime.md. Every
request opens a fresh connection (``awslambdaric`` does so for ``/init/error``): the API is local to
the sandbox, and a kept-alive socket may not survive the sandbox being frozen between invocations.
"""

from __future__ import annotations

import http.client
import logging
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass

from jobstream import __version__
from jobstream.errors import JobstreamError
from jobstream.lambda_runtime.chunked import encode_chunk, encode_last_chunk
from jobstream.lambda_runtime.errors import ErrorReport

logger = logging.getLogger(__name__)

API_PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY_TRAILER = "Lambda-Runtime-Function-Error-Body"
RESPONSE_MODE_HEADER = "Lambda-Runtime-Function-Response-Mode"
XRAY_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
# Every reference client names itself (awslambdaric: "aws-lambda-python/3.12.4-4.2.2", the Rust
# client: "aws-lambda-rust/<version>"); Lambda may count runtimes by it.
USER_AGENT = f"jobstream/{__version__} python/{platform.python_version()}"


class RuntimeAPIError(JobstreamError):
    """The Runtime API refused a request or broke the connection; the process should exit."""


@dataclass(frozen=True, slots=True)
class Invocation:
    request_id: str
    payload: bytes
    # Header names lower-cased.
    headers: Mapping[str, str]


class RuntimeAPIClient:
    def __init__(self, address: str) -> None:
        # AWS_LAMBDA_RUNTIME_API is "host:port"; HTTPConnection parses that form itself.
        self._address = address

    def _connection(self) -> http.client.HTTPConnection:
        # No timeout: the next-invocation GET blocks until there is an event (the guide says not to
        # time it out), and the sandbox may be frozen in between.
        return http.client.HTTPConnection(self._address, timeout=None)

    def next_invocation(self) -> Invocation:
        status, headers, body = self._request("GET", f"{API_PREFIX}/invocation/next")
        if not _is_success(status):
            # aws-lambda-cpp (under both AWS clients) gives up on any non-2xx answer here.
            raise RuntimeAPIError(f"next invocation: HTTP {status}")
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        if not request_id:
            raise RuntimeAPIError("next invocation: no Lambda-Runtime-Aws-Request-Id header")
        return Invocation(request_id=request_id, payload=body, headers=headers)

    def post_response(self, request_id: str, payload: bytes) -> None:
        self._post(
            f"{API_PREFIX}/invocation/{request_id}/response",
            payload,
            {"Content-Type": "application/json"},
        )

    def post_error(self, request_id: str, report: ErrorReport) -> None:
        headers = {"Content-Type": "application/json", ERROR_TYPE_HEADER: report.header_value}
        cause = report.xray_cause(os.getcwd())
        if cause:
            headers[XRAY_CAUSE_HEADER] = cause
        self._post(f"{API_PREFIX}/invocation/{request_id}/error", report.to_json(), headers)

    def post_init_error(self, report: ErrorReport, *, error_type: str | None = None) -> None:
        """``error_type``: the header's value when it is not the document's (SnapStart's
        ``Runtime.BeforeSnapshotError``, as awslambdaric's ``error_type_override``)."""
        self._post(
            f"{API_PREFIX}/init/error",
            report.to_json(),
            {
                "Content-Type": "application/json",
                ERROR_TYPE_HEADER: error_type or report.header_value,
            },
        )

    def restore_next(self) -> None:
        """SnapStart: tell Lambda init is done and it may snapshot; returns once this process
        has been restored from that snapshot (``awslambdaric``: ``restore_next``)."""
        status, _, body = self._request("GET", f"{API_PREFIX}/restore/next")
        if not _is_success(status):
            raise RuntimeAPIError(f"restore next: HTTP {status}: {body[:500]!r}")

    def post_restore_error(self, report: ErrorReport, *, error_type: str) -> None:
        """SnapStart: an after-restore hook failed (``awslambdaric``: ``report_restore_error``,
        whose header is always ``Runtime.AfterRestoreError``)."""
        self._post(
            f"{API_PREFIX}/restore/error",
            report.to_json(),
            {"Content-Type": "application/json", ERROR_TYPE_HEADER: error_type},
        )

    def open_stream(self, request_id: str, *, content_type: str) -> ResponseStream:
        """Start a streamed response: headers go out now, body chunks with ``write``."""
        connection = self._connection()
        try:
            connection.putrequest("POST", f"{API_PREFIX}/invocation/{request_id}/response")
            connection.putheader("User-Agent", USER_AGENT)
            connection.putheader(RESPONSE_MODE_HEADER, "streaming")
            connection.putheader("Transfer-Encoding", "chunked")
            connection.putheader("Trailer", f"{ERROR_TYPE_HEADER}, {ERROR_BODY_TRAILER}")
            connection.putheader("Content-Type", content_type)
            connection.endheaders()
        except (OSError, http.client.HTTPException):
            connection.close()
            raise
        return ResponseStream(connection, request_id)

    def _post(self, path: str, body: bytes, headers: Mapping[str, str]) -> None:
        status, _, answer = self._request("POST", path, body, headers)
        _check_accepted(status, path, answer)

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = self._connection()
        try:
            connection.request(
                method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})}
            )
            response = connection.getresponse()
            data = response.read()
            return (
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                data,
            )
        except (OSError, http.client.HTTPException) as exc:
            raise RuntimeAPIError(f"{method} {path}: {exc}") from exc
        finally:
            connection.close()


class ResponseStream:
    """The body of one streamed response, written chunk by chunk as the handler yields."""

    def __init__(self, connection: http.client.HTTPConnection, request_id: str) -> None:
        self._connection = connection
        self._request_id = request_id

    def write(self, data: bytes) -> None:
        """Send one chunk now (one socket write). Raises OSError if the Runtime API went away."""
        if data:
            self._connection.send(encode_chunk(data))

    def finish(self, error: ErrorReport | None = None) -> None:
        """End the body (with error trailers if ``error``) and read the Runtime API's answer."""
        trailers = (
            None
            if error is None
            else {ERROR_TYPE_HEADER: error.header_value, ERROR_BODY_TRAILER: error.to_base64()}
        )
        path = f"{API_PREFIX}/invocation/{self._request_id}/response"
        try:
            self._connection.send(encode_last_chunk(trailers))
            response = self._connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise RuntimeAPIError(f"POST {path}: {exc}") from exc
        finally:
            self._connection.close()
        _check_accepted(response.status, path, answer)

    def abort(self) -> None:
        self._connection.close()


def _is_success(status: int) -> bool:
    return 200 <= status <= 299


def _check_accepted(status: int, path: str, answer: bytes) -> None:
    # The guide documents 202, but aws-lambda-cpp (under both AWS clients) takes any 2xx as
    # success and the Node.js streaming client reads no status at all: a 200 or 204 is fine too.
    if _is_success(status):
        return
    detail = answer[:500].decode("utf-8", "replace")
    if status >= 500:
        # The guide: on a 500 from the Runtime API the runtime should exit.
        raise RuntimeAPIError(f"POST {path}: HTTP {status}: {detail}")
    # 400 (bad request id, already answered), 403, 413 (payload too large): the invocation is
    # lost, the sandbox is fine. Logged (without the payload) and the loop continues.
    logger.error("Runtime API rejected POST %s: HTTP %s: %s", path, status, detail)
