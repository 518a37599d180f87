"""reset-factory: everything goes but admin@sendfx.ai and adminlogsettings,
the migrator's own state included, so that the next extract and load start over."""

import asyncio
import subprocess

from pymongo import AsyncMongoClient

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.reset import MIGRATOR_STATE, run_reset
from migrator.settings import CHECKPOINT_COLLECTION
from migrator.verify import run_verify
from sendfx_shared.postgres import connect

from .support import CORE_TABLES, MIGRATOR, Scenario, fetch, recreate_topic


async def _counts(scenario: Scenario) -> dict[str, int]:
    counts = {}
    for table in (*CORE_TABLES, *MIGRATOR_STATE):
        rows = await fetch(scenario.postgres_url, f"SELECT count(*) AS n FROM {table}")
        counts[table] = rows[0]["n"]
    return counts


async def test_reset_factory_keeps_the_admin_and_log_settings(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    connection = await connect(scenario.postgres_url)
    try:
        await connection.execute(
            "INSERT INTO core.users (email, password_hash, role) "
            "VALUES ('admin@sendfx.ai', 'x', 'admin')"
        )
    finally:
        await connection.close()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(scenario.mongo_url)
    feature = client.get_default_database()
    await feature["adminlogsettings"].insert_one({"_id": "global", "level": "debug"})
    await feature["conversations"].insert_many([{"title": "a"}, {"title": "b"}])
    await feature["flows"].insert_one({"name": "f"})
    before = await _counts(scenario)
    try:
        env = scenario.command_env("operator", "feature", "legacy")
        dry = await asyncio.to_thread(
            subprocess.run, [MIGRATOR, "reset-factory"], env=env, capture_output=True, text=True
        )
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert "nothing deleted" in dry.stdout
        # The dry run lists the migrator's state too, the stored offsets among it.
        assert before["migrator.consumer_offsets"] > 0
        for where in (
            *MIGRATOR_STATE,
            f"{scenario.legacy_database}_migrator.{CHECKPOINT_COLLECTION}",
        ):
            assert where in dry.stdout
        assert await _counts(scenario) == before
        assert await feature["conversations"].count_documents({}) == 2

        plan = await run_reset(scenario.operator_settings(), confirmed=True)
        assert plan.done
        users = await fetch(scenario.postgres_url, "SELECT email::text AS e FROM core.users")
        assert [u["e"] for u in users] == ["admin@sendfx.ai"]
        after = await _counts(scenario)
        assert after["core.users"] == 1
        assert all(n == 0 for t, n in after.items() if t != "core.users")
        assert await feature["conversations"].count_documents({}) == 0
        assert await feature["flows"].count_documents({}) == 0
        assert await feature["adminlogsettings"].count_documents({}) == 1
        # The legacy data is the migration's source, not feature data: still there.
        legacy = client[scenario.legacy_database]
        assert await legacy["users"].count_documents({}) == len(scenario.documents["users"])
    finally:
        await client.close()


async def test_reset_then_extract_and_load_is_a_fresh_migration(scenario: Scenario) -> None:
    """The operator's way to start over, on a broker that lost its topic in
    between (every local `make up` starts an empty one): the offsets stored
    by the first load must not make the second one skip the new records."""
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    await run_reset(scenario.operator_settings(), confirmed=True)
    left = await fetch(scenario.postgres_url, "SELECT count(*) AS n FROM migrator.consumer_offsets")
    assert left[0]["n"] == 0
    await recreate_topic(scenario)

    extracted = await run_extract(scenario.extract_settings())
    assert not extracted.resumed
    summary = await run_load(scenario.load_settings())
    total = sum(len(d) for d in scenario.documents.values())
    assert summary.consumed == total
    assert not (await run_verify(scenario.operator_settings())).has_drift
