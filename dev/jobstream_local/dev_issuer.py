"""DEV ONLY: a loopback OIDC issuer, so that caller authentication can be tried on one machine.

``JOBSTREAM_API_AUTH=jwt make run`` without ``JOBSTREAM_JWT_ISSUER`` starts one: it makes an EC
P-256 key, serves its JWKS and OpenID configuration on 127.0.0.1, and signs access tokens (ES256,
as an identity provider would) for whoever asks, so the stack prints ready tokens for two example
callers and the demo page signs in as either. A web app signs its users in through its
authorization code flow (jobstream_local.dev_sign_in; examples/nextjs does, with Auth.js).
Because it signs for anyone, it lives here in the dev tooling, never in ``shared/`` (the layer),
and it refuses any address but loopback. On AWS the issuer is yours (a Cognito user pool,
Auth0, ...; docs/deploy.md).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from jobstream_local.dev_sign_in import (
    AUTHORIZE_PATH,
    TOKEN_PATH,
    SignInError,
    SignIns,
    basic_client_id,
)

__all__ = [
    "DEV_AUDIENCE",
    "EXAMPLE_CALLERS",
    "DevIssuer",
    "NotLoopback",
    "callers_app",
    "require_loopback",
]

DEV_AUDIENCE = "jobstream-local"
# The callers `make run` prints tokens for and the demo page offers: two, to show ownership.
EXAMPLE_CALLERS = ("alice", "bob")
# Long enough for a working day of `make run`; a restart makes a new key (old tokens then fail).
TOKEN_TTL_S = 12 * 3600
JWKS_PATH = "/.well-known/jwks.json"
CONFIGURATION_PATH = "/.well-known/openid-configuration"


class NotLoopback(ValueError):
    """The dev issuer, or a stack serving its tokens, was asked to listen beyond this machine."""


def require_loopback(host: str) -> None:
    try:
        loopback = ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise NotLoopback(
            f"the dev issuer signs tokens for anyone, so it runs only on loopback, not {host!r}: "
            "with HOST set, use your own issuer (JOBSTREAM_JWT_ISSUER, JOBSTREAM_JWT_AUDIENCE)"
        )


class DevIssuer:
    """``start()`` serves it and returns its URL (the tokens' ``iss``); ``stop()`` ends it."""

    def __init__(self, *, audience: str = DEV_AUDIENCE) -> None:
        self.audience = audience
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._kid = f"dev-{secrets.token_hex(4)}"
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._sign_ins = SignIns(EXAMPLE_CALLERS)
        self.url = ""

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS_PATH

    def start(self) -> str:
        documents = self._documents
        sign_ins = self._sign_ins
        tokens = self._token_response

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == AUTHORIZE_PATH:
                    try:
                        page = sign_ins.page(sign_ins.authorization(parts.query))
                    except SignInError as refused:
                        self._send(400, refused.body())
                        return
                    self._send_bytes(200, "text/html; charset=utf-8", page.encode())
                    return
                body = documents().get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self._send(200, body)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                form = self.rfile.read(length).decode("utf-8", "replace")
                try:
                    if self.path == AUTHORIZE_PATH:
                        location = sign_ins.approve(form)
                        self.send_response(303)
                        self.send_header("location", location)
                        self.send_header("content-length", "0")
                        self.end_headers()
                    elif self.path == TOKEN_PATH:
                        grant = sign_ins.redeem(
                            form, basic_client=basic_client_id(self.headers.get("authorization"))
                        )
                        self._send(200, tokens(grant))
                    else:
                        self.send_error(404)
                except SignInError as refused:
                    self._send(400, refused.body())

            def _send(self, status: int, body: dict[str, Any]) -> None:
                self._send_bytes(status, "application/json", json.dumps(body).encode())

            def _send_bytes(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.send_header("cache-control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the stack's own log says what matters

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="dev-issuer", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def access_token(self, subject: str, *, ttl_s: float = TOKEN_TTL_S) -> str:
        """A signed access token for ``subject``, as the API under JOBSTREAM_API_AUTH=jwt expects
        it from this issuer (``iss`` its URL, ``aud`` its audience)."""
        if not self.url:
            raise RuntimeError("the dev issuer is not started")
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + int(ttl_s),
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self._kid})

    def id_token(
        self, subject: str, *, client_id: str, nonce: str | None = None, ttl_s: float = 3600
    ) -> str:
        """An OpenID Connect ID token for ``subject``, for the client that signed them in."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": client_id,
            "sub": subject,
            "name": subject,
            "iat": now,
            "exp": now + int(ttl_s),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self._kid})

    def _token_response(self, grant: dict[str, Any]) -> dict[str, Any]:
        return {
            "access_token": self.access_token(grant["subject"]),
            "id_token": self.id_token(
                grant["subject"], client_id=grant["client_id"], nonce=grant["nonce"]
            ),
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_S,
            "scope": "openid",
        }

    def _documents(self) -> dict[str, dict[str, Any]]:
        key: dict[str, Any] = ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {
            JWKS_PATH: {"keys": [{**key, "kid": self._kid, "use": "sig", "alg": "ES256"}]},
            CONFIGURATION_PATH: {
                "issuer": self.url,
                "jwks_uri": self.jwks_url,
                "authorization_endpoint": self.url + AUTHORIZE_PATH,
                "token_endpoint": self.url + TOKEN_PATH,
                "id_token_signing_alg_values_supported": ["ES256"],
                "subject_types_supported": ["public"],
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "scopes_supported": ["openid"],
            },
        }


def callers_app(issuer: DevIssuer) -> ASGIApp:
    """``GET /dev/callers`` on the local stack: fresh access tokens for the example callers, for
    the demo page's sign-in (same origin, so no CORS; never cached)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body = {
            "issuer": issuer.url,
            "audience": issuer.audience,
            "callers": [
                {"name": name, "access_token": issuer.access_token(name)}
                for name in EXAMPLE_CALLERS
            ],
        }
        response = JSONResponse(body, headers={"cache-control": "no-store"})
        await response(scope, receive, send)

    return app
