"""Who is calling, from the transport: a JWT in 'Authorization: Bearer', or the IAM principal
Lambda reports for a SigV4-signed request to an AWS_IAM Function URL.

This is the only place that reads either. Below it the caller is a plain string, a job's owner:
the services and the store never see a token, a header or a Lambda event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobstream.auth.callers import CallerMissing, checked_caller_id
from jobstream.auth.jwt_verifier import JwtVerifier
from jobstream.settings import Settings

JWT_MISSING = "this API needs 'Authorization: Bearer <JWT>' from its identity provider"
IAM_MISSING = (
    "this API needs a SigV4-signed request: its Function URL uses AWS_IAM (no IAM principal "
    "reached the function)"
)


class CallerAuth:
    """The deployment's caller authentication (Settings.api_auth), built once per app."""

    def __init__(self, settings: Settings) -> None:
        self.mode = settings.api_auth
        # Built at app creation so that a jwt deployment without its settings fails at once
        # (JwtSettingsMissing); PyJWKClient fetches nothing until the first token.
        self._verifier = JwtVerifier.from_settings(settings) if self.mode == "jwt" else None

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    def caller(self, *, bearer: str | None, event: Mapping[str, Any] | None) -> str | None:
        """The caller of this request, or None under "none". ``bearer``: the Authorization
        header's bearer token; ``event``: the Lambda event Mangum received (None elsewhere).
        CallerMissing, CallerRefused, IdentityProviderUnavailable. May fetch the issuer's keys."""
        if self._verifier is not None:
            if not bearer:
                raise CallerMissing(JWT_MISSING)
            return self._verifier.caller(bearer)
        if self.mode == "iam":
            return iam_principal(event)
        return None


def iam_principal(event: Mapping[str, Any] | None) -> str:
    """The ARN of the IAM principal that signed the request, as Lambda reports it for an AWS_IAM
    Function URL (requestContext.authorizer.iam.userArn). Lambda writes it after checking the
    signature; a caller cannot set it, and with AuthType NONE there is none (CallerMissing)."""
    context = (event or {}).get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    iam = authorizer.get("iam") if isinstance(authorizer, Mapping) else None
    if not isinstance(iam, Mapping) or iam.get("userArn") is None:
        raise CallerMissing(IAM_MISSING)
    return checked_caller_id(iam.get("userArn"), what="IAM principal")


@dataclass(frozen=True, slots=True)
class JobAccess:
    """A request's right to one job: ``owner`` None means its per-job token opened it; else
    only a job of that owner may answer."""

    job_id: str
    owner: str | None
