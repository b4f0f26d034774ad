"""A test OIDC issuer: real RS256 and ES256 keys made by the test, their JWKS served over HTTP on
loopback (counting fetches), and tokens signed with them, well-formed or deliberately not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

AUDIENCE = "jobstream-test-client"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    algorithm: str  # RS256 or ES256
    private: Any

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        codec = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        key: dict[str, Any] = codec.to_jwk(self.private.public_key(), as_dict=True)
        return {**key, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def public_pem(self) -> bytes:
        return bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


@dataclass
class Issuer:
    """An issuer at ``url`` whose JWKS (``published`` keys) is at ``jwks_url``."""

    url: str
    jwks_url: str
    published: list[SigningKey]
    fetches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def claims(self, subject: str, /, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(
        self,
        subject: str,
        /,
        *,
        key: SigningKey | None = None,
        typ: str | None = "JWT",
        **overrides: Any,
    ) -> str:
        """A well-formed token for ``subject`` signed by ``key`` (default: the first published);
        ``overrides`` replace claims (None removes one); ``typ`` is the header's (None: none)."""
        key = key or self.published[0]
        return jwt.encode(
            self.claims(subject, **overrides),
            key.private,
            algorithm=key.algorithm,
            headers={"kid": key.kid, "typ": typ},
        )

    def headers(self, subject: str, /, **overrides: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(subject, **overrides)}"}


def unsigned_token(claims: dict[str, Any], kid: str) -> str:
    """``alg: none``: no signature at all."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def hs256_with_public_key(claims: dict[str, Any], key: SigningKey) -> str:
    """The classic confusion attack: HMAC-SHA256 with the issuer's public key (PEM) as secret.
    PyJWT refuses to make one, so it is made by hand."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = b64url(json.dumps(claims).encode())
    mac = hmac.new(key.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(mac)}"


def tampered(token: str, **changes: Any) -> str:
    """``token`` with claims changed after signing (its signature kept)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"


@contextmanager
def serve_issuer(*keys: SigningKey) -> Iterator[Issuer]:
    """Serve the JWKS of ``keys`` on a free loopback port until the block ends."""
    issuer = Issuer(url="", jwks_url="", published=list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/.well-known/jwks.json":
                self.send_error(404)
                return
            with issuer.lock:
                issuer.fetches += 1
                body = json.dumps({"keys": [k.jwk() for k in issuer.published]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        issuer.url = f"http://127.0.0.1:{server.server_port}"
        issuer.jwks_url = f"{issuer.url}/.well-known/jwks.json"
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
