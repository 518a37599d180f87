"""`migrator load --follow`, as the runner starts it: consumes until SIGTERM."""

import asyncio
import signal

import pytest

from migrator.extract import run_extract

from .support import MIGRATOR, Scenario, fetch


@pytest.mark.slow
async def test_load_follow_stops_cleanly_on_sigterm(scenario: Scenario) -> None:
    env = scenario.command_env("postgres")
    process = await asyncio.create_subprocess_exec(
        MIGRATOR, "load", "--follow", env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        await run_extract(scenario.extract_settings(), collections=["tiers"])
        for _ in range(300):
            if len(await fetch(scenario.postgres_url, "SELECT id FROM core.tiers")) == 5:
                break
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    assert len(await fetch(scenario.postgres_url, "SELECT id FROM core.tiers")) == 5
    # It ends with its summary table.
    assert "tiers" in output.decode() and "migrated" in output.decode()
