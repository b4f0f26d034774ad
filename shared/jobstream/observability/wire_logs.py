"""Keep botocore's wire logging out of the function logs, whatever level the root logger is at.

At DEBUG botocore logs every request and response body. Those carry job params and results and,
for the API, the idempotency record, which holds the job's bearer token; with LogLevel=DEBUG in
template.yaml Lambda puts the root logger at DEBUG. Capping botocore at INFO keeps what is useful
(retries and credential sources are INFO or above) and drops the bodies.
"""

from __future__ import annotations

import logging
from typing import Final

WIRE_LOGGERS: Final = ("botocore",)


def quiet_wire_logs() -> None:
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
