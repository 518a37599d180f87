"""A real crash: `migrator extract` killed with SIGKILL mid-run, then run again."""

import asyncio
import signal

import pytest
from pymongo import AsyncMongoClient

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.settings import CHECKPOINT_COLLECTION
from migrator.verify import run_verify

from .support import MIGRATOR, Scenario


@pytest.mark.slow
async def test_extract_killed_mid_run_resumes_from_its_checkpoint(scenario: Scenario) -> None:
    # Many checkpoints, so the kill lands between two.
    env = scenario.command_env("legacy", MIGRATOR_EXTRACT_BATCH_SIZE="2")
    first = await asyncio.create_subprocess_exec(
        MIGRATOR, "extract", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(scenario.legacy_url)
    # extract keeps its checkpoints beside the legacy database, which it may only read
    checkpoints = client[f"{scenario.legacy_database}_migrator"][CHECKPOINT_COLLECTION]
    try:
        for _ in range(1000):
            progress = await checkpoints.find_one({"_id": "users", "done": False})
            if progress is not None and int(str(progress["published"])) >= 20:
                break
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        stopped_at = await checkpoints.find_one({"_id": "users"})
    finally:
        await client.close()
    assert stopped_at is not None and not stopped_at["done"]

    second = await asyncio.create_subprocess_exec(
        MIGRATOR, "extract", env=env, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await asyncio.wait_for(second.communicate(), 120)
    assert second.returncode == 0
    assert "(resumed)" in output.decode()

    total = sum(len(d) for d in scenario.documents.values())
    summary = await run_load(scenario.load_settings())
    # Nothing after the last checkpoint was skipped (a record sent just before the
    # kill, but not yet checkpointed, may come twice: the load absorbs it).
    assert summary.consumed >= total
    assert not (await run_verify(scenario.operator_settings())).has_drift

    # The interrupted run is complete now: the next extract is a fresh full one.
    again = await run_extract(scenario.extract_settings())
    assert not again.resumed
    assert again.published == total
