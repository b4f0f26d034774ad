"""Where the token signing keys come from: settings, Secrets Manager or SSM, in that order.

Every function that signs or checks tokens (API, stream) gets its signer through ``token_signer``,
so they always agree on the keys. Tokens carry their key's id (jobstream.auth.tokens), and a
verifier holds two keys: the current one, which signs, and the previous one, which still verifies,
so a rotation (jobstream.auth.rotation) ends no token early.

The key cache must not make containers disagree during a rotation: the API container that first
sees the new AWSCURRENT signs with it while a stream container may still hold its cached pair. So a
token naming a key the cache does not hold fetches the keys again at once, at most once per
``_REFETCH_SECONDS`` per container (a flood of made-up key ids costs one fetch per interval);
otherwise the pair is cached ``_CACHE_SECONDS``.

Secrets Manager is read here, not through Powertools Parameters: its cache key is the secret's name
alone (aws-lambda-powertools 3.x, ``BaseProvider._build_cache_key``), so AWSCURRENT and AWSPREVIOUS
of one secret would share one cache entry. SSM (one value, no stages) keeps Powertools' cache and
verifies with its current key only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import boto3
from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError

from jobstream.auth.tokens import TokenSigner
from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.errors import ConfigurationError
from jobstream.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

_CACHE_SECONDS = 300
_REFETCH_SECONDS = 5.0
CURRENT_STAGE = "AWSCURRENT"
PREVIOUS_STAGE = "AWSPREVIOUS"


class SigningKeyNotConfigured(ConfigurationError):
    def __init__(self) -> None:
        super().__init__(
            "no token signing key is configured: set JOBSTREAM_TOKEN_KEY (local stacks), "
            "JOBSTREAM_TOKEN_KEY_SECRET (a Secrets Manager secret) or "
            "JOBSTREAM_TOKEN_KEY_PARAMETER (an SSM SecureString parameter)"
        )


class SecretsClient(Protocol):
    """The part of boto3's Secrets Manager client read here (moto's in the tests)."""

    # SecretId=..., VersionStage=... (boto3's spelling).
    def get_secret_value(self, **request: str) -> dict[str, object]: ...


def signing_key_configured(settings: Settings) -> bool:
    """True if load_signing_key has somewhere to look; checks no remote value."""
    return bool(settings.token_key or settings.token_key_secret or settings.token_key_parameter)


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    # Only a transform could produce anything else, and none is requested.
    raise TypeError("the token signing key must be a string or binary value")


def load_signing_key(
    settings: Settings,
    *,
    secrets: SecretsProvider | None = None,
    ssm: SSMProvider | None = None,
) -> bytes:
    """The current HMAC key for per-job tokens; raise SigningKeyNotConfigured if none is set.

    ``secrets``/``ssm`` replace Powertools' default providers (tests pass ones on moto clients).
    """
    value: str | bytes | dict[str, object] | None
    if settings.token_key:
        value = settings.token_key
    elif settings.token_key_secret:
        if secrets is None:
            return _ring(settings).pair()[0]
        value = secrets.get(settings.token_key_secret, max_age=_CACHE_SECONDS)
    elif settings.token_key_parameter:
        if ssm is None:
            value = parameters.get_parameter(
                settings.token_key_parameter, decrypt=True, max_age=_CACHE_SECONDS
            )
        else:
            value = ssm.get(settings.token_key_parameter, decrypt=True, max_age=_CACHE_SECONDS)
    else:
        raise SigningKeyNotConfigured()
    return _as_bytes(value)


def secret_stage_value(client: SecretsClient, secret_id: str, stage: str) -> bytes | None:
    """The key in ``stage`` of the secret, or None if no version has that stage (a secret never
    rotated has no AWSPREVIOUS)."""
    try:
        response = client.get_secret_value(SecretId=secret_id, VersionStage=stage)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    value = response.get("SecretString")
    if value is None:
        value = response.get("SecretBinary")
    return None if value is None else _as_bytes(value)


@dataclass(frozen=True)
class _Pair:
    current: bytes
    previous: bytes | None
    fetched_at: float


class SecretKeyRing:
    """One Secrets Manager secret's current and previous key, cached per container."""

    def __init__(
        self,
        secret_id: str,
        client: Callable[[], SecretsClient],
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._secret_id = secret_id
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._pair: _Pair | None = None
        self._forced_at: float | None = None

    def _fetch(self) -> _Pair:
        client = self._client()
        current = secret_stage_value(client, self._secret_id, CURRENT_STAGE)
        if current is None:
            raise ConfigurationError(f"the token key secret has no {CURRENT_STAGE} version")
        previous = secret_stage_value(client, self._secret_id, PREVIOUS_STAGE)
        return _Pair(current, previous, self._clock.monotonic())

    def pair(self) -> tuple[bytes, bytes | None]:
        with self._lock:
            pair = self._pair
            if pair is None or self._clock.monotonic() - pair.fetched_at >= _CACHE_SECONDS:
                pair = self._pair = self._fetch()
            return pair.current, pair.previous

    def refetch(self) -> list[bytes]:
        """The keys as they are now, unless fetched on demand less than _REFETCH_SECONDS ago."""
        with self._lock:
            now = self._clock.monotonic()
            if self._forced_at is not None and now - self._forced_at < _REFETCH_SECONDS:
                return []
            self._forced_at = now
            pair = self._pair = self._fetch()
        return [key for key in (pair.current, pair.previous) if key is not None]

    def signer(self) -> TokenSigner:
        current, previous = self.pair()
        return TokenSigner(
            current,
            previous=[previous] if previous is not None else [],
            clock=self._clock,
            more_keys=self.refetch,
        )


# One ring per secret per process (a Lambda container), like Powertools' default providers.
_RINGS: dict[str, SecretKeyRing] = {}
_RINGS_LOCK = threading.Lock()


def _secrets_client(settings: Settings) -> SecretsClient:
    # Built per fetch (once per cache period or forced refetch), never kept across them.
    client: SecretsClient = boto3.client("secretsmanager", region_name=settings.region)
    return client


def _ring(settings: Settings) -> SecretKeyRing:
    secret_id = settings.token_key_secret
    assert secret_id is not None
    with _RINGS_LOCK:
        ring = _RINGS.get(secret_id)
        if ring is None:
            ring = _RINGS[secret_id] = SecretKeyRing(secret_id, lambda: _secrets_client(settings))
        return ring


def token_signer(settings: Settings) -> TokenSigner:
    """The signer for this request: signs with the current key, verifies current and previous."""
    if not settings.token_key and settings.token_key_secret:
        return _ring(settings).signer()
    return TokenSigner(load_signing_key(settings))
