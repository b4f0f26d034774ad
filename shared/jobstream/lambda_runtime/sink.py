"""The Runtime API as a ``ResponseSink``: how one invocation's answer reaches Lambda.

A ``StreamingResponse`` goes out in streaming mode (the prelude JSON and its 8-NUL delimiter as two
chunks, as AWS's Node.js client writes them, then one chunk per body chunk, error trailers if the
body fails); anything else is posted buffered as JSON, so the same runtime also serves asynchronous
invocations (the worker) whose results nobody streams. See docs/lambda-runtime.md.
"""

from __future__ import annotations

import decimal
import http.client
import json
import logging

from jobstream.lambda_runtime.api_client import ResponseStream, RuntimeAPIClient, RuntimeAPIError
from jobstream.lambda_runtime.errors import ErrorReport
from jobstream.lambda_runtime.prelude import (
    HTTP_INTEGRATION_CONTENT_TYPE,
    PRELUDE_DELIMITER,
    PreludeTooLarge,
    encode_prelude,
)
from jobstream.response_stream.response import StreamingResponse

logger = logging.getLogger(__name__)


class RuntimeAPISink:
    def __init__(self, client: RuntimeAPIClient, request_id: str) -> None:
        self._client = client
        self._request_id = request_id
        self._stream: ResponseStream | None = None

    def send_result(self, result: object) -> None:
        try:
            payload = json.dumps(result, default=_json_default).encode()
        except (TypeError, ValueError) as exc:
            logger.error("Handler result is not JSON serializable: %s", exc)
            report = ErrorReport(
                "Runtime.MarshalError",
                f"Unable to marshal response: {exc}",
                request_id=self._request_id,
            )
            self._client.post_error(self._request_id, report)
            return
        self._client.post_response(self._request_id, payload)

    def send_failure(self, error: Exception) -> None:
        self._client.post_error(self._request_id, self._report(error))

    def start_stream(self, response: StreamingResponse) -> bool:
        try:
            prelude = encode_prelude(response)
        except PreludeTooLarge as exc:
            logger.error("%s", exc)
            self.send_failure(exc)
            return False
        try:
            self._stream = self._client.open_stream(
                self._request_id, content_type=HTTP_INTEGRATION_CONTENT_TYPE
            )
            # Two writes, two chunks, exactly like HttpResponseStream.from in AWS's Node.js client:
            # a Runtime API that reads the prelude chunk by chunk must see the delimiter alone.
            self._stream.write(prelude)
            self._stream.write(PRELUDE_DELIMITER)
        except (OSError, http.client.HTTPException) as exc:
            raise RuntimeAPIError(f"streamed response for {self._request_id}: {exc}") from exc
        return True

    def send_chunk(self, chunk: bytes) -> bool:
        assert self._stream is not None, "send_chunk before start_stream"
        try:
            self._stream.write(chunk)
        except (OSError, http.client.HTTPException) as exc:
            # Lambda closed the stream (payload limit, timeout): stop pulling from the handler.
            logger.error("Runtime API closed the response stream: %s", exc)
            self._stream.abort()
            return False
        return True

    def end_stream(self, error: Exception | None) -> None:
        assert self._stream is not None, "end_stream before start_stream"
        self._stream.finish(None if error is None else self._report(error))

    def _report(self, error: Exception) -> ErrorReport:
        return ErrorReport.from_exception(error, request_id=self._request_id)


def _json_default(value: object) -> object:
    # DynamoDB numbers come back as Decimal; Lambda's own runtime serialises them as numbers too.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
