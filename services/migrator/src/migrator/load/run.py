"""``migrator load`` and ``migrator replay``: the topic → the core tables."""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from migrator.load import store
from migrator.load.apply import BatchOutcome, apply_batch
from migrator.load.consume import Poll, RecordReader, drain, prefetched
from migrator.migrations import MIGRATOR_MIGRATIONS
from migrator.progress import NullProgress, Progress
from migrator.runtime import fewer_collections
from migrator.settings import LoadSettings
from sendfx_shared.kafka import make_producer, publish_to_dlq
from sendfx_shared.migrations import apply_migrations
from sendfx_shared.postgres import connect
from sendfx_shared.topics import MIGRATOR_CORE_RECORDS

_TASK = "records"
_ATTEMPTS = 5
Malformed = tuple[bytes | None, bytes | None, str]


@dataclass
class LoadSummary:
    topic: str
    consumed: int = 0
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    malformed: int = 0
    # (collection, legacy id, reason) of every record rejected so far.
    rejects: list[tuple[str, str, str]] = field(default_factory=list)
    # (merged legacy id, surviving legacy id, email) of every email merge.
    merges: list[tuple[str, str, str]] = field(default_factory=list)
    # Per collection: records still waiting for a parent (also among the rejects).
    waiting: dict[str, int] = field(default_factory=dict)


class _Loader:
    def __init__(
        self,
        settings: LoadSettings,
        connection: asyncpg.Connection,
        summary: LoadSummary,
        progress: Progress,
        *,
        keep_offsets: bool,
    ) -> None:
        self.settings = settings
        self.connection = connection
        self.summary = summary
        self.progress = progress
        self.keep_offsets = keep_offsets

    async def apply(self, poll: Poll) -> None:
        if poll.malformed:
            await self._dead_letter(poll.malformed)
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                outcome = await apply_batch(
                    self.connection,
                    poll.records,
                    topic=self.summary.topic if self.keep_offsets else None,
                    offsets=poll.next_offsets,
                )
                break
            except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                # Another loader (a replay beside `load --follow`) took the rows
                # in another order; the transaction left nothing behind.
                if attempt == _ATTEMPTS:
                    raise
                await asyncio.sleep(0.1 * attempt)
        self.summary.outcome.add(outcome)
        self.summary.consumed += poll.seen
        self.summary.malformed += len(poll.malformed)
        self.progress.advance(_TASK, poll.seen)

    async def _dead_letter(self, malformed: Iterable[Malformed]) -> None:
        """Messages that are not core records go to the DLQ and, where their key
        names a record, to the rejects table too: never dropped silently."""
        producer = make_producer(self.settings)
        await producer.start()
        try:
            rejects: list[tuple[str, str, None, str]] = []
            for key, value, reason in malformed:
                await publish_to_dlq(
                    producer, self.summary.topic, key=key, value=value, headers=[], reason=reason
                )
                collection, _, legacy_id = (key or b"").decode(errors="replace").partition(":")
                if collection and legacy_id:
                    rejects.append((collection, legacy_id, None, f"malformed message: {reason}"))
            await store.reject(self.connection, rejects)
        finally:
            await producer.stop()

    async def finish(self, *, reject_waiting: bool) -> None:
        if reject_waiting:
            await store.reject_pending(self.connection)
        self.summary.rejects = await store.rejects_report(self.connection)
        self.summary.merges = await store.merged_users(self.connection)
        self.summary.waiting = await store.waiting_counts(self.connection)
        self.progress.finish(_TASK)


async def _open(settings: LoadSettings, command: str) -> tuple[asyncpg.Connection, RecordReader]:
    connection = await connect(settings.postgres_url, application_name=f"migrator-{command}")
    await apply_migrations(connection, MIGRATOR_MIGRATIONS)
    await store.prepare_staging(connection)
    reader = RecordReader(settings, settings.topic(MIGRATOR_CORE_RECORDS))
    await reader.start()
    return connection, reader


async def _total(reader: RecordReader) -> int:
    ends = await reader.end_offsets()
    positions = await reader.positions()
    return sum(max(0, end - positions[p]) for p, end in ends.items())


async def _load(
    settings: LoadSettings,
    *,
    follow: bool = False,
    stop: asyncio.Event | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Consume from where the last load stopped (offsets kept in PostgreSQL) to
    the end offsets seen at the start, or, with ``follow``, until ``stop``."""
    progress = progress or NullProgress()
    connection, reader = await _open(settings, "load")
    summary = LoadSummary(reader.topic)
    try:
        await reader.seek(await store.stored_offsets(connection, reader.topic))
        loader = _Loader(settings, connection, summary, progress, keep_offsets=True)
        progress.start(_TASK, None if follow else await _total(reader))
        if not follow:
            polls = drain(reader, max_records=settings.load_batch_size, timeout_ms=1000)
            async for poll in prefetched(polls):
                await loader.apply(poll)
            await loader.finish(reject_waiting=True)
            return summary
        stop = stop or asyncio.Event()
        idle_checked = True
        while not stop.is_set():
            if not reader.partitions:  # the topic does not exist yet
                await asyncio.sleep(1)
                await reader.start()
                await reader.seek(await store.stored_offsets(connection, reader.topic))
                continue
            poll = await reader.poll(settings.load_batch_size, 500)
            if poll.seen:
                await loader.apply(poll)
                idle_checked = False
            elif not idle_checked:
                # Caught up: records that waited long enough are reported.
                await store.reject_pending(connection, settings.pending_grace_seconds)
                idle_checked = True
        await loader.finish(reject_waiting=False)
        return summary
    finally:
        await reader.stop()
        await connection.close()


async def _replay(
    settings: LoadSettings,
    *,
    since: datetime | None = None,
    collections: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Re-apply the topic from the beginning (or from records published at or
    after ``since``) up to the end offsets seen at the start. Upserts are
    idempotent, so a replay leaves the same rows however often it runs."""
    progress = progress or NullProgress()
    connection, reader = await _open(settings, "replay")
    summary = LoadSummary(reader.topic)
    try:
        await reader.seek({})
        loader = _Loader(settings, connection, summary, progress, keep_offsets=False)
        progress.start(_TASK, await _total(reader))
        polls = drain(
            reader,
            max_records=settings.load_batch_size,
            timeout_ms=1000,
            since=since,
            collections=set(collections) if collections else None,
        )
        async for poll in prefetched(polls):
            await loader.apply(poll)
        await loader.finish(reject_waiting=True)
        return summary
    finally:
        await reader.stop()
        await connection.close()


async def run_load(
    settings: LoadSettings,
    *,
    follow: bool = False,
    stop: asyncio.Event | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Consume from where the last load stopped (offsets kept in PostgreSQL) to
    the end offsets seen at the start, or, with ``follow``, until ``stop``."""
    with fewer_collections():
        return await _load(settings, follow=follow, stop=stop, progress=progress)


async def run_replay(
    settings: LoadSettings,
    *,
    since: datetime | None = None,
    collections: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Re-apply the topic from the beginning (or from records published at or
    after ``since``); idempotent upserts make every replay leave the same rows."""
    with fewer_collections():
        return await _replay(settings, since=since, collections=collections, progress=progress)
