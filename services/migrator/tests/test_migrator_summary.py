"""The load and replay summaries account for every record the topic held in the
range read: applied, already applied, merged, rejected, waiting, malformed,
superseded or not selected, adding up; a run that reads nothing says so."""

import asyncio
import dataclasses
import random
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.extract import run_extract
from migrator.extract.records import NotAnObjectId, encode_record, legacy_id_of
from migrator.load import run_load, run_replay
from migrator.load.position import LastApplied
from migrator.load.tally import BatchOutcome, Tally
from sendfx_shared.postgres import connect

from .support import MIGRATOR, WIPE_LOADED, Scenario, create_topic

_PARTITIONS = 3


def _total(scenario: Scenario) -> int:
    return sum(len(d) for d in scenario.documents.values())


async def test_a_full_load_accounts_for_every_record(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    summary = await run_load(scenario.load_settings())
    tally = summary.tally
    assert tally.read == tally.held == summary.consumed == _total(scenario)
    assert tally.before == 0
    # The legacy data has every defect: each fate but the replay's and the bug's shows.
    for fate in ("applied", "merged", "rejected", "waiting"):
        assert tally.fates[fate] > 0, fate
    assert tally.fates["unaccounted"] == tally.fates["already applied"] == 0
    assert tally.after == 0 and summary.warnings == []

    # Read again: nothing left to apply, every record accounted for once more.
    again = await run_load(scenario.load_settings(), reset_offsets=True)
    assert again.tally.read == _total(scenario)
    assert again.tally.fates["applied"] == 0
    assert again.tally.fates["already applied"] == tally.fates["applied"]
    assert again.tally.fates["merged"] == tally.fates["merged"]


async def test_a_load_that_reads_nothing_warns_of_the_records_before_it(
    scenario: Scenario,
) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    process = await asyncio.create_subprocess_exec(
        MIGRATOR, "load", env=scenario.command_env("postgres"), stdout=asyncio.subprocess.PIPE
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    text = output.decode()
    assert process.returncode == 0, text
    assert "records read: 0 = 0 applied" in text
    assert f"{_total(scenario)} before it" in text
    assert "warning: this run read no records" in text
    assert "migrator replay --from-beginning" in text


async def test_a_replay_counts_what_it_did_not_select(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    summary = await run_replay(scenario.load_settings(), collections=["tiers"])
    assert summary.tally.read == _total(scenario)
    assert summary.tally.fates["not selected"] == _total(scenario) - scenario.count("tiers")
    later = await run_replay(scenario.load_settings(), since=datetime.now(UTC))
    assert later.tally.fates["not selected"] == later.tally.read == _total(scenario)


def _pool(scenario: Scenario) -> list[tuple[bytes, bytes]]:
    """Every legacy document extract can publish, as (key, value)."""
    now = datetime.now(UTC)
    messages = []
    for collection, documents in scenario.documents.items():
        for document in documents:
            try:
                legacy_id = legacy_id_of(document)
            except NotAnObjectId:
                continue
            messages.append(encode_record(collection, legacy_id, document, now))  # type: ignore[arg-type]
    return messages


async def _publish(scenario: Scenario, messages: list[tuple[int, bytes | None, bytes]]) -> None:
    await create_topic(scenario.kafka, scenario.topic, _PARTITIONS)
    producer = AIOKafkaProducer(bootstrap_servers=scenario.kafka, enable_idempotence=False)
    await producer.start()
    try:
        sent = [
            await producer.send(scenario.topic, value, key, partition=partition)
            for partition, key, value in messages
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(0, 150),
    repeats=st.integers(0, 30),
    malformed=st.integers(0, 3),
    batch=st.integers(5, 200),
)
async def test_the_summary_adds_up_to_the_records_on_the_topic(
    scenario: Scenario, seed: int, count: int, repeats: int, malformed: int, batch: int
) -> None:
    """Any records, in any order and partitions, repeated, with messages that
    are no core records among them: the fates add up to what the topic holds,
    and reading it all again applies nothing."""
    rng = random.Random(seed)
    pool = _pool(scenario)
    chosen = rng.sample(pool, min(count, len(pool)))
    chosen += [rng.choice(chosen) for _ in range(repeats if chosen else 0)]
    chosen += [(f"users:{uuid.uuid4().hex[:24]}".encode(), b"{not json") for _ in range(malformed)]
    rng.shuffle(chosen)
    messages = [(rng.randrange(_PARTITIONS), key, value) for key, value in chosen]
    example = dataclasses.replace(scenario, prefix=f"{scenario.prefix}{uuid.uuid4().hex[:6]}.")
    connection = await connect(scenario.postgres_url)
    try:
        await connection.execute(WIPE_LOADED)
    finally:
        await connection.close()
    await _publish(example, messages)

    first = await run_load(example.load_settings(load_batch_size=batch))
    again = await run_load(example.load_settings(load_batch_size=batch), reset_offsets=True)
    from collections import Counter as _C

    print(
        "DBG per partition",
        sorted(_C(m[0] for m in messages).items()),
        first.tally.spans,
        again.tally.spans,
    )
    for summary in (first, again):
        tally = summary.tally
        assert tally.read == tally.held == len(messages)
        assert tally.after == 0
        assert tally.fates["malformed"] == malformed
        assert tally.fates["unaccounted"] == tally.fates["not selected"] == 0
        assert all(n >= 0 for n in tally.fates.values()), tally.fates
    assert again.tally.fates["applied"] == 0, again.tally.fates


def test_a_record_is_counted_where_it_ends_in_the_run() -> None:
    """Waiting, then applied once its parent came: counted as applied; read
    again, the earlier message is superseded; records of earlier runs that a
    batch retries are not this run's."""
    child, other, earlier = ("workspaces", "a" * 24), ("workspaces", "b" * 24), ("users", "c" * 24)
    tally = Tally()
    tally.start({0: 0}, {0: 0}, {0: 10})
    tally.count(
        BatchOutcome(arrived={child: "waiting", other: "waiting"}),
        {0: LastApplied(1, None, 0)},
        malformed=0,
        not_selected=0,
    )
    tally.count(
        BatchOutcome(arrived={other: "applied"}, retried={child: "applied", earlier: "applied"}),
        {0: LastApplied(4, None, 0)},
        malformed=1,
        not_selected=1,
    )
    assert dict(+tally.fates) == {"applied": 2, "superseded": 1, "malformed": 1, "not selected": 1}
    assert tally.read == tally.held == 5
    assert tally.after == 5  # offsets 5 to 9 were not reached
