"""Per-job bearer tokens: an HMAC over the job id and an expiry.

Stateless on purpose: the stream function can check a token without a DynamoDB read, and a token for
one job can never open another because the job id is inside the MAC. Format (URL-safe, no padding):
``v1.<expires_at as integer epoch seconds>.<base64url(HMAC-SHA256(key, "v1|job_id|expires_at"))>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.errors import JobstreamError

_VERSION = "v1"
# Refuse absurd inputs before doing any work: a real token is ~60 characters.
_MAX_TOKEN_CHARS = 512


class TokenError(JobstreamError):
    """Base class; the message is safe to show a client (it never echoes the token)."""


class TokenMissing(TokenError):
    def __init__(self) -> None:
        super().__init__(
            "a bearer token is required: send 'Authorization: Bearer <token>' or '?token=<token>'"
        )


class TokenInvalid(TokenError):
    def __init__(self, reason: str = "the token is not valid for this job") -> None:
        super().__init__(reason)


class TokenExpired(TokenInvalid):
    def __init__(self) -> None:
        super().__init__("the token has expired")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class TokenSigner:
    def __init__(self, key: bytes, *, clock: Clock = SYSTEM_CLOCK) -> None:
        if len(key) < 32:
            raise ValueError("token signing key must be at least 32 bytes")
        self._key = key
        self._clock = clock

    def _mac(self, job_id: str, expires_at: int) -> str:
        message = f"{_VERSION}|{job_id}|{expires_at}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def issue(self, job_id: str, *, ttl_seconds: float) -> str:
        expires_at = int(self._clock.time() + ttl_seconds)
        return f"{_VERSION}.{expires_at}.{self._mac(job_id, expires_at)}"

    def verify(self, token: str | None, job_id: str) -> None:
        """Return if ``token`` opens ``job_id``: raise a TokenError."""
        if not token:
            raise TokenMissing()
        if len(token) > _MAX_TOKEN_CHARS:
            raise TokenInvalid()
        parts = token.split(".")
        # isascii(): str.isdigit() accepts "²" and other digits int() then refuses.
        if (
            len(parts) != 3
            or parts[0] != _VERSION
            or not (parts[1].isascii() and parts[1].isdigit())
        ):
            raise TokenInvalid("the token is malformed")
        expires_at = int(parts[1])
        expected = self._mac(job_id, expires_at)
        # Constant-time comparison: the MAC must not leak byte by byte through timing.
        if not hmac.compare_digest(expected.encode(), parts[2].encode()):
            raise TokenInvalid()
        if self._clock.time() >= expires_at:
            raise TokenExpired()


def is_job_token(token: str) -> bool:
    """True if ``token`` has the shape of a per-job token (never of a JWT, whose first part is
    base64url JSON): tells the two apart when both may arrive as 'Authorization: Bearer'."""
    parts = token.split(".")
    return len(parts) == 3 and parts[0] == _VERSION and parts[1].isascii() and parts[1].isdigit()


def bearer_token(authorization: str | None, query_token: str | None) -> str | None:
    """The token from ``Authorization: Bearer``, else from the ``token`` query parameter."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    return query_token or None
