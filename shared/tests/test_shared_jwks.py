"""A verifier fetches core-api's JWKS over HTTP: tokens of its keys pass,
a rotation is picked up on first sight of the new ``kid``, and made-up
``kid``s do not turn every request into a fetch."""

import asyncio
import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from sendfx_dev.ports import free_port
from sendfx_dev.testing.threaded import ThreadedServer
from sendfx_shared.auth import Authenticator, Principal, RemoteKeys, TokenIssuer
from sendfx_shared.keys import SigningKeys
from sendfx_shared.problems import ProblemError

ISSUER = "sendfx-core-api"


async def test_keys_are_fetched_cached_and_refetched_for_a_new_kid() -> None:
    served: dict[str, Any] = {"keys": SigningKeys.generate(), "fetches": 0}
    jwks_app = FastAPI()

    @jwks_app.get("/api/auth/jwks")
    async def jwks() -> dict[str, Any]:
        served["fetches"] += 1
        keys: SigningKeys = served["keys"]
        return keys.jwks()

    with ThreadedServer(jwks_app, free_port(), name="jwks") as server:
        remote = RemoteKeys(f"{server.url}/api/auth/jwks", 300, False, refetch_seconds=0.5)
        verifier = Authenticator(remote, issuer=ISSUER, audience="svc")
        principal = Principal(user_id=uuid.uuid4(), email="a@b.co", role="user")

        def token(keys: SigningKeys) -> str:
            return TokenIssuer(keys, ISSUER, ("svc",)).issue(principal)[0]

        first = token(served["keys"])
        for _ in range(3):
            assert (await verifier.authenticate(first)).user_id == principal.user_id
        assert served["fetches"] == 1  # cached

        # Tokens naming keys nobody published: at most one fetch per interval.
        await asyncio.sleep(0.6)
        for _ in range(5):
            with pytest.raises(ProblemError) as refused:
                await verifier.authenticate(token(SigningKeys.generate()))
            assert refused.value.status == 401
        assert served["fetches"] == 2

        # Rotation: core-api now serves a new key; its first token triggers a fetch.
        served["keys"] = SigningKeys.generate()
        await asyncio.sleep(0.6)  # past the refetch interval of the made-up kids
        assert (await verifier.authenticate(token(served["keys"]))).email == "a@b.co"
        assert served["fetches"] == 3
