"""The X-Ray tracer every handler decorates itself with.

Off by itself outside Lambda (no ``LAMBDA_TASK_ROOT``, or ``AWS_SAM_LOCAL``) and with
``POWERTOOLS_TRACE_DISABLED=true``, so tests and the local stack need no X-Ray daemon.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Tracer

# Only botocore: DynamoDB, Lambda and Secrets Manager calls become subsegments. Not patch_all(),
# which would also patch http.client and trace the stream runtime's own Runtime API requests
# (outside any invocation's segment).
PATCHED_MODULES = ("botocore",)


@cache
def tracer() -> Tracer:
    return Tracer(service="jobstream", patch_modules=PATCHED_MODULES)
