"""Where the token signing key comes from: settings, Secrets Manager or SSM, in that order.

Every function that signs or checks tokens (API, stream) loads the key through here, so they
always agree on it. Remote values go through Powertools Parameters, which caches them: calling this
on every request costs one AWS call per ``_CACHE_SECONDS`` per container and picks up a rotated key
within that time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities import parameters

from jobstream.auth.tokens import TokenSigner
from jobstream.errors import ConfigurationError
from jobstream.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

_CACHE_SECONDS = 300


class SigningKeyNotConfigured(ConfigurationError):
    def __init__(self) -> None:
        super().__init__(
            "no token signing key is configured: set JOBSTREAM_TOKEN_KEY (local stacks), "
            "JOBSTREAM_TOKEN_KEY_SECRET (a Secrets Manager secret) or "
            "JOBSTREAM_TOKEN_KEY_PARAMETER (an SSM SecureString parameter)"
        )


def signing_key_configured(settings: Settings) -> bool:
    """True if load_signing_key has somewhere to look; checks no remote value."""
    return bool(settings.token_key or settings.token_key_secret or settings.token_key_parameter)


def load_signing_key(
    settings: Settings,
    *,
    secrets: SecretsProvider | None = None,
    ssm: SSMProvider | None = None,
) -> bytes:
    """The HMAC key for per-job tokens; raise SigningKeyNotConfigured if none is set.

    ``secrets``/``ssm`` replace Powertools' default providers (tests pass ones on moto clients).
    """
    value: str | bytes | dict[str, object] | None
    if settings.token_key:
        value = settings.token_key
    elif settings.token_key_secret:
        if secrets is None:
            value = parameters.get_secret(settings.token_key_secret, max_age=_CACHE_SECONDS)
        else:
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
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    # Only a transform could produce anything else, and none is requested.
    raise TypeError("the token signing key must be a string or binary value")


def token_signer(settings: Settings) -> TokenSigner:
    return TokenSigner(load_signing_key(settings))
