"""Per-job bearer tokens: one job's token never opens another; tampering and expiry are refused."""

from __future__ import annotations

import pytest

from jobstream.auth.tokens import (
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    TokenSigner,
    bearer_token,
)
from tests.clock import FakeClock

pytestmark = pytest.mark.unit

KEY = b"k" * 32


def test_token_opens_its_own_job_only() -> None:
    signer = TokenSigner(KEY)
    token = signer.issue("job-a", ttl_seconds=60)
    signer.verify(token, "job-a")
    with pytest.raises(TokenInvalid):
        signer.verify(token, "job-b")


def test_token_from_another_key_is_refused() -> None:
    token = TokenSigner(b"x" * 32).issue("job-a", ttl_seconds=60)
    with pytest.raises(TokenInvalid):
        TokenSigner(KEY).verify(token, "job-a")


def test_expired_token_is_refused() -> None:
    clock = FakeClock(1_000.0)
    signer = TokenSigner(KEY, clock=clock)
    token = signer.issue("job-a", ttl_seconds=10)
    clock.now = 1_009.0
    signer.verify(token, "job-a")
    clock.now = 1_010.0
    with pytest.raises(TokenExpired):
        signer.verify(token, "job-a")


def test_extending_the_expiry_breaks_the_mac() -> None:
    signer = TokenSigner(KEY)
    version, expires_at, mac = signer.issue("job-a", ttl_seconds=10).split(".")
    forged = f"{version}.{int(expires_at) + 10_000}.{mac}"
    with pytest.raises(TokenInvalid):
        signer.verify(forged, "job-a")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "v1.123",
        "v2.123.abc",
        "v1.-5.abc",
        # Regression: "²".isdigit() is True but int("²") raises ValueError (a 500 before the fix).
        "v1.\u00b2.abc",
        "v1.\u0661\u0662.abc",
        "v1.1." + "a" * 600,
    ],
)
def test_malformed_tokens_are_invalid_not_crashes(token: str) -> None:
    with pytest.raises(TokenInvalid):
        TokenSigner(KEY).verify(token, "job-a")


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token(token: str | None) -> None:
    with pytest.raises(TokenMissing):
        TokenSigner(KEY).verify(token, "job-a")


def test_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        TokenSigner(b"short")


@pytest.mark.parametrize(
    ("authorization", "query", "expected"),
    [
        ("Bearer abc", None, "abc"),
        ("bearer  abc ", "q", "abc"),
        ("Basic abc", "q", None),
        ("Bearer ", "q", None),
        (None, "q", "q"),
        (None, None, None),
        (None, "", None),
    ],
)
def test_bearer_token_sources(
    authorization: str | None, query: str | None, expected: str | None
) -> None:
    assert bearer_token(authorization, query) == expected
