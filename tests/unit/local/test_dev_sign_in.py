"""The dev issuer's authorization code flow (jobstream_local.dev_sign_in), without sockets: what
it refuses, and that a code is bound to its client, redirect URI and PKCE challenge, once."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from jobstream_local.dev_sign_in import CODE_TTL_S, SignInError, SignIns, basic_client_id

VERIFIER = "v" * 43
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)
REDIRECT = "http://127.0.0.1:3000/api/auth/callback/jobstream"


def authorize_query(**changes: str) -> str:
    params = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": REDIRECT,
        "state": "s-1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "nonce": "n-1",
        **changes,
    }
    return urlencode({name: value for name, value in params.items() if value != "-"})


def code_for(sign_ins: SignIns, subject: str = "alice", *, now: float = 1000.0) -> str:
    location = sign_ins.approve(authorize_query(subject=subject), now=now)
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT
    query = parse_qs(parts.query)
    assert query["state"] == ["s-1"]
    return query["code"][0]


def token_form(code: str, **changes: str) -> str:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
        "client_id": "app",
        **changes,
    }
    return urlencode(form)


def test_a_code_is_redeemed_once_for_its_caller() -> None:
    sign_ins = SignIns(("alice", "bob"))
    code = code_for(sign_ins, "bob")
    grant = sign_ins.redeem(token_form(code), basic_client=None, now=1001.0)
    assert grant == {"subject": "bob", "client_id": "app", "nonce": "n-1"}
    with pytest.raises(SignInError) as again:
        sign_ins.redeem(token_form(code), basic_client=None, now=1001.0)
    assert again.value.code == "invalid_grant"


@pytest.mark.parametrize(
    ("changes", "basic", "why"),
    [
        ({"code_verifier": "w" * 43}, None, "does not match"),
        ({"code_verifier": "short"}, None, "43-128"),
        ({"redirect_uri": "http://127.0.0.1:3000/elsewhere"}, None, "redirect_uri"),
        ({"client_id": "other"}, None, "another client"),
        ({"client_id": ""}, "other", "another client"),
    ],
)
def test_a_token_request_that_does_not_match_its_code_is_refused_and_spends_it(
    changes: dict[str, str], basic: str | None, why: str
) -> None:
    sign_ins = SignIns(("alice",))
    code = code_for(sign_ins)
    with pytest.raises(SignInError) as refused:
        sign_ins.redeem(token_form(code, **changes), basic_client=basic, now=1001.0)
    assert refused.value.code == "invalid_grant"
    assert why in refused.value.description
    # A code tried wrongly is dead: the right request after it fails too.
    with pytest.raises(SignInError, match="already used"):
        sign_ins.redeem(token_form(code), basic_client=None, now=1001.0)


def test_a_late_code_is_refused() -> None:
    sign_ins = SignIns(("alice",))
    code = code_for(sign_ins, now=1000.0)
    with pytest.raises(SignInError, match="expired"):
        sign_ins.redeem(token_form(code), basic_client=None, now=1000.0 + CODE_TTL_S + 1)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"redirect_uri": "https://evil.example/callback"}, "invalid_request"),
        ({"redirect_uri": "-"}, "invalid_request"),
        ({"client_id": "-"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "-"}, "invalid_request"),
    ],
)
def test_an_authorization_request_it_cannot_serve_is_refused(
    changes: dict[str, str], code: str
) -> None:
    with pytest.raises(SignInError) as refused:
        SignIns(("alice",)).authorization(authorize_query(**changes))
    assert refused.value.code == code


def test_only_the_example_callers_can_be_chosen() -> None:
    with pytest.raises(SignInError) as refused:
        SignIns(("alice", "bob")).approve(authorize_query(subject="mallory"))
    assert refused.value.code == "access_denied"


def test_the_page_offers_each_caller_and_carries_the_request_escaped() -> None:
    sign_ins = SignIns(("alice", "bob"))
    page = sign_ins.page(sign_ins.authorization(authorize_query(state='"><script>')))
    assert "Sign in as alice" in page
    assert "Sign in as bob" in page
    assert "<script>" not in page
    assert "&quot;&gt;&lt;script&gt;" in page


def test_basic_client_authentication_names_the_client() -> None:
    header = "Basic " + base64.b64encode(b"my%20app:secret").decode()
    assert basic_client_id(header) == "my app"
    assert basic_client_id("Bearer x") is None
    assert basic_client_id("Basic !!!") is None
    assert basic_client_id(None) is None
