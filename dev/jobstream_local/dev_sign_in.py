"""DEV ONLY: the dev issuer's sign-in, an OpenID Connect authorization code flow with PKCE, so that
a web app (examples/nextjs, through Auth.js) signs its users in against the loopback issuer as it
would against Cognito or Auth0.

``GET /authorize`` shows a page with one button per example caller (no password: the issuer signs
for anyone); choosing one redirects back with a one-time code. ``POST /token`` trades the code,
with the PKCE verifier, for an ID token (audience: the client) and an access token (audience: the
API). Written by hand because it is a few dozen lines over the issuer's key, and an identity
provider package would be a far larger dev dependency than the flow it would serve here.

What it checks is what a client could get wrong: a redirect URI that is not loopback, a missing
or wrong PKCE verifier (S256 only), a code used twice, late (60 s) or by another client or
redirect URI. It does not authenticate clients (any id, any secret): it is dev only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = [
    "AUTHORIZE_PATH",
    "TOKEN_PATH",
    "Authorization",
    "SignInError",
    "SignIns",
    "basic_client_id",
]

AUTHORIZE_PATH = "/authorize"
TOKEN_PATH = "/token"  # noqa: S105 (a path, not a secret)
CODE_TTL_S = 60.0
# RFC 7636: a verifier is 43 to 128 characters of [A-Za-z0-9-._~].
_VERIFIER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class SignInError(ValueError):
    """A refused authorization or token request: ``code`` is the OAuth error code."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}


@dataclass(frozen=True)
class _Grant:
    subject: str
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    expires: float


@dataclass(frozen=True)
class Authorization:
    """A checked ``/authorize`` request: where to send the code, and what to bind it to."""

    client_id: str
    redirect_uri: str
    state: str | None
    challenge: str
    nonce: str | None

    def hidden_fields(self) -> dict[str, str]:
        fields = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        if self.state is not None:
            fields["state"] = self.state
        if self.nonce is not None:
            fields["nonce"] = self.nonce
        return fields


def _loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        return ip_address(parts.hostname).is_loopback
    except ValueError:
        return parts.hostname == "localhost"


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class SignIns:
    """The codes given out and not yet used (in memory: a restart ends pending sign-ins)."""

    def __init__(self, callers: tuple[str, ...]) -> None:
        self.callers = callers
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def authorization(self, query: str) -> Authorization:
        """The request's parameters, checked (SignInError says what is wrong)."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if not client_id:
            raise SignInError("invalid_request", "client_id is required")
        if not _loopback_redirect(redirect_uri):
            raise SignInError(
                "invalid_request",
                "redirect_uri must be an http(s) URL on loopback (127.0.0.1, ::1 or localhost): "
                "the dev issuer signs for anyone, so it sends codes to this machine only",
            )
        if params.get("response_type") != "code":
            raise SignInError("unsupported_response_type", "response_type must be code")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not challenge:
            raise SignInError(
                "invalid_request",
                "PKCE is required: code_challenge with code_challenge_method=S256",
            )
        return Authorization(
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=params.get("state"),
            challenge=challenge,
            nonce=params.get("nonce"),
        )

    def page(self, authorization: Authorization) -> str:
        """The sign-in page: one button per example caller, posting back to ``/authorize``."""
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in authorization.hidden_fields().items()
        )
        buttons = "".join(
            f'<button type="submit" name="subject" value="{html.escape(name)}">'
            f"Sign in as {html.escape(name)}</button> "
            for name in self.callers
        )
        client = html.escape(authorization.client_id)
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Sign in: jobstream dev issuer</title></head><body><main>"
            "<h1>Sign in</h1>"
            f"<p>{client} asks who you are. This is the DEV issuer of the local stack: it signs "
            "for anyone, without a password, and only on this machine.</p>"
            f"<form method='post' action='{AUTHORIZE_PATH}'>{hidden}{buttons}</form>"
            "</main></body></html>"
        )

    def approve(self, form: str, *, now: float | None = None) -> str:
        """The chosen caller's code, as the redirect URL to send the browser to."""
        authorization = self.authorization(form)
        subject = dict(parse_qsl(form)).get("subject", "")
        if subject not in self.callers:
            raise SignInError("access_denied", f"choose one of {', '.join(self.callers)}")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                subject=subject,
                client_id=authorization.client_id,
                redirect_uri=authorization.redirect_uri,
                challenge=authorization.challenge,
                nonce=authorization.nonce,
                expires=(time.time() if now is None else now) + CODE_TTL_S,
            )
        query = {"code": code}
        if authorization.state is not None:
            query["state"] = authorization.state
        separator = "&" if urlsplit(authorization.redirect_uri).query else "?"
        return f"{authorization.redirect_uri}{separator}{urlencode(query)}"

    def redeem(
        self, form: str, *, basic_client: str | None, now: float | None = None
    ) -> dict[str, Any]:
        """Check a token request; return the grant's ``subject``, ``client_id`` and ``nonce``.
        The code is spent whatever the outcome (a code tried with a wrong verifier is dead)."""
        params = dict(parse_qsl(form, keep_blank_values=True))
        if params.get("grant_type") != "authorization_code":
            raise SignInError("unsupported_grant_type", "grant_type must be authorization_code")
        with self._lock:
            grant = self._grants.pop(params.get("code", ""), None)
        if grant is None:
            raise SignInError("invalid_grant", "the code is unknown or was already used")
        if (time.time() if now is None else now) > grant.expires:
            raise SignInError("invalid_grant", f"the code expired ({CODE_TTL_S:g} s)")
        client_id = basic_client or params.get("client_id", "")
        if client_id != grant.client_id:
            raise SignInError("invalid_grant", "the code was given to another client")
        if params.get("redirect_uri") != grant.redirect_uri:
            raise SignInError("invalid_grant", "redirect_uri differs from the authorization's")
        verifier = params.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or not set(verifier) <= _VERIFIER_CHARS:
            raise SignInError("invalid_grant", "code_verifier must be 43-128 unreserved characters")
        if not secrets.compare_digest(_s256(verifier), grant.challenge):
            raise SignInError("invalid_grant", "code_verifier does not match the code_challenge")
        return {"subject": grant.subject, "client_id": grant.client_id, "nonce": grant.nonce}


def basic_client_id(authorization: str | None) -> str | None:
    """The client id of an ``Authorization: Basic`` header (client_secret_basic), if any."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    client, _, _secret = decoded.partition(":")
    # RFC 6749 2.3.1: the id is form-urlencoded inside the header.
    return dict(parse_qsl(f"c={client}")).get("c", client)
