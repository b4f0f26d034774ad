"""The API's fixtures (tests/functional/api/conftest.py), for the API tests that also need the
loopback OIDC issuer: its JWKS is served over HTTP, as an identity provider serves it."""

from tests.functional.api.conftest import (  # noqa: F401 - fixtures, found by name
    anyio_backend,
    api_settings,
    app,
    client,
    ec_key,
    invoker,
    issuer,
    jwt_client,
    jwt_settings,
    monotonic,
    rsa_key,
    service,
    signer,
    store,
)
