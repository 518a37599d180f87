"""verify: counts and per-record checksums, and a drift report with ids."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from bson.objectid import ObjectId
from pymongo import AsyncMongoClient

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.testing import Scenario, fetch
from migrator.verify import run_verify
from sendfx_shared.postgres import connect

MIGRATOR = str(Path(sys.executable).parent / "migrator")


def _operator_env(scenario: Scenario) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_URL", "_SERVERS"))}
    env.update(
        POSTGRES_URL=scenario.postgres_url,
        MONGO_URL=scenario.mongo_url,
        LEGACY_MONGO_URL=scenario.legacy_url,
        KAFKA_BOOTSTRAP_SERVERS=scenario.kafka,
        KAFKA_TOPIC_PREFIX=scenario.prefix,
    )
    return env


async def test_verify_reports_changed_deleted_and_new_records(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    assert not (await run_verify(scenario.operator_settings())).has_drift

    workspace = (await fetch(scenario.postgres_url, "SELECT legacy_id FROM core.workspaces"))[0]
    counter = (await fetch(scenario.postgres_url, "SELECT legacy_id FROM core.usage_counters"))[0]
    connection = await connect(scenario.postgres_url)
    try:
        await connection.execute(
            "UPDATE core.workspaces SET name = 'tampered' WHERE legacy_id = $1",
            workspace["legacy_id"],
        )
        await connection.execute(
            "DELETE FROM core.usage_counters WHERE legacy_id = $1", counter["legacy_id"]
        )
    finally:
        await connection.close()
    newcomer = ObjectId()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(scenario.legacy_url)
    try:
        await client[scenario.legacy_database]["tiers"].insert_one(
            {"_id": newcomer, "code": "late", "name": "Late", "priceMonthly": 1}
        )
    finally:
        await client.close()

    report = await run_verify(scenario.operator_settings())
    by_name = {c.collection: c for c in report.collections}
    assert report.has_drift
    # (the trigger stamped the tampering, as it does for any write but the loader's)
    assert by_name["workspaces"].differing == {workspace["legacy_id"]: ["name", "updated_at"]}
    assert by_name["usagecounters"].missing == [counter["legacy_id"]]
    assert by_name["tiers"].missing == [str(newcomer)]
    assert not by_name["users"].drift

    # The operator sees the same, and a non-zero exit status.
    result = await asyncio.to_thread(
        subprocess.run,
        [MIGRATOR, "verify"],
        env=_operator_env(scenario),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    output = " ".join(result.stdout.split())
    assert f"differing: workspaces {workspace['legacy_id']}: name, updated_at" in output
    assert f"missing: usagecounters {counter['legacy_id']}" in output
    assert f"missing: tiers {newcomer}" in output
