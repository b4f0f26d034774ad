"""The kind of JWT the API accepts (JOBSTREAM_JWT_TOKEN_USE, JOBSTREAM_JWT_TYP): an ID token is
refused where an access token is required, by Cognito's token_use claim or by RFC 9068's typ, and
every forgery refused without the rule stays refused with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from tests.integration.api.conftest import ClientFor
from tests.integration.api.test_caller_auth import CREATE, assert_refused, bearer
from tests.oidc_issuer import AUDIENCE, Issuer, hs256_with_public_key, tampered, unsigned_token

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.anyio


def cognito_access_token(issuer: Issuer, subject: str = "u1") -> str:
    return issuer.token(subject, aud=None, client_id=AUDIENCE, token_use="access")


def cognito_id_token(issuer: Issuer, subject: str = "u1") -> str:
    return issuer.token(subject, token_use="id")


async def create(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/jobs", json=CREATE, headers=bearer(token))


async def test_by_default_either_kind_is_accepted(client_for: ClientFor, issuer: Issuer) -> None:
    async with client_for() as client:
        assert (await create(client, cognito_access_token(issuer))).status_code == 201
        assert (await create(client, cognito_id_token(issuer))).status_code == 201


async def test_a_cognito_id_token_is_refused_where_an_access_token_is_required(
    client_for: ClientFor, issuer: Issuer
) -> None:
    async with client_for(jwt_token_use="access") as client:
        assert (await create(client, cognito_access_token(issuer))).status_code == 201
        assert_refused(await create(client, cognito_id_token(issuer)), "access tokens only")
        assert_refused(await create(client, issuer.token("u1")), "access tokens only")  # none
        # Every route, not only the create: GET /jobs lists with the same caller check.
        listed = await client.get("/jobs", headers=bearer(cognito_id_token(issuer)))
        assert_refused(listed, "access tokens only")


async def test_an_id_token_may_be_required_instead(client_for: ClientFor, issuer: Issuer) -> None:
    async with client_for(jwt_token_use="id") as client:
        assert (await create(client, cognito_id_token(issuer))).status_code == 201
        assert_refused(await create(client, cognito_access_token(issuer)), "id tokens only")


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT"])
async def test_an_rfc_9068_access_token_is_accepted_in_every_spelling(
    client_for: ClientFor, issuer: Issuer, typ: str
) -> None:
    """typ is case-insensitive and "application/" may be left out (RFC 7515 4.1.9, RFC 9068 4)."""
    async with client_for(jwt_typ="at+jwt") as client:
        assert (await create(client, issuer.token("u1", typ=typ))).status_code == 201


@pytest.mark.parametrize("typ", ["JWT", None, "id+jwt", "application/jwt"])
async def test_a_token_that_is_not_an_rfc_9068_access_token_is_refused(
    client_for: ClientFor, issuer: Issuer, typ: str | None
) -> None:
    async with client_for(jwt_typ="at+jwt") as client:
        assert_refused(await create(client, issuer.token("u1", typ=typ)), "typ at+jwt")


@pytest.mark.parametrize(
    "changes", [{"jwt_token_use": "access"}, {"jwt_typ": "at+jwt"}], ids=["token_use", "typ"]
)
async def test_every_forgery_stays_refused_under_the_kind_rules(
    client_for: ClientFor, issuer: Issuer, changes: dict[str, str]
) -> None:
    """The kind checks run after the signature's, never instead of it: a forged token that names
    the right kind is refused as before, for the reason it was refused before."""
    [key] = issuer.published[:1]
    claims = issuer.claims("u1", aud=None, client_id=AUDIENCE, token_use="access")
    async with client_for(**changes) as client:
        # An ID token turned into an access token after signing.
        forged = tampered(cognito_id_token(issuer), token_use="access")
        assert_refused(await create(client, forged), "signature")
        assert_refused(await create(client, unsigned_token(claims, key.kid)), "signed with one of")
        assert_refused(
            await create(client, hs256_with_public_key(claims, key)), "signed with one of"
        )
        expired = issuer.token("u1", typ="at+jwt", token_use="access", exp=claims["iat"] - 3600)
        assert_refused(await create(client, expired), "expired")
        other_issuer = issuer.token("u1", typ="at+jwt", token_use="access", iss="https://x.example")
        assert_refused(await create(client, other_issuer), "another issuer")
