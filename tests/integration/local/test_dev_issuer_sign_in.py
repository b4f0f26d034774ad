"""The dev issuer's sign-in over HTTP, as a web app's OIDC client (Auth.js, examples/nextjs) uses
it: discovery, the sign-in page, the redirect with a code, the token request with PKCE; the ID
token verifies against the issuer's keys for the client, and the access token opens the API of a
stack that trusts the issuer."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from jobstream.settings import Settings
from jobstream_local.stack import LocalStack

REDIRECT = "http://127.0.0.1:3999/api/auth/callback/jobstream"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    settings = Settings(table=f"jobstream-devsignin-{uuid.uuid4().hex[:8]}", api_auth="jwt")
    with LocalStack(
        port=0, function_timeout_s=5, stream_timeout_s=5, settings=settings, dev_issuer=True
    ) as running:
        yield running


def test_a_web_app_signs_a_caller_in_and_calls_the_api_with_the_access_token(
    stack: LocalStack,
) -> None:
    issuer = stack.dev_issuer
    assert issuer is not None
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    with httpx.Client(timeout=10) as http:
        config = http.get(f"{issuer.url}/.well-known/openid-configuration").json()
        assert config["issuer"] == issuer.url
        assert config["response_types_supported"] == ["code"]
        assert config["code_challenge_methods_supported"] == ["S256"]
        request = {
            "response_type": "code",
            "client_id": "example",
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": "st",
            "nonce": "nn",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        page = http.get(config["authorization_endpoint"], params=request)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Sign in as alice" in page.text

        chosen = http.post(config["authorization_endpoint"], data={**request, "subject": "alice"})
        assert chosen.status_code == 303
        location = urlsplit(chosen.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
        code = parse_qs(location.query)["code"][0]

        tokens = http.post(
            config["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
            auth=("example", "any-secret"),
        )
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        assert body["token_type"] == "Bearer"

        keys = jwt.PyJWKClient(config["jwks_uri"])
        id_token = jwt.decode(
            body["id_token"],
            keys.get_signing_key_from_jwt(body["id_token"]).key,
            algorithms=["ES256"],
            audience="example",
            issuer=issuer.url,
        )
        assert (id_token["sub"], id_token["nonce"]) == ("alice", "nn")

        created = http.post(
            f"{stack.url}/jobs",
            json={"type": "demo.count", "params": {"n": 1, "interval_ms": 0}},
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        assert created.status_code == 201, created.text
        # alice's job: its owner is the issuer's alice (issuer and subject).
        owner = stack.jobs.store.get_job(created.json()["job_id"]).owner
        assert owner == f"{issuer.url}#alice"

        # The ID token is for the app, not the API: the API refuses it.
        refused = http.get(
            f"{stack.url}/jobs", headers={"Authorization": f"Bearer {body['id_token']}"}
        )
        assert refused.status_code in (401, 403)

        # The code is spent.
        again = http.post(
            config["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
            auth=("example", "any-secret"),
        )
        assert again.status_code == 400
        assert again.json()["error"] == "invalid_grant"


def test_refusals_are_json_with_the_oauth_error(stack: LocalStack) -> None:
    issuer = stack.dev_issuer
    assert issuer is not None
    with httpx.Client(timeout=10) as http:
        page = http.get(
            f"{issuer.url}/authorize",
            params={
                "response_type": "code",
                "client_id": "example",
                "redirect_uri": "https://elsewhere.example/cb",
                "code_challenge": "x" * 43,
                "code_challenge_method": "S256",
            },
        )
        assert page.status_code == 400
        assert page.json()["error"] == "invalid_request"
        token = http.post(f"{issuer.url}/token", data={"grant_type": "password"})
        assert token.status_code == 400
        assert token.json()["error"] == "unsupported_grant_type"
        assert http.post(f"{issuer.url}/elsewhere").status_code == 404
