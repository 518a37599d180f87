"""replay: re-applying the topic, from scratch or over the rows, writes the same bytes."""

from datetime import UTC, datetime, timedelta

from migrator.extract import run_extract
from migrator.load import run_load, run_replay
from sendfx_shared.postgres import connect

from .support import WIPE_LOADED, Scenario, fetch, table_checksums


async def _wipe(postgres_url: str) -> None:
    connection = await connect(postgres_url)
    try:
        await connection.execute(WIPE_LOADED)
    finally:
        await connection.close()


async def test_two_replays_leave_byte_identical_tables(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    loaded = await table_checksums(scenario.postgres_url)
    assert all(loaded.values())

    await run_replay(scenario.load_settings())
    assert await table_checksums(scenario.postgres_url) == loaded

    await _wipe(scenario.postgres_url)
    await run_replay(scenario.load_settings())
    first = await table_checksums(scenario.postgres_url)
    await _wipe(scenario.postgres_url)
    await run_replay(scenario.load_settings())
    assert await table_checksums(scenario.postgres_url) == first == loaded


async def test_replay_of_some_collections_or_recent_records(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings(), collections=["tiers", "users"])
    summary = await run_replay(scenario.load_settings(), collections=["tiers"])
    assert summary.outcome.migrated["tiers"] == 5
    assert summary.outcome.migrated["users"] == 0
    assert len(await fetch(scenario.postgres_url, "SELECT id FROM core.users")) == 0

    future = datetime.now(UTC) + timedelta(hours=1)
    nothing = await run_replay(scenario.load_settings(), since=future)
    assert sum(nothing.outcome.migrated.values()) == 0
