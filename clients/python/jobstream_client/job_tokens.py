"""What a client may read from a job token without the key: its scope and when it expires.

The server's format (``v2.<key id>.<scope>.<expires_at>.<mac>``, jobstream.auth.tokens) is public
on purpose: a client refreshes a view token before ``expires_at`` instead of waiting for a refusal,
and keeps a ``control`` token (ApiAuth none) for itself, out of every URL. Anything else (an
older or foreign token) reads as unknown: the client then refreshes after a 401/403 only.
"""

from __future__ import annotations

__all__ = ["token_expires_at", "token_scope"]


def _parts(token: str) -> list[str] | None:
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != "v2":
        return None
    return parts


def token_expires_at(token: str) -> float | None:
    """Epoch seconds at which the token stops opening its job, or None if it does not say."""
    parts = _parts(token)
    if parts is None or not (parts[3].isascii() and parts[3].isdigit()):
        return None
    return float(parts[3])


def token_scope(token: str) -> str | None:
    """ "view" or "control", or None if the token does not say."""
    parts = _parts(token)
    if parts is None or parts[2] not in ("view", "control"):
        return None
    return parts[2]
