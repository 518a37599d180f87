"""``migrator extract``: publish every legacy core document, parents first."""

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from migrator.extract.checkpoints import CheckpointStore, resumable
from migrator.extract.records import NotAnObjectId, encode_record, legacy_id_of
from migrator.mapping.ejson import Unmappable, timestamp
from migrator.progress import NullProgress, Progress
from migrator.runtime import collecting_less
from migrator.settings import ExtractSettings
from sendfx_shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE, CONTENT_TYPE_HEADER
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER, LegacyCollection
from sendfx_shared.kafka import make_producer, publish_to_dlq
from sendfx_shared.mongo import client_options
from sendfx_shared.topics import MIGRATOR_CORE_RECORDS

_HEADERS = [(CONTENT_TYPE_HEADER, CLOUDEVENTS_CONTENT_TYPE.encode())]


@dataclass
class CollectionReport:
    collection: str
    published: int = 0
    skipped_since: int = 0
    invalid: list[str] = field(default_factory=list)
    resumed: bool = False
    already_done: bool = False


@dataclass
class ExtractSummary:
    topic: str
    resumed: bool
    collections: list[CollectionReport]

    @property
    def published(self) -> int:
        return sum(c.published for c in self.collections)


def changed_since(document: dict[str, Any], since: datetime) -> bool:
    """A document changed at or after ``since``; undated or unreadable dates
    count as changed, so ``--since`` never drops a record silently."""
    try:
        moment = timestamp(document.get("updatedAt"), "updatedAt") or timestamp(
            document.get("createdAt"), "createdAt"
        )
    except Unmappable:
        return True
    return moment is None or moment >= since


class _Publisher:
    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic
        self.sent = 0

    async def publish(
        self,
        collection: LegacyCollection,
        documents: list[dict[str, Any]],
        report: CollectionReport,
    ) -> None:
        now = datetime.now(UTC)
        futures: list[asyncio.Future[Any]] = []
        for document in documents:
            try:
                legacy_id = legacy_id_of(document)
            except NotAnObjectId as exc:
                report.invalid.append(f"{document.get('_id')!r}: {exc}")
                await self._dead_letter(collection, document, str(exc))
                continue
            try:
                key, value = encode_record(collection, legacy_id, document, now)
            except Exception as exc:  # a value extended JSON cannot carry: report, go on
                reason = f"not encodable as extended JSON: {type(exc).__name__}: {exc}"
                report.invalid.append(f"{legacy_id}: {reason}")
                await self._dead_letter(collection, document, reason)
                continue
            futures.append(await self.producer.send(self.topic, value, key, headers=_HEADERS))
            self.sent += 1
            report.published += 1
        await asyncio.gather(*futures)

    async def _dead_letter(self, collection: str, document: dict[str, Any], reason: str) -> None:
        """The document that could not become a record goes to ``<topic>.dlq``
        the way every rejected message does: reason in a header and the body."""
        from bson import json_util

        would_be = {"collection": collection, "document": document}
        try:
            value = json_util.dumps(would_be, json_options=json_util.RELAXED_JSON_OPTIONS)
        except Exception:  # the document itself is what cannot be encoded
            value = json.dumps({**would_be, "document": repr(document)})
        await publish_to_dlq(
            self.producer,
            self.topic,
            key=f"{collection}:{document.get('_id')}".encode(),
            value=value.encode(),
            headers=[],
            reason=reason,
        )


@collecting_less
async def run_extract(
    settings: ExtractSettings,
    *,
    collections: Sequence[LegacyCollection] | None = None,
    since: datetime | None = None,
    restart: bool = False,
    progress: Progress | None = None,
) -> ExtractSummary:
    """Publish the legacy documents of ``collections`` (all by default) in
    dependency order, resuming a run that stopped half-way."""
    wanted = [c for c in LEGACY_COLLECTIONS_IN_ORDER if collections is None or c in collections]
    since_key = since.astimezone(UTC).isoformat() if since else None
    progress = progress or NullProgress()
    topic = settings.topic(MIGRATOR_CORE_RECORDS)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.legacy_url,
        tz_aware=True,
        **client_options(settings, "migrator-extract", settings.legacy_url),
    )
    producer = make_producer(settings, linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    try:
        database = client[settings.legacy_database]
        checkpoints = CheckpointStore(client[settings.checkpoint_database])
        found = await checkpoints.read(list(wanted))
        resume = not restart and resumable(list(wanted), found, since_key)
        if not resume:
            await checkpoints.clear(list(wanted))
            found = {}
        publisher = _Publisher(producer, topic)
        reports: list[CollectionReport] = []
        for collection in wanted:
            report = CollectionReport(collection)
            reports.append(report)
            checkpoint = found.get(collection)
            if checkpoint is not None and checkpoint.done:
                report.already_done = True
                continue
            query: dict[str, Any] = {}
            published = 0
            if checkpoint is not None and checkpoint.last_id is not None:
                query = {"_id": {"$gt": checkpoint.last_id}}
                report.resumed = True
                published = checkpoint.published
            total = await database[collection].count_documents(query)
            progress.start(collection, total)
            batch: list[dict[str, Any]] = []
            last_id: Any = checkpoint.last_id if checkpoint else None
            cursor = database[collection].find(query).sort("_id", 1)
            cursor = cursor.batch_size(settings.extract_batch_size)
            async for document in cursor:
                batch.append(document)
                if len(batch) >= settings.extract_batch_size:
                    last_id, published = await _flush(
                        publisher, collection, batch, report, since, published
                    )
                    await checkpoints.save(
                        collection, last_id, published, done=False, since=since_key
                    )
                    progress.advance(collection, len(batch))
                    batch = []
            if batch:
                last_id, published = await _flush(
                    publisher, collection, batch, report, since, published
                )
                progress.advance(collection, len(batch))
            await checkpoints.save(collection, last_id, published, done=True, since=since_key)
            progress.finish(collection)
        return ExtractSummary(topic=topic, resumed=resume, collections=reports)
    finally:
        await producer.stop()
        await client.close()


async def _flush(
    publisher: _Publisher,
    collection: LegacyCollection,
    batch: list[dict[str, Any]],
    report: CollectionReport,
    since: datetime | None,
    published: int,
) -> tuple[Any, int]:
    chosen = batch
    if since is not None:
        chosen = [d for d in batch if changed_since(d, since)]
        report.skipped_since += len(batch) - len(chosen)
    before = report.published
    await publisher.publish(collection, chosen, report)
    return batch[-1]["_id"], published + report.published - before
