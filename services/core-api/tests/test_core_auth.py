"""Register, login (argon2, and legacy bcrypt upgraded on first login), me."""

import uuid
from typing import Any

import bcrypt
import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_api.settings import ADMIN_EMAIL, CoreApiSettings
from sendfx_shared.postgres import connect

PASSWORD = "correct horse battery"


async def test_register_then_login_then_me(client: httpx.AsyncClient, log_in: Any) -> None:
    email = f"Ada-{uuid.uuid4().hex[:8]}@Example.com"
    created = await client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "Ada"}
    )
    assert created.status_code == 201
    assert created.json()["role"] == "user"
    assert "password" not in created.text

    # Email matching ignores case.
    response = await client.post(
        "/api/auth/login", json={"email": email.lower(), "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0

    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == email and me.json()["name"] == "Ada"


async def test_register_twice_with_the_same_email_in_another_case_is_409(
    client: httpx.AsyncClient,
) -> None:
    email = f"dup-{uuid.uuid4().hex[:8]}@example.com"
    first = await client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
    again = await client.post(
        "/api/auth/register", json={"email": email.upper(), "password": PASSWORD}
    )
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["detail"] == "a user with this email already exists"


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: httpx.AsyncClient, new_user: Any
) -> None:
    user = await new_user()
    wrong = await client.post("/api/auth/login", json={"email": user.email, "password": "nope!"})
    unknown = await client.post(
        "/api/auth/login", json={"email": "ghost@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_a_weak_password_is_a_422_with_field_errors(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": "short@example.com", "password": "123"}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["password"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic YTpi"}],
)
async def test_me_without_a_valid_token_is_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["status"] == 401


async def test_an_expired_token_is_401(
    client: httpx.AsyncClient, core_settings: CoreApiSettings
) -> None:
    token = jwt.encode(
        {
            "sub": str(uuid.uuid4()),
            "email": "x@example.com",
            "role": "user",
            "iss": core_settings.jwt_issuer,
            "aud": ["core-api"],
            "iat": 900,
            "exp": 1000,
        },
        core_settings.signing_keys.private,
        algorithm="EdDSA",
        headers={"kid": core_settings.signing_keys.kid},
    )
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_legacy_bcrypt_hash_logs_in_and_is_upgraded_to_argon2(
    client: httpx.AsyncClient, postgres_url: str
) -> None:
    email = f"legacy-{uuid.uuid4().hex[:8]}@example.com"
    legacy = bcrypt.hashpw(b"legacy-secret", bcrypt.gensalt(rounds=4)).decode()
    legacy = "$2a$" + legacy[4:]  # what the legacy bcryptjs wrote
    conn = await connect(postgres_url)
    try:
        await conn.execute(
            "INSERT INTO core.users (email, password_hash, legacy_id) VALUES ($1, $2, $3)",
            email,
            legacy,
            uuid.uuid4().hex[:24],
        )
        response = await client.post(
            "/api/auth/login", json={"email": email, "password": "legacy-secret"}
        )
        assert response.status_code == 200
        stored = await conn.fetchval("SELECT password_hash FROM core.users WHERE email = $1", email)
        assert stored.startswith("$argon2id$")
        again = await client.post(
            "/api/auth/login", json={"email": email, "password": "legacy-secret"}
        )
        assert again.status_code == 200
        wrong = await client.post("/api/auth/login", json={"email": email, "password": "other"})
        assert wrong.status_code == 401
    finally:
        await conn.close()


async def test_the_seeded_admin_has_the_admin_role(client: httpx.AsyncClient, admin: Any) -> None:
    me = await client.get("/api/auth/me", headers=admin.headers)
    assert me.json()["email"] == ADMIN_EMAIL and me.json()["role"] == "admin"


async def test_change_own_name_and_password(
    client: httpx.AsyncClient, new_user: Any, log_in: Any
) -> None:
    user = await new_user()
    response = await client.patch(
        "/api/auth/me",
        json={"name": "Renamed", "password": "a new long password"},
        headers=user.headers,
    )
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    assert await log_in(user.email, "a new long password")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "email": st.text(max_size=40),
            "password": st.text(max_size=40),
            "name": st.text(max_size=20),
        },
    )
)
async def test_any_register_body_is_answered_without_a_server_error(
    client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    response = await client.post("/api/auth/register", json=body)
    assert response.status_code in (201, 409, 422)
