"""Problem details, auth dependencies, cursors and the store guard, through a real app."""

import json
import re
import uuid

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from sendfx_shared.auth import (
    Authenticator,
    CurrentAdmin,
    CurrentPrincipal,
    Principal,
    StaticKeys,
    TokenIssuer,
)
from sendfx_shared.http import REQUEST_ID_HEADER, install_common, request_id_of
from sendfx_shared.keys import SigningKeys
from sendfx_shared.ownership import ForeignStoreConfigured, refuse_foreign_store
from sendfx_shared.pagination import decode_cursor, encode_cursor
from sendfx_shared.problems import ProblemError
from sendfx_shared.settings import database_of

KEYS = SigningKeys.generate()


class Body(BaseModel):
    name: str
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    # Outside development: a token signed with the development key is refused.
    jwks = [*KEYS.jwks()["keys"], SigningKeys.development().current_jwk()]
    app.state.authenticator = Authenticator(
        StaticKeys(jwks, allow_development=False), issuer="sendfx-core-api", audience="svc"
    )
    install_common(app)

    @app.post("/things")
    async def create(body: Body) -> Body:
        return body

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {"email": principal.email}

    @app.get("/admin")
    async def admin(principal: CurrentAdmin) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/boom")
    async def boom() -> None:
        raise ProblemError(409, "already there", kind="conflict")

    return app


@pytest.fixture
def client() -> httpx.AsyncClient:
    # As a server would: an unexpected error is answered, not raised to the client.
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def token(
    role: str = "user", keys: SigningKeys = KEYS, audiences: tuple[str, ...] = ("svc", "other")
) -> str:
    principal = Principal(user_id=uuid.uuid4(), email="a@b.co", role=role)  # type: ignore[arg-type]
    return TokenIssuer(keys, "sendfx-core-api", audiences).issue(principal)[0]


async def test_invalid_body_is_a_422_problem_with_field_errors(client: httpx.AsyncClient) -> None:
    response = await client.post("/things", json={"name": "x", "count": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert body["errors"][0]["field"] == "count"


async def test_problem_error_keeps_status_and_detail(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")
    assert response.status_code == 409
    assert response.json()["detail"] == "already there"


async def test_unknown_route_is_a_problem_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_request_id_is_passed_through_or_added(client: httpx.AsyncClient) -> None:
    given_id = (await client.get("/boom", headers={REQUEST_ID_HEADER: "abc"})).headers
    assert given_id[REQUEST_ID_HEADER] == "abc"
    assert (await client.get("/boom")).headers[REQUEST_ID_HEADER]


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200))
def test_a_request_id_is_kept_only_when_valid(given_id: str) -> None:
    """CONTRACT.md: 1 to 128 characters of [A-Za-z0-9._-], else replaced."""
    kept = request_id_of(given_id)
    valid = re.fullmatch(r"[A-Za-z0-9._-]{1,128}", given_id) is not None
    assert (kept == given_id) is valid
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,128}", kept)


async def test_an_invalid_request_id_is_replaced_and_errors_keep_their_text(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/crash", headers={REQUEST_ID_HEADER: "bad id\twith spaces"})
    assert response.status_code == 500
    request_id = response.headers[REQUEST_ID_HEADER]
    assert request_id != "bad id\twith spaces" and re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert "secret internals" not in response.text
    assert request_id in response.json()["detail"]
    assert any(request_id in r.getMessage() for r in caplog.records)


async def test_auth_needs_a_valid_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/me")).status_code == 401
    for bad in (
        token(keys=SigningKeys.generate(kid=KEYS.kid)),  # another key under the same kid
        token(keys=SigningKeys.development()),
        token(audiences=("other",)),  # a token for another service
    ):
        refused = await client.get("/me", headers={"Authorization": f"Bearer {bad}"})
        assert refused.status_code == 401, refused.text
    ok = await client.get("/me", headers={"Authorization": f"Bearer {token()}"})
    assert ok.json() == {"email": "a@b.co"}


async def test_admin_routes_need_the_admin_role(client: httpx.AsyncClient) -> None:
    user = await client.get("/admin", headers={"Authorization": f"Bearer {token()}"})
    assert user.status_code == 403
    admin = await client.get("/admin", headers={"Authorization": f"Bearer {token('admin')}"})
    assert admin.status_code == 200


@given(st.dictionaries(st.text(max_size=10), st.one_of(st.integers(), st.text(max_size=20))))
def test_cursors_round_trip(position: dict[str, object]) -> None:
    assert decode_cursor(encode_cursor(position)) == position


@given(st.text(max_size=30))
def test_garbage_cursors_are_a_400_never_a_crash(cursor: str) -> None:
    try:
        decode_cursor(cursor)
    except ProblemError as problem:
        assert problem.status == 400


def test_a_postgres_process_refuses_a_mongo_url() -> None:
    with pytest.raises(ForeignStoreConfigured, match="MONGO_URL"):
        refuse_foreign_store("core-api", "postgres", {"MONGO_URL": "mongodb://x"})
    with pytest.raises(ForeignStoreConfigured, match="DATABASE_URL"):
        refuse_foreign_store("feature-api", "mongo", {"DATABASE_URL": "postgresql://x"})
    refuse_foreign_store("core-api", "postgres", {"POSTGRES_URL": "postgresql://x"})


@pytest.mark.parametrize(
    ("url", "database"),
    [
        ("mongodb://127.0.0.1:27017/?replicaSet=secantus", "sendfx"),
        ("mongodb://127.0.0.1:27017/legacy?replicaSet=secantus", "legacy"),
        ("mongodb://u:p@h1,h2/app", "app"),
        ("mongodb://h", "sendfx"),
    ],
)
def test_database_of_a_mongo_url(url: str, database: str) -> None:
    assert database_of(url) == database


async def test_a_token_of_a_retired_key_verifies_until_it_expires() -> None:
    """Rotation: core-api signs with the new key and still publishes the old
    public key, so tokens issued before the rotation keep working."""
    old = SigningKeys.generate()
    rotated = SigningKeys.from_pem(
        SigningKeys.generate().private_pem(), retired=json.dumps(old.jwks())
    )
    assert [k["kid"] for k in rotated.jwks()["keys"]] == [rotated.kid, old.kid]
    assert all("d" not in k for k in rotated.jwks()["keys"])
    verifier = Authenticator(
        StaticKeys(rotated.jwks()["keys"], allow_development=False),
        issuer="sendfx-core-api",
        audience="svc",
    )
    principal = Principal(user_id=uuid.uuid4(), email="a@b.co", role="user")
    for keys in (old, rotated):
        token, _ = TokenIssuer(keys, "sendfx-core-api", ("svc",)).issue(principal)
        assert (await verifier.authenticate(token)).user_id == principal.user_id
