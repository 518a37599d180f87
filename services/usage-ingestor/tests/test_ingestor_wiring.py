"""The FastStream wiring under ``TestKafkaBroker`` (no broker round trip, real
PostgreSQL): the batch subscriber hands raw bytes to the pipeline."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from faststream.kafka import TestKafkaBroker

from usage_ingestor.app import Ingestor
from usage_ingestor.settings import IngestorSettings

from .support import create_workspace, usage_event

Counts = Callable[[uuid.UUID], Awaitable[dict[str, Any]]]


async def test_a_published_batch_is_metered_once(
    ingestor_settings: IngestorSettings, pool: asyncpg.Pool, usage_counts: Counts
) -> None:
    ingestor = Ingestor(ingestor_settings.model_copy(update={"group_id": "wiring"}))
    await ingestor.open()
    workspace = await create_workspace(pool)
    event = usage_event(workspace)
    try:
        async with TestKafkaBroker(ingestor.broker) as broker:
            await broker.publish_batch(
                event.to_json_bytes(),
                event.to_json_bytes(),
                b"{not json",
                usage_event(workspace, usage_missing=True).to_json_bytes(),
                topic=ingestor.topic,
            )
            await ingestor.drain()
    finally:
        await ingestor.close()

    counts = await usage_counts(workspace)
    assert (counts["rows"], counts["calls"], counts["missing"]) == (2, 2, 1)
    assert ingestor.batches.stats.dead_lettered == 1
