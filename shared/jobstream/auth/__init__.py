"""Per-job bearer tokens (who may read a job's stream and status), their signing key, and the
errors of caller authentication.

The JWT verifier (``jobstream.auth.jwt_verifier``, PyJWT and cryptography) is left out of this
face on purpose: the stream function imports this package on its read path and never verifies a
JWT, so only the API (jobstream.api.callers) loads it.
"""

from jobstream.auth.callers import (
    CallerError,
    CallerMissing,
    CallerRefused,
    IdentityProviderUnavailable,
)
from jobstream.auth.keys import SigningKeyNotConfigured, load_signing_key, token_signer
from jobstream.auth.tokens import (
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    TokenSigner,
    bearer_token,
)

__all__ = [
    "CallerError",
    "CallerMissing",
    "CallerRefused",
    "IdentityProviderUnavailable",
    "SigningKeyNotConfigured",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenMissing",
    "TokenSigner",
    "bearer_token",
    "load_signing_key",
    "token_signer",
]
