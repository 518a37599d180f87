"""Property: whatever order the records arrive in, and however they are batched,
the load ends with the same rows and the same rejects."""

import json
import random
from typing import Any

from bson import json_util
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.load import store
from migrator.load.apply import Incoming, apply_batch
from sendfx_dev.legacy_data import Documents
from sendfx_shared.postgres import connect

from .support import WIPE_LOADED, Scenario, checksums_on

EMPTY = "d41d8cd98f00b204e9800998ecf8427e"  # md5 of no rows


def _records(documents: Documents) -> list[Incoming]:
    out = []
    for collection, docs in documents.items():
        for doc in docs:
            as_json = json.loads(json_util.dumps(doc, json_options=json_util.RELAXED_JSON_OPTIONS))
            out.append(Incoming(collection, str(doc["_id"]), as_json))  # type: ignore[arg-type]
    return out


async def _load(postgres_url: str, records: list[Incoming], batch: int) -> tuple[Any, ...]:
    connection = await connect(postgres_url)
    try:
        await connection.execute(WIPE_LOADED)
        await store.prepare_staging(connection)
        for start in range(0, len(records), batch):
            await apply_batch(connection, records[start : start + batch])
        await store.reject_pending(connection)
        sums = list((await checksums_on(connection)).values())
        rejected = await connection.fetch(
            "SELECT collection, legacy_id FROM migrator.migration_rejects ORDER BY 1, 2"
        )
        return (*sums, tuple(tuple(r) for r in rejected))
    finally:
        await connection.close()


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(7, 300))
async def test_any_arrival_order_and_batching_gives_the_same_tables(
    scenario: Scenario, seed: int, batch: int
) -> None:
    records = _records(scenario.documents)
    in_order = await _load(scenario.postgres_url, records, 5000)
    assert EMPTY not in in_order[:-1] and in_order[-1], "every table has rows, some are rejected"
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    assert await _load(scenario.postgres_url, shuffled, batch) == in_order
