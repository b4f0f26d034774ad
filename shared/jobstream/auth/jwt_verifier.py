"""Caller authentication with JWTs from an OIDC issuer (Cognito, Auth0, Okta, ...), by PyJWT.

PyJWT checks the signature, ``exp``, ``nbf``, ``iat`` and ``iss``; its PyJWKClient fetches and
caches the issuer's key set and refetches it for an unknown ``kid`` at most once per cooldown, so
rotated keys are found and made-up key ids cannot make us hammer the issuer. What is ours: the
algorithm allow-list is checked against the token's header *and* the key's own type before decoding
(no ``alg: none``, no HMAC with a public key as secret), the audience rule of API Gateway's JWT
authorizers (``aud``, or ``client_id`` for tokens without ``aud`` such as Cognito access tokens),
which PyJWT's ``audience`` option cannot express, and the token's kind (Cognito's ``token_use``,
RFC 9068's ``typ``), which the caller must choose, as AWS's aws-jwt-verify makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWKClient

from jobstream.auth.callers import (
    CallerRefused,
    IdentityProviderUnavailable,
    checked_caller_id,
)
from jobstream.errors import ConfigurationError
from jobstream.settings import Settings

# Asymmetric only: RS256 is what Cognito, Auth0 and Okta sign with by default; ES256 for issuers
# with EC keys. An HMAC algorithm would let anyone holding the public key sign tokens.
ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")
# A real ID or access token is 1-2 KB; refuse absurd input before parsing it.
MAX_TOKEN_CHARS = 16 * 1024
JWKS_FETCH_TIMEOUT_SECONDS = 5.0


class JwtSettingsMissing(ConfigurationError):
    def __init__(self) -> None:
        super().__init__(
            "JOBSTREAM_API_AUTH=jwt needs JOBSTREAM_JWT_ISSUER and JOBSTREAM_JWT_AUDIENCE "
            "(and JOBSTREAM_JWT_JWKS_URL unless the issuer serves <issuer>/.well-known/jwks.json)"
        )


class JwtKeysUnusable(ConfigurationError):
    """The issuer's key set URL cannot serve keys (a scheme other than http(s), nothing there, no
    usable key in what is); the message names the URL and why, for the one starting the API."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"the JWT key set URL {url} (JOBSTREAM_JWT_JWKS_URL) {reason}")
        self.url = url


@dataclass(frozen=True, slots=True)
class JwtClaims:
    """What a verified JWT says about its caller: who (``issuer`` and ``subject``) and what it
    was granted (``scopes``: its ``scope`` claim, space-separated as OAuth writes it, and its
    ``scp`` claim, a list or a string, where Okta and Microsoft put them: API Gateway's JWT
    authorizers read either)."""

    issuer: str
    subject: str
    scopes: frozenset[str]


def default_jwks_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/jwks.json"


class JwtVerifier:
    """Turns a bearer JWT into its caller (JwtClaims) or raises CallerRefused; thread-safe."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        leeway_seconds: float = 30,
        cache_seconds: float = 300,
        refresh_seconds: float = 30,
        timeout_seconds: float = JWKS_FETCH_TIMEOUT_SECONDS,
        token_use: str | None = None,
        typ: str | None = None,
    ) -> None:
        self._issuer = issuer
        self._token_use = token_use
        self._typ = typ
        self._audience = audience
        self._leeway = leeway_seconds
        # No per-kid LRU (cache_keys): it never expires, so a key the issuer withdrew would keep
        # working; the key-set cache expires after cache_seconds.
        self._jwks_url = jwks_url or default_jwks_url(issuer)
        try:
            self._keys = PyJWKClient(
                self._jwks_url,
                cache_keys=False,
                cache_jwk_set=True,
                lifespan=cache_seconds,
                timeout=timeout_seconds,
                cooldown_duration=refresh_seconds,
            )
        except jwt.PyJWKClientError as refused:
            # PyJWT refuses any scheme but http(s) (a file:// URL, say) when it is made.
            raise JwtKeysUnusable(self._jwks_url, f"cannot be used: {refused}") from None

    def check_keys(self) -> int:
        """Fetch the issuer's key set now (it is cached for the first requests) and return how
        many keys in it can verify a JWT; JwtKeysUnusable if it cannot be fetched or has none.
        The local stack calls this at start, so a wrong URL fails there, not at the first token."""
        try:
            keys = self._keys.get_signing_keys()
        except jwt.PyJWKClientConnectionError as unreachable:
            raise JwtKeysUnusable(self._jwks_url, f"cannot be fetched: {unreachable}") from None
        except jwt.PyJWTError as refused:
            raise JwtKeysUnusable(self._jwks_url, f"holds no usable key: {refused}") from None
        usable = [key for key in keys if key.algorithm_name in ALGORITHMS]
        if not usable:
            raise JwtKeysUnusable(
                self._jwks_url, f"holds no key for {' or '.join(ALGORITHMS)} (the ones accepted)"
            )
        return len(usable)

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtVerifier:
        if not settings.jwt_issuer or not settings.jwt_audience:
            raise JwtSettingsMissing()
        return cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            jwks_url=settings.jwt_jwks_url,
            leeway_seconds=settings.jwt_leeway_seconds,
            cache_seconds=settings.jwks_cache_seconds,
            refresh_seconds=settings.jwks_refresh_seconds,
            token_use=settings.jwt_token_use,
            typ=settings.jwt_typ,
        )

    def caller(self, token: str) -> JwtClaims:
        """The caller of a valid token. CallerRefused says why not (safe to show);
        IdentityProviderUnavailable if the key set cannot be fetched."""
        if len(token) > MAX_TOKEN_CHARS:
            raise CallerRefused("the bearer token is too long to be a JWT")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise CallerRefused("the bearer token is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise CallerRefused(f"JWTs must be signed with one of {', '.join(ALGORITHMS)}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise CallerRefused("the JWT names no signing key (kid)")
        try:
            key = self._keys.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError:
            raise IdentityProviderUnavailable() from None
        except jwt.PyJWTError:
            # Unknown kid (after the one permitted refetch), or a key set with no usable key.
            raise CallerRefused("the JWT is signed by a key the issuer does not publish") from None
        if key.algorithm_name != algorithm:
            # An RSA key used with ES256 or the like: only the key's own algorithm is accepted.
            raise CallerRefused("the JWT's algorithm does not match its signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise CallerRefused("the JWT has expired") from None
        except jwt.ImmatureSignatureError:
            raise CallerRefused("the JWT is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise CallerRefused("the JWT is from another issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise CallerRefused(f"the JWT has no {exc.claim!r} claim") from None
        except jwt.PyJWTError:
            raise CallerRefused("the JWT's signature or claims are not valid") from None
        if not self._audience_matches(claims):
            raise CallerRefused("the JWT is for another audience")
        # Checked on a verified token only, so they tell a forger nothing.
        if self._token_use is not None and claims.get("token_use") != self._token_use:
            raise CallerRefused(f"this API accepts Cognito {self._token_use} tokens only")
        if self._typ is not None and _media_type(header.get("typ")) != self._typ:
            raise CallerRefused(f"this API accepts JWTs of typ {self._typ} only (RFC 9068)")
        return JwtClaims(
            issuer=self._issuer,
            subject=checked_caller_id(claims.get("sub"), what="JWT's sub claim"),
            scopes=_scopes(claims.get("scope"), lists=False) | _scopes(claims.get("scp")),
        )

    def _audience_matches(self, claims: dict[str, Any]) -> bool:
        audience = claims.get("aud")
        if audience is None:
            return claims.get("client_id") == self._audience
        if isinstance(audience, str):
            return audience == self._audience
        return isinstance(audience, list) and self._audience in audience


def _media_type(typ: object) -> str | None:
    """A JOSE typ as the media type it names: case-insensitive, with "application/" optional
    (RFC 7515, 4.1.9), so "at+jwt" and "application/at+jwt" are one type (RFC 9068, 4)."""
    if not isinstance(typ, str):
        return None
    return typ.lower().removeprefix("application/")


def _scopes(claim: object, *, lists: bool = True) -> frozenset[str]:
    """A scope claim's scopes: a space-separated string or (``lists``: ``scp``, not ``scope``,
    which RFC 8693, 4.2 makes a string) a list of strings; nothing else grants any."""
    if isinstance(claim, str):
        return frozenset(claim.split(" ")) - {""}
    if lists and isinstance(claim, list):
        return frozenset(scope for scope in claim if isinstance(scope, str) and scope)
    return frozenset()
