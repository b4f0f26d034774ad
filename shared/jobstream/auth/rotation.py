"""Rotating the token signing key: the four steps Secrets Manager asks a rotation function for.

Secrets Manager calls the rotation function (functions/rotate_token_key) once per step with
``{"SecretId", "ClientRequestToken", "Step"}`` (AWS Secrets Manager User Guide, "Lambda rotation
functions"; the steps below follow AWS's single-user rotation template):

- ``createSecret``: a new random key as the version ``ClientRequestToken``, staged AWSPENDING
  (nothing if that version exists already: a step may run twice).
- ``setSecret``: nothing. The key lives in this secret only; no other system holds a copy.
- ``testSecret``: the pending key signs a token that a verifier holding the pending and the
  current key accepts, and is long enough (jobstream.auth.tokens refuses keys under 32 bytes).
- ``finishSecret``: AWSCURRENT moves to the new version; Secrets Manager then stages the old one
  AWSPREVIOUS, which every verifier still accepts (jobstream.auth.keys), so no token is cut short
  by one rotation: tokens signed with the old key keep working until they expire.

Only a key two rotations old stops verifying; keep the rotation interval (TokenKeyRotationDays)
above the longest token lifetime (ControlTokenTtlSeconds).
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol

from botocore.exceptions import ClientError

from jobstream.auth.keys import CURRENT_STAGE, secret_stage_value
from jobstream.auth.tokens import TokenSigner
from jobstream.errors import ConfigurationError

PENDING_STAGE = "AWSPENDING"
# 64 URL-safe characters, like the secret the template generates at deploy time.
_KEY_BYTES = 48


class RotationRefused(ConfigurationError):
    """The secret is not in a state this step can act on (Secrets Manager retries the step)."""


class RotationClient(Protocol):
    """The Secrets Manager calls rotation makes (boto3's client; moto's in the tests)."""

    # boto3's spelling: SecretId=..., VersionStage=..., ClientRequestToken=..., and so on.
    def describe_secret(self, **request: Any) -> dict[str, Any]: ...
    def get_secret_value(self, **request: Any) -> dict[str, Any]: ...
    def put_secret_value(self, **request: Any) -> dict[str, Any]: ...
    def update_secret_version_stage(self, **request: Any) -> dict[str, Any]: ...


def rotate_step(client: RotationClient, *, secret_id: str, token: str, step: str) -> None:
    """Run one rotation step for version ``token`` of ``secret_id``."""
    metadata = client.describe_secret(SecretId=secret_id)
    versions: dict[str, list[str]] = metadata.get("VersionIdsToStages", {})
    if token not in versions and step != "createSecret":
        raise RotationRefused(f"version {token} of the token key secret is not being rotated")
    stages = versions.get(token, [])
    if CURRENT_STAGE in stages:
        # Already done (a retried finishSecret, or a rotation that finished meanwhile).
        return
    if step != "createSecret" and PENDING_STAGE not in stages:
        raise RotationRefused(f"version {token} of the token key secret is not AWSPENDING")
    if step == "createSecret":
        _create(client, secret_id, token)
    elif step == "setSecret":
        return
    elif step == "testSecret":
        _test(client, secret_id)
    elif step == "finishSecret":
        _finish(client, secret_id, token, versions)
    else:
        raise RotationRefused(f"unknown rotation step {step!r}")


def _create(client: RotationClient, secret_id: str, token: str) -> None:
    if secret_stage_value(client, secret_id, CURRENT_STAGE) is None:
        raise RotationRefused("the token key secret has no AWSCURRENT version to rotate from")
    try:
        client.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage=PENDING_STAGE)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
    else:
        return
    client.put_secret_value(
        SecretId=secret_id,
        ClientRequestToken=token,
        SecretString=secrets.token_urlsafe(_KEY_BYTES),
        VersionStages=[PENDING_STAGE],
    )


def _test(client: RotationClient, secret_id: str) -> None:
    pending = secret_stage_value(client, secret_id, PENDING_STAGE)
    current = secret_stage_value(client, secret_id, CURRENT_STAGE)
    if pending is None or current is None:
        raise RotationRefused("the token key secret has no AWSPENDING or AWSCURRENT version")
    try:
        signed = TokenSigner(pending).issue("rotation-test", ttl_seconds=60)
        TokenSigner(current, previous=[pending]).verify(signed, "rotation-test")
    except ValueError as error:
        raise RotationRefused(f"the pending token key is not usable: {error}") from None


def _finish(
    client: RotationClient, secret_id: str, token: str, versions: dict[str, list[str]]
) -> None:
    current = next(
        (version for version, stages in versions.items() if CURRENT_STAGE in stages), None
    )
    client.update_secret_version_stage(
        SecretId=secret_id,
        VersionStage=CURRENT_STAGE,
        MoveToVersionId=token,
        **({"RemoveFromVersionId": current} if current is not None else {}),
    )
