"""A topic re-created under load's stored position: load refuses to skip it.

The broker loses the topic (every local `make up` starts an empty one; a
cluster can be rebuilt) and extract publishes the records again, at the same
offsets. A load continuing from its stored offsets would read nothing and
report success; it must either migrate everything or refuse, naming the two
ways on, and never exit 0 having read nothing.
"""

import asyncio
import dataclasses
from pathlib import Path

import pytest

from migrator.extract import run_extract
from migrator.load import NotThisTopic, run_load, run_replay
from migrator.verify import run_verify
from sendfx_dev import servers
from sendfx_dev.ports import free_port
from sendfx_shared.postgres import connect

from .support import MIGRATOR, WIPE_LOADED, Scenario, fetch, recreate_topic

WAYS_ON = ("migrator replay --from-beginning", "migrator load --reset-offsets")


def _total(scenario: Scenario) -> int:
    return sum(len(d) for d in scenario.documents.values())


async def _wipe(scenario: Scenario) -> None:
    """The rows go, the stored position stays: what a load reading nothing
    would leave unnoticed."""
    connection = await connect(scenario.postgres_url)
    try:
        await connection.execute(WIPE_LOADED)
    finally:
        await connection.close()


async def _migrator(scenario: Scenario, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        MIGRATOR,
        *args,
        env=scenario.command_env("postgres"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_the_same_records_again_at_the_same_offsets_are_refused(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    await recreate_topic(scenario)
    await _wipe(scenario)
    # Same legacy data, same partitioning: the same keys at the same offsets.
    await run_extract(scenario.extract_settings())

    with pytest.raises(NotThisTopic) as refused:
        await run_load(scenario.load_settings())
    assert any("is not the one applied" in p for p in refused.value.problems)
    assert all(way in str(refused.value) for way in WAYS_ON)
    assert await fetch(scenario.postgres_url, "SELECT id FROM core.tiers") == []

    summary = await run_load(scenario.load_settings(), reset_offsets=True)
    assert summary.consumed == _total(scenario)
    assert not (await run_verify(scenario.operator_settings())).has_drift
    # The new position belongs to the new topic: the next load goes on from it.
    assert (await run_load(scenario.load_settings())).consumed == 0


async def test_a_position_beyond_the_end_is_refused_by_the_command(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    await recreate_topic(scenario)
    await _wipe(scenario)
    await run_extract(scenario.extract_settings(), collections=["tiers", "users"])

    status, output = await _migrator(scenario, "load")
    assert status == 3, output
    assert "beyond its end" in output
    assert all(way in output for way in WAYS_ON)
    assert await fetch(scenario.postgres_url, "SELECT id FROM core.tiers") == []

    # A replay of the whole topic applies it and takes the position over...
    status, output = await _migrator(scenario, "replay", "--from-beginning", "--yes")
    assert status == 0, output
    assert "replaced by this replay's" in output
    tiers = await fetch(scenario.postgres_url, "SELECT id FROM core.tiers")
    assert len(tiers) == 5
    # ...so the next load continues after it, with the records extracted since.
    await run_extract(scenario.extract_settings(), collections=["workspaces"])
    summary = await run_load(scenario.load_settings())
    assert summary.consumed == scenario.count("workspaces")


async def test_a_replay_of_part_of_the_topic_leaves_the_position(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings(), collections=["tiers"])
    await run_load(scenario.load_settings())
    await recreate_topic(scenario)
    await run_extract(scenario.extract_settings(), collections=["tiers"])

    summary = await run_replay(scenario.load_settings(), collections=["tiers"])
    assert any("left as it is" in note for note in summary.notes)
    with pytest.raises(NotThisTopic):
        await run_load(scenario.load_settings())


async def test_a_position_stored_without_its_record_is_not_trusted(scenario: Scenario) -> None:
    """Offsets stored by a migrator from before the record was kept."""
    await run_extract(scenario.extract_settings(), collections=["tiers"])
    connection = await connect(scenario.postgres_url)
    try:
        await connection.execute(
            "INSERT INTO migrator.consumer_offsets (topic, partition, next_offset) "
            "VALUES ($1, 0, 1)",
            scenario.topic,
        )
    finally:
        await connection.close()
    with pytest.raises(NotThisTopic) as refused:
        await run_load(scenario.load_settings())
    assert "cannot be checked" in str(refused.value)


async def test_a_broker_restarted_empty_never_passes_for_a_finished_load(
    scenario: Scenario, tmp_path: Path
) -> None:
    """A second, empty broker in place of the first: extract creates the topic
    there anew (with the broker's default partitions), and the load migrates
    everything or refuses; it never reads nothing and exits 0."""
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    await _wipe(scenario)
    broker = await asyncio.to_thread(
        servers.start_tansu, free_port(), tmp_path / "kafka.log", die_with_parent=True
    )
    try:
        restarted = dataclasses.replace(scenario, kafka=broker.url)
        await run_extract(restarted.extract_settings())
        status, output = await _migrator(restarted, "load")
        if status == 0:
            assert not (await run_verify(scenario.operator_settings())).has_drift, output
        else:
            assert status == 3, output
            assert all(way in output for way in WAYS_ON)
            status, output = await _migrator(restarted, "load", "--reset-offsets")
            assert status == 0, output
        assert not (await run_verify(scenario.operator_settings())).has_drift
    finally:
        await asyncio.to_thread(broker.stop)
