"""Token key rotation function: Secrets Manager calls it for each step of rotating TokenKeySecret.

Transport only: read ``{"SecretId", "ClientRequestToken", "Step"}`` and hand them to
jobstream.auth.rotation.rotate_step with a Secrets Manager client; what each step does (and why
no token is cut short by a rotation) lives there.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobstream import observability
from jobstream.auth.rotation import RotationClient, rotate_step
from jobstream.lazy import Lazy
from jobstream.settings import Settings

logger = Logger(service="jobstream")
# No request/response bodies from botocore in the log, even at DEBUG (the key itself).
observability.quiet_wire_logs()

_settings = Lazy(Settings)


def _build_client() -> RotationClient:
    client: RotationClient = boto3.client("secretsmanager", region_name=_settings().region)
    return client


_client = Lazy(_build_client)


# log_event=False: the event names the secret and version only, but nothing here needs it logged.
@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    step = str(event["Step"])
    logger.info("token key rotation step", extra={"step": step})
    rotate_step(
        _client(),
        secret_id=str(event["SecretId"]),
        token=str(event["ClientRequestToken"]),
        step=step,
    )
