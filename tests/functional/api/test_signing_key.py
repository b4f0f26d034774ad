"""load_signing_key: settings first, then Secrets Manager, then SSM, each through Powertools."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider
from aws_lambda_powertools.utilities.parameters.base import (  # type: ignore[attr-defined]
    DEFAULT_PROVIDERS,
)
from moto import mock_aws

from jobstream.auth.keys import SigningKeyNotConfigured, load_signing_key, token_signer
from jobstream.settings import Settings

SECRET_KEY = "s" * 64
PARAMETER_KEY = "p" * 64


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="token-key", SecretString=SECRET_KEY
        )
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name="/jobstream/token-key", Value=PARAMETER_KEY, Type="SecureString"
        )
        yield
    # Powertools keeps module-level providers and caches; none may outlive this mock.
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    DEFAULT_PROVIDERS.clear()


def _load(settings: Settings) -> bytes:
    """load_signing_key with providers built on this test's moto clients."""
    return load_signing_key(
        settings,
        secrets=SecretsProvider(
            boto3_client=boto3.client("secretsmanager", region_name="us-east-1")
        ),
        ssm=SSMProvider(boto3_client=boto3.client("ssm", region_name="us-east-1")),
    )


def test_settings_key_wins(aws: None) -> None:
    settings = Settings(
        token_key="k" * 40, token_key_secret="token-key", token_key_parameter="/jobstream/token-key"
    )

    assert _load(settings) == b"k" * 40


def test_secret_comes_before_the_parameter(aws: None) -> None:
    settings = Settings(token_key_secret="token-key", token_key_parameter="/jobstream/token-key")

    assert _load(settings) == SECRET_KEY.encode()


def test_parameter_is_decrypted(aws: None) -> None:
    settings = Settings(token_key_parameter="/jobstream/token-key")

    assert _load(settings) == PARAMETER_KEY.encode()


def test_powertools_default_providers_are_used_without_injection(aws: None) -> None:
    settings = Settings(token_key_secret="token-key")

    signer = token_signer(settings)

    token = signer.issue("job", ttl_seconds=60)
    signer.verify(token, "job")
    assert load_signing_key(settings) == SECRET_KEY.encode()


def test_no_key_configured_is_a_clear_error() -> None:
    with pytest.raises(SigningKeyNotConfigured, match="JOBSTREAM_TOKEN_KEY_SECRET"):
        load_signing_key(Settings())
