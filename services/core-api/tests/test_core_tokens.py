"""Sessions and revocation on the real PostgreSQL: EdDSA access tokens with an
audience and a kid, rotating refresh tokens (reuse revokes the family),
logout, and tokens stopped at once by deactivation, demotion or a new
password."""

import uuid
from typing import Any

import httpx
import jwt
from starlette.requests import Request

from core_api.settings import CoreApiSettings
from sendfx_shared.auth import Principal, TokenIssuer
from sendfx_shared.http import client_address
from sendfx_shared.keys import SigningKeys

PASSWORD = "correct horse battery"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_login_tokens_are_short_lived_eddsa_for_the_platforms_services(
    client: httpx.AsyncClient, new_user: Any
) -> None:
    user = await new_user()
    tokens = await login(client, user.email)
    assert 0 < tokens["expires_in"] <= 900
    assert tokens["refresh_token"] and tokens["token_type"] == "bearer"

    jwks = (await client.get("/api/auth/jwks")).json()
    assert all("d" not in key for key in jwks["keys"])  # public halves only
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "EdDSA"
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        tokens["access_token"],
        jwt.PyJWK.from_dict(key).key,
        algorithms=["EdDSA"],
        audience="feature-api",
    )
    assert set(claims["aud"]) == {"core-api", "feature-api", "usage-ingestor"}
    assert claims["exp"] - claims["iat"] <= 900


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(
    client: httpx.AsyncClient, new_user: Any
) -> None:
    user = await new_user()
    first = await login(client, user.email)
    second = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (
        await client.get("/api/auth/me", headers=bearer(rotated["access_token"]))
    ).status_code == 200

    # The first token again: a stolen copy. Both it and its successor stop.
    reused = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    successor = await client.post(
        "/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert successor.status_code == 401

    # Another session of the same user is untouched.
    other = await login(client, user.email)
    again = await client.post("/api/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert again.status_code == 200


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient, new_user: Any) -> None:
    user = await new_user()
    tokens = await login(client, user.email)
    out = await client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    after = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert after.status_code == 401
    unknown = await client.post("/api/auth/logout", json={"refresh_token": "never-issued"})
    assert unknown.status_code == 204


async def test_a_deactivated_users_tokens_stop_at_once(
    client: httpx.AsyncClient, new_user: Any, admin: Any
) -> None:
    user = await new_user()
    tokens = await login(client, user.email)
    assert (
        await client.get("/api/auth/me", headers=bearer(tokens["access_token"]))
    ).status_code == 200
    off = await client.patch(
        f"/api/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers
    )
    assert off.status_code == 200
    me = await client.get("/api/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401


async def test_a_demoted_admin_is_refused_on_admin_routes(
    client: httpx.AsyncClient, admin: Any
) -> None:
    email = f"second-admin-{uuid.uuid4().hex[:8]}@example.com"
    made = await client.post(
        "/api/admin/users",
        json={"email": email, "password": PASSWORD, "role": "admin"},
        headers=admin.headers,
    )
    assert made.status_code == 201
    tokens = await login(client, email)
    assert (
        await client.get("/api/admin/users", headers=bearer(tokens["access_token"]))
    ).status_code == 200
    demoted = await client.patch(
        f"/api/admin/users/{made.json()['id']}", json={"role": "user"}, headers=admin.headers
    )
    assert demoted.status_code == 200
    refused = await client.get("/api/admin/users", headers=bearer(tokens["access_token"]))
    assert refused.status_code in (401, 403)
    # A fresh token carries the new role: signed in, but no admin routes.
    fresh = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert fresh.status_code == 200
    headers = bearer(fresh.json()["access_token"])
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    assert (await client.get("/api/admin/users", headers=headers)).status_code == 403


async def test_a_password_change_stops_older_tokens_and_sessions(
    client: httpx.AsyncClient, new_user: Any
) -> None:
    user = await new_user()
    tokens = await login(client, user.email)
    changed = await client.patch(
        "/api/auth/me", json={"password": "a brand new passphrase"}, headers=user.headers
    )
    assert changed.status_code == 200
    assert (
        await client.get("/api/auth/me", headers=bearer(tokens["access_token"]))
    ).status_code == 401
    stale = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert stale.status_code == 401
    await login(client, user.email, "a brand new passphrase")


async def test_tokens_signed_with_another_key_or_for_another_service_are_refused(
    client: httpx.AsyncClient, new_user: Any, core_settings: CoreApiSettings
) -> None:
    user = await new_user()
    me = (await client.get("/api/auth/me", headers=user.headers)).json()
    principal = Principal(user_id=user.id, email=user.email, role=me["role"])
    keys = core_settings.signing_keys
    forged = TokenIssuer(
        SigningKeys.generate(kid=keys.kid), core_settings.jwt_issuer, ("core-api",)
    )
    elsewhere = TokenIssuer(keys, core_settings.jwt_issuer, ("feature-api",))
    for issuer in (forged, elsewhere):
        token, _ = issuer.issue(principal)
        response = await client.get("/api/auth/me", headers=bearer(token))
        assert response.status_code == 401, response.text
    # The same claims with core-api's key and audience pass.
    good, _ = TokenIssuer(keys, core_settings.jwt_issuer, ("core-api",)).issue(principal)
    assert (await client.get("/api/auth/me", headers=bearer(good))).status_code == 200


async def test_brute_force_gets_429_while_the_victim_still_logs_in_from_elsewhere(
    client: httpx.AsyncClient, new_user: Any
) -> None:
    user = await new_user()
    attacker = {"X-Forwarded-For": "203.0.113.7"}  # through the trusted gateway
    victim = {"X-Forwarded-For": "198.51.100.20"}

    async def attempt(password: str, headers: dict[str, str]) -> httpx.Response:
        return await client.post(
            "/api/auth/login", json={"email": user.email, "password": password}, headers=headers
        )

    statuses = [(await attempt(f"guess-{n}", attacker)).status_code for n in range(8)]
    assert statuses[:3] == [401, 401, 401]  # a few typos are free
    assert 429 in statuses
    throttled = await attempt("one more guess", attacker)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.headers["content-type"].startswith("application/problem+json")
    # During the delay even the right password is refused from that address...
    assert (await attempt(PASSWORD, attacker)).status_code == 429
    # ...while the victim, from their own address, signs in.
    assert (await attempt(PASSWORD, victim)).status_code == 200


def test_forwarded_addresses_are_believed_only_from_a_trusted_proxy(
    core_settings: CoreApiSettings,
) -> None:
    def request(peer: str, forwarded: str) -> Request:
        headers = [(b"x-forwarded-for", forwarded.encode())]
        return Request({"type": "http", "client": (peer, 1), "headers": headers})

    trusted = core_settings.trusted_proxies
    # The gateway appends the real peer: a spoofed left part is ignored.
    assert client_address(request("127.0.0.1", "6.6.6.6, 203.0.113.7"), trusted) == "203.0.113.7"
    # A client talking to core-api directly cannot choose its address.
    assert client_address(request("192.0.2.1", "203.0.113.7"), trusted) == "192.0.2.1"
