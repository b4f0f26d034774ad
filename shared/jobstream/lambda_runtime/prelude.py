"""The metadata prelude of a streamed HTTP response (Function URL / API Gateway integration).

AWS Lambda Developer Guide, "Building a custom runtime" / response streaming, and the Node.js
runtime interface client (``HttpResponseStream.from`` in npm ``aws-lambda-ric``): with Content-Type
``application/vnd.awslambda.http-integration-response`` the body starts with a JSON object
``{"statusCode", "headers", "cookies"}`` followed by exactly 8 NUL bytes; what follows is the raw
HTTP response body. The Node.js and Rust clients write the JSON and the 8 NUL bytes as two separate
writes (two HTTP chunks) before any body byte; so does ``RuntimeAPISink``.
"""

from __future__ import annotations

import json

from jobstream.errors import JobstreamError
from jobstream.response_stream.response import StreamingResponse

HTTP_INTEGRATION_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
PRELUDE_DELIMITER = b"\x00" * 8
# Third parties report a 16 KiB ceiling on the prelude; failing early beats a 502 on AWS only.
MAX_PRELUDE_BYTES = 16 * 1024


class PreludeTooLarge(JobstreamError, ValueError):
    pass


def encode_prelude(response: StreamingResponse) -> bytes:
    """The prelude JSON: the first write of the body; ``PRELUDE_DELIMITER`` is the second."""
    prelude = json.dumps(
        {
            "statusCode": response.status_code,
            "headers": dict(response.headers),
            "cookies": list(response.cookies),
        },
        separators=(",", ":"),
    ).encode()
    if len(prelude) > MAX_PRELUDE_BYTES:
        raise PreludeTooLarge(
            f"response prelude is {len(prelude)} bytes; keep headers and cookies under "
            f"{MAX_PRELUDE_BYTES} bytes"
        )
    return prelude
