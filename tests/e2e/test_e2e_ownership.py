"""The running platform under its own principals, as `make up` leaves it."""

import asyncio
import os
import subprocess
from typing import Any

import pytest

from sendfx_dev.stack import find_root
from sendfx_shared.postgres import connect

pytestmark = pytest.mark.e2e

BIN = find_root() / ".venv" / "bin"


def test_every_service_connects_as_its_own_role_with_its_name(platform: Any) -> None:
    async def sessions() -> set[tuple[str, str]]:
        conn = await connect(platform.config.postgres_url)
        try:
            rows = await conn.fetch(
                "SELECT DISTINCT usename::text AS role, application_name AS name"
                " FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        return {(r["role"], r["name"]) for r in rows}

    assert asyncio.run(sessions()) == {
        ("sendfx_core_api", "core-api"),
        ("sendfx_usage_ingestor", "usage-ingestor"),
    }


def test_check_ownership_finds_no_drift_on_the_running_platform(platform: Any) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_URL")},
        "POSTGRES_URL": platform.config.postgres_url,
        "MONGO_URL": platform.config.mongo_url,
    }
    result = subprocess.run(
        [str(BIN / "sendfx-dev"), "check-ownership"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "enforce the declared ownership" in result.stdout
