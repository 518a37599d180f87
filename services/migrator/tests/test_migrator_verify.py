"""verify: counts and per-record checksums, and a drift report with ids."""

import asyncio
import subprocess

from bson.objectid import ObjectId
from pymongo import AsyncMongoClient

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.verify import run_verify
from sendfx_shared.postgres import connect

from .support import MIGRATOR, Scenario, fetch


async def test_verify_reports_changed_deleted_and_new_records(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    assert not (await run_verify(scenario.operator_settings())).has_drift

    workspace, renamed = await fetch(
        scenario.postgres_url, "SELECT legacy_id FROM core.workspaces ORDER BY id LIMIT 2"
    )
    counter = (await fetch(scenario.postgres_url, "SELECT legacy_id FROM core.usage_counters"))[0]
    connection = await connect(scenario.postgres_url)
    try:
        # Tampering that leaves updated_at alone (as only the loader may): drift.
        async with connection.transaction():
            await connection.execute("SET LOCAL sendfx.keep_updated_at = 'on'")
            await connection.execute(
                "UPDATE core.workspaces SET name = 'tampered' WHERE legacy_id = $1",
                workspace["legacy_id"],
            )
        # A change the platform makes (the trigger stamps it): kept, not drift.
        await connection.execute(
            "UPDATE core.workspaces SET name = 'renamed' WHERE legacy_id = $1",
            renamed["legacy_id"],
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
    assert by_name["workspaces"].differing == {workspace["legacy_id"]: ["name"]}
    assert by_name["workspaces"].kept == [renamed["legacy_id"]]
    assert by_name["usagecounters"].missing == [counter["legacy_id"]]
    assert by_name["tiers"].missing == [str(newcomer)]
    assert not by_name["users"].drift

    # The operator sees the same, and a non-zero exit status.
    result = await asyncio.to_thread(
        subprocess.run,
        [MIGRATOR, "verify"],
        env=scenario.command_env("legacy", "feature", "operator"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    output = " ".join(result.stdout.split())
    assert f"differing: workspaces {workspace['legacy_id']}: name" in output
    assert f"kept (the platform's row, not drift): workspaces {renamed['legacy_id']}" in output
    assert f"missing: usagecounters {counter['legacy_id']}" in output
    assert f"missing: tiers {newcomer}" in output
