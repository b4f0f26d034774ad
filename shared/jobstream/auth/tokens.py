"""Per-job bearer tokens: an HMAC over the job id, a scope, an expiry and the signing key's id.

Stateless on purpose: the stream function can check a token without a DynamoDB read, and a token for
one job can never open another because the job id is inside the MAC. Format (URL-safe, no padding):
``v2.<kid>.<scope>.<expires_at>.<base64url(HMAC-SHA256(key, "v2|kid|scope|job_id|expires_at"))>``.

- ``scope``: ``view`` reads the job (status, stream); ``control`` also cancels it and gets fresh
  view tokens (POST /jobs/{id}/token). A control token is never accepted in a URL: it is kept by the
  job's creator and sent in ``Authorization`` only, so a shared or leaked link can only watch.
- ``kid``: which key signed it (a digest of the key, which it does not reveal). A verifier holds the
  current and the previous key (Secrets Manager's AWSCURRENT and AWSPREVIOUS), as a JWKS keeps the
  old and the new key during a rotation, and asks for the keys again when a token names a key it
  does not know (jobstream.auth.keys), so a container whose cache predates a rotation still agrees
  with one that signs with the new key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import Literal

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.errors import JobstreamError

_VERSION = "v2"
# Refuse absurd inputs before doing any work: a real token is ~80 characters.
_MAX_TOKEN_CHARS = 512
_KID_CHARS = 8

Scope = Literal["view", "control"]
_CONTROL = "control"
_SCOPES: frozenset[str] = frozenset({"view", _CONTROL})


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


class TokenScopeTooNarrow(TokenInvalid):
    """A valid view token where control is needed, or a control token where it may not travel."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def key_id(key: bytes) -> str:
    """The id a token carries for the key that signed it: a domain-separated digest, so it says
    which key without saying anything about it (and is the same in every container)."""
    return _b64(hashlib.sha256(b"jobstream token key id|" + key).digest())[:_KID_CHARS]


def _checked_key(key: bytes) -> bytes:
    if len(key) < 32:
        raise ValueError("token signing key must be at least 32 bytes")
    return key


class TokenSigner:
    """Issues tokens with ``key`` and verifies tokens of ``key`` or any of ``previous``.

    ``more_keys`` is asked once per token that names a key this signer does not hold; it returns
    the keys as they are now (jobstream.auth.keys fetches them again, at most so often) or none.
    """

    def __init__(
        self,
        key: bytes,
        *,
        previous: Iterable[bytes] = (),
        clock: Clock = SYSTEM_CLOCK,
        more_keys: Callable[[], Iterable[bytes]] | None = None,
    ) -> None:
        self._key = _checked_key(key)
        self._kid = key_id(key)
        self._keys = {self._kid: key}
        for old in previous:
            self._keys.setdefault(key_id(old), _checked_key(old))
        self._clock = clock
        self._more_keys = more_keys

    def _mac(self, key: bytes, kid: str, scope: str, job_id: str, expires_at: int) -> str:
        message = f"{_VERSION}|{kid}|{scope}|{job_id}|{expires_at}".encode()
        return _b64(hmac.new(key, message, hashlib.sha256).digest())

    def issue(self, job_id: str, *, ttl_seconds: float, scope: Scope = "view") -> str:
        expires_at = int(self._clock.time() + ttl_seconds)
        mac = self._mac(self._key, self._kid, scope, job_id, expires_at)
        return f"{_VERSION}.{self._kid}.{scope}.{expires_at}.{mac}"

    def _key_named(self, kid: str) -> bytes | None:
        key = self._keys.get(kid)
        if key is None and self._more_keys is not None:
            for fresh in self._more_keys():
                self._keys.setdefault(key_id(fresh), fresh)
            key = self._keys.get(kid)
        return key

    def verify(
        self, token: str | None, job_id: str, *, scope: Scope = "view", in_url: bool = False
    ) -> Scope:
        """Return the scope of ``token`` if it opens ``job_id`` for ``scope``; raise a TokenError.

        ``in_url``: the token came in the query string (a control token never may).
        """
        if not token:
            raise TokenMissing()
        if len(token) > _MAX_TOKEN_CHARS or not is_job_token(token):
            raise TokenInvalid("the token is malformed")
        _, kid, token_scope, raw_expiry, mac = token.split(".")
        expires_at = int(raw_expiry)
        key = self._key_named(kid)
        # A key nobody holds (a forgery, or one rotated out twice): the same answer as a bad MAC.
        expected = self._mac(key, kid, token_scope, job_id, expires_at) if key is not None else "-"
        # Constant-time comparison: the MAC must not leak byte by byte through timing.
        if not hmac.compare_digest(expected.encode(), mac.encode()):
            raise TokenInvalid()
        if self._clock.time() >= expires_at:
            raise TokenExpired()
        granted: Scope = "control" if token_scope == _CONTROL else "view"
        if granted == "control" and in_url:
            raise TokenScopeTooNarrow(
                "a control token is never accepted in a URL: send it in 'Authorization: Bearer'"
            )
        if scope == "control" and granted != "control":
            raise TokenScopeTooNarrow("this needs the job's control token; a view token only reads")
        return granted


def is_job_token(token: str) -> bool:
    """True if ``token`` has the shape of a per-job token (never of a JWT, whose first part is
    base64url JSON): tells the two apart when both may arrive as 'Authorization: Bearer'."""
    parts = token.split(".")
    # isascii(): str.isdigit() accepts "²" and other digits int() then refuses.
    return (
        len(parts) == 5
        and parts[0] == _VERSION
        and len(parts[1]) == _KID_CHARS
        and parts[2] in _SCOPES
        and parts[3].isascii()
        and parts[3].isdigit()
    )


def bearer_token(authorization: str | None, query_token: str | None) -> str | None:
    """The token from ``Authorization: Bearer``, else from the ``token`` query parameter."""
    token, _ = bearer_token_and_place(authorization, query_token)
    return token


def bearer_token_and_place(
    authorization: str | None, query_token: str | None
) -> tuple[str | None, bool]:
    """The token as bearer_token finds it, and True if it came from the URL's query string."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), False
        return None, False
    return query_token or None, bool(query_token)
