"""A legacy account keeps its password across the migration.

The old app stored bcrypt hashes; the migrator carries them over as they are
and core-api accepts them at login, re-hashing to argon2 on first success.
This crosses three processes the way an operator runs them: `migrator
extract` (MongoDB + Kafka), `migrator load` (Kafka + PostgreSQL), then a
login through the gateway. Each command is given only the servers' addresses
and connects as its own principal (``migrator-extract``, ``sendfx_migrator``),
as after `make up`.
"""

import asyncio
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import bcrypt
import httpx
import pytest
from bson import ObjectId
from pymongo import MongoClient

from sendfx_dev.stack import find_root
from sendfx_shared.postgres import connect

pytestmark = pytest.mark.e2e

BIN = find_root(Path(__file__).parent) / ".venv" / "bin"
LEGACY_PASSWORD = "hunter2-from-2019"
STORE_VARIABLES = ("POSTGRES_URL", "DATABASE_URL", "MONGO_URL", "LEGACY_MONGO_URL")


def run_migrator(command: str, env: dict[str, str]) -> None:
    base = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
    result = subprocess.run(
        [str(BIN / "migrator"), command],
        env={**base, **env, "COLUMNS": "120", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"migrator {command}: {result.stdout}\n{result.stderr}"


async def password_hash_of(postgres_url: str, email: str) -> str:
    conn = await connect(postgres_url)
    try:
        value = await conn.fetchval("SELECT password_hash FROM core.users WHERE email = $1", email)
    finally:
        await conn.close()
    assert isinstance(value, str)
    return value


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "authSource"]
    return urlunsplit(
        parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1], query=urlencode(query))
    )


def test_a_migrated_bcrypt_password_logs_in_and_is_upgraded_to_argon2(platform: Any) -> None:
    config = platform.config
    # The legacy collections live in the platform's database (the local default).
    client: MongoClient[dict[str, object]] = MongoClient(config.mongo_url)
    legacy_hash = bcrypt.hashpw(LEGACY_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    legacy_id = ObjectId()
    try:
        client.get_default_database().users.insert_one(
            {
                "_id": legacy_id,
                # The old app kept emails as typed.
                "email": "  Old.Timer@Example.COM ",
                "passwordHash": legacy_hash,
                "name": "Old Timer",
                "role": "user",
                "isActive": True,
                "createdAt": datetime(2019, 3, 1, tzinfo=UTC),
            }
        )
        kafka = {
            "KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": config.kafka_topic_prefix,
        }
        run_migrator("extract", {**kafka, "MONGO_URL": without_credentials(config.mongo_url)})
        run_migrator("load", {**kafka, "POSTGRES_URL": without_credentials(config.postgres_url)})
    finally:
        client.get_default_database().users.delete_one({"_id": legacy_id})
        client.close()

    email = "old.timer@example.com"
    assert asyncio.run(password_hash_of(config.postgres_url, email)) == legacy_hash

    with httpx.Client(base_url=platform.url, timeout=30) as http:
        wrong = http.post("/api/auth/login", json={"email": email, "password": "nope"})
        assert wrong.status_code == 401
        first = http.post("/api/auth/login", json={"email": email, "password": LEGACY_PASSWORD})
        assert first.status_code == 200, first.text
        assert asyncio.run(password_hash_of(config.postgres_url, email)).startswith("$argon2")
        again = http.post("/api/auth/login", json={"email": email, "password": LEGACY_PASSWORD})
        assert again.status_code == 200, again.text
        me = http.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {again.json()['access_token']}"}
        )
        assert me.json()["email"] == email
