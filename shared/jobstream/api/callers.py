"""Who is calling, from the transport: a JWT in 'Authorization: Bearer', or the IAM principal
Lambda reports for a SigV4-signed request to an AWS_IAM Function URL.

This is the only place that reads either. Below it the caller is a plain string, a job's owner:
the services and the store never see a token, a header or a Lambda event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jobstream.auth.callers import CallerLacksScope, CallerMissing, checked_caller_id
from jobstream.auth.jwt_verifier import JwtClaims, JwtVerifier
from jobstream.errors import ConfigurationError
from jobstream.settings import Settings

# What a request does, for the scopes it needs (Settings.jwt_*_scopes). GET /jobs/types describes
# the deployment, not any job, and needs a valid credential only.
Operation = Literal["create", "read", "cancel", "list"]
# RFC 6749, 3.3: a scope is printable ASCII but space, '"' and '\\' (it goes into a
# WWW-Authenticate header as it is).
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")

JWT_MISSING = "this API needs 'Authorization: Bearer <JWT>' from its identity provider"
IAM_MISSING = (
    "this API needs a SigV4-signed request: its Function URL uses AWS_IAM (no IAM principal "
    "reached the function)"
)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as the owner of jobs: ``owner`` for the jobs it creates; ``former_owner``
    the name the same caller's jobs were stored under before (a JWT's ``sub`` alone, from before
    owners named their issuer), which are still its own (None: there is no such name)."""

    owner: str
    former_owner: str | None = None


class ScopeWithoutJwt(ConfigurationError):
    def __init__(self, mode: str) -> None:
        super().__init__(
            f"JOBSTREAM_JWT_*_SCOPES are checked in JWTs, but JOBSTREAM_API_AUTH is {mode!r}: "
            "leave them empty, or use jwt"
        )


class ScopeMalformed(ConfigurationError):
    def __init__(self, operation: str) -> None:
        super().__init__(
            f"JOBSTREAM_JWT_{operation.upper()}_SCOPES holds a scope with a space, a quote, a "
            "backslash or a character outside printable ASCII (RFC 6749, 3.3)"
        )


def jwt_owner(claims: JwtClaims) -> str:
    """The owner a JWT's caller has: its issuer and subject. OIDC makes ``sub`` unique within
    one issuer only, so two issuers' users with one ``sub`` are two owners. '#' parts them: an
    OIDC issuer URL has no fragment (OpenID Connect Discovery 1.0, 2), so none holds one."""
    return checked_caller_id(f"{claims.issuer}#{claims.subject}", what="JWT's iss and sub")


class CallerAuth:
    """The deployment's caller authentication (Settings.api_auth), built once per app."""

    def __init__(self, settings: Settings) -> None:
        self.mode = settings.api_auth
        # Built at app creation so that a jwt deployment without its settings fails at once
        # (JwtSettingsMissing); PyJWKClient fetches nothing until the first token.
        self._verifier = JwtVerifier.from_settings(settings) if self.mode == "jwt" else None
        self._scopes: dict[Operation, frozenset[str]] = {
            "create": frozenset(settings.jwt_create_scopes),
            "read": frozenset(settings.jwt_read_scopes),
            "cancel": frozenset(settings.jwt_cancel_scopes),
            "list": frozenset(settings.jwt_list_scopes),
        }
        for operation, scopes in self._scopes.items():
            if scopes and self.mode != "jwt":
                raise ScopeWithoutJwt(self.mode)
            if any(_SCOPE.fullmatch(scope) is None for scope in scopes):
                raise ScopeMalformed(operation)

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    def caller(
        self,
        *,
        bearer: str | None,
        event: Mapping[str, Any] | None,
        operation: Operation | None,
    ) -> Caller | None:
        """The caller of this request, or None under "none". ``bearer``: the Authorization
        header's bearer token; ``event``: the Lambda event Mangum received (None elsewhere);
        ``operation``: what the request does, for the scopes it needs (None: none needed).
        CallerMissing, CallerRefused, CallerLacksScope, IdentityProviderUnavailable. May fetch
        the issuer's keys."""
        if self._verifier is not None:
            if not bearer:
                raise CallerMissing(JWT_MISSING)
            claims = self._verifier.caller(bearer)
            # Any one of the operation's scopes will do, as in API Gateway's JWT authorizers.
            required = self._scopes[operation] if operation is not None else frozenset()
            if required and required.isdisjoint(claims.scopes):
                assert operation is not None
                raise CallerLacksScope(operation, required)
            return Caller(owner=jwt_owner(claims), former_owner=claims.subject)
        if self.mode == "iam":
            return Caller(owner=iam_principal(event))
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
    """A request's right to one job: ``caller`` None means its per-job token opened it; else
    only a job of that caller's may answer."""

    job_id: str
    caller: Caller | None

    @property
    def owner(self) -> str | None:
        return None if self.caller is None else self.caller.owner

    @property
    def former_owner(self) -> str | None:
        return None if self.caller is None else self.caller.former_owner
