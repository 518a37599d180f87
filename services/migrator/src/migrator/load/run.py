"""``migrator load`` and ``migrator replay``: the topic → the core tables.

``load`` continues from the position it stored, once it has checked that the
position belongs to the topic (see :mod:`migrator.load.position`); it refuses
to read from a position that does not, unless told to start over
(``reset_offsets``). A ``replay`` of the whole topic applies every record, so
it takes such a position over instead: the next load continues after it.
"""

import asyncio
from collections.abc import Iterable
from datetime import datetime

import asyncpg

from migrator.load import aliases, position, reports, store
from migrator.load.apply import apply_batch
from migrator.load.consume import Poll, RecordReader, drain, prefetched
from migrator.load.position import NotThisTopic
from migrator.load.tally import LoadSummary
from migrator.migrations import MIGRATOR_MIGRATIONS
from migrator.progress import NullProgress, Progress
from migrator.runtime import collecting_less
from migrator.settings import LoadSettings
from sendfx_shared.kafka import make_producer, publish_to_dlq
from sendfx_shared.migrations import apply_migrations
from sendfx_shared.postgres import connect
from sendfx_shared.topics import MIGRATOR_CORE_RECORDS

_TASK = "records"
_ATTEMPTS = 5
Malformed = tuple[bytes | None, bytes | None, str]


class _Loader:
    def __init__(
        self,
        settings: LoadSettings,
        connection: asyncpg.Connection,
        summary: LoadSummary,
        progress: Progress,
        *,
        keep_offsets: bool,
        dry_run: bool = False,
    ) -> None:
        self.settings = settings
        self.connection = connection
        self.summary = summary
        self.progress = progress
        self.keep_offsets = keep_offsets
        self.dry_run = dry_run

    async def apply(self, poll: Poll) -> None:
        if poll.malformed and not self.dry_run:
            await self._dead_letter(poll.malformed)
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                outcome = await apply_batch(
                    self.connection,
                    poll.records,
                    topic=self.summary.topic if self.keep_offsets else None,
                    positions=poll.last,
                )
                break
            except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                # Another loader (a replay beside `load --follow`) took the rows
                # in another order; the transaction left nothing behind.
                if attempt == _ATTEMPTS:
                    raise
                await asyncio.sleep(0.1 * attempt)
        self.summary.outcome.add(outcome)
        self.summary.tally.count(
            outcome,
            poll.last,
            malformed=len(poll.malformed),
            not_selected=poll.seen - len(poll.records) - len(poll.malformed),
        )
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
        self.summary.rejects = await reports.rejects_report(self.connection)
        self.summary.merges = await aliases.merged_users(self.connection)
        self.summary.kept, self.summary.platform_merges = await reports.platform_rows(
            self.connection
        )
        self.summary.waiting = await reports.waiting_counts(self.connection)
        self.progress.finish(_TASK)


async def _open(settings: LoadSettings, command: str) -> tuple[asyncpg.Connection, RecordReader]:
    connection = await connect(settings.postgres_url, application_name=f"migrator-{command}")
    await apply_migrations(connection, MIGRATOR_MIGRATIONS)
    await store.prepare_staging(connection)
    reader = RecordReader(settings, settings.topic(MIGRATOR_CORE_RECORDS))
    await reader.start()
    return connection, reader


async def _resume(
    connection: asyncpg.Connection, reader: RecordReader, summary: LoadSummary, *, reset: bool
) -> None:
    """Seek to the stored position, once it is known to belong to the topic
    (with ``reset``, forget it first: the whole topic is read)."""
    if reset and (dropped := await position.forget(connection, reader.topic)):
        summary.notes.append(
            f"stored position forgotten ({dropped} partitions): read from the beginning"
        )
    stored = await position.stored(connection, reader.topic)
    if problems := await position.problems(reader, stored):
        raise NotThisTopic(reader.topic, problems)
    await _seek(reader, summary, {p: s.next_offset for p, s in stored.items()})


async def _seek(reader: RecordReader, summary: LoadSummary, offsets: dict[int, int]) -> None:
    """Start each partition at its offset (else at its beginning): the range
    the summary accounts for starts there."""
    await reader.seek(offsets)
    summary.tally.start(
        await reader.beginning_offsets(), await reader.positions(), await reader.end_offsets()
    )


async def _take_over(
    connection: asyncpg.Connection, reader: RecordReader, summary: LoadSummary, *, whole: bool
) -> bool:
    """Whether a replay stores its position for the next load: only when it
    reads the whole topic and load's stored position does not belong to it."""
    problems = await position.problems(reader, await position.stored(connection, reader.topic))
    if not problems:
        return False
    if not whole:
        summary.notes.append(
            "load's stored position does not belong to this topic ("
            + "; ".join(problems)
            + "): left as it is, since this replay does not read every record; "
            "`migrator replay --from-beginning` (every collection) or "
            "`migrator load --reset-offsets` replaces it"
        )
        return False
    await position.forget(connection, reader.topic)
    summary.notes.append(
        "load's stored position did not belong to this topic ("
        + "; ".join(problems)
        + "): replaced by this replay's, so the next load continues after it"
    )
    return True


@collecting_less
async def run_load(
    settings: LoadSettings,
    *,
    follow: bool = False,
    stop: asyncio.Event | None = None,
    progress: Progress | None = None,
    reset_offsets: bool = False,
) -> LoadSummary:
    """Consume from where the last load stopped (offsets kept in PostgreSQL) to
    the end offsets seen at the start, or, with ``follow``, until ``stop``.
    Raises :class:`NotThisTopic`, having read nothing, when the stored position
    does not belong to the topic; ``reset_offsets`` forgets it first."""
    progress = progress or NullProgress()
    connection, reader = await _open(settings, "load")
    summary = LoadSummary(reader.topic)
    try:
        await _resume(connection, reader, summary, reset=reset_offsets)
        loader = _Loader(settings, connection, summary, progress, keep_offsets=True)
        # Before the first record, what lies ahead is all there is to read.
        progress.start(_TASK, None if follow else summary.tally.after)
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
                await _resume(connection, reader, summary, reset=False)
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


@collecting_less
async def run_replay(
    settings: LoadSettings,
    *,
    since: datetime | None = None,
    collections: Iterable[str] | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> LoadSummary:
    """Re-apply the topic from the beginning (or from records published at or
    after ``since``); idempotent upserts make every replay leave the same rows.
    Load's stored position stays as it is, unless it does not belong to the
    topic and the replay reads all of it: then the replay's replaces it.
    ``dry_run``: the same work and summary, rolled back (nor any DLQ message)."""
    progress = progress or NullProgress()
    connection, reader = await _open(settings, "replay")
    summary = LoadSummary(reader.topic)
    # A dry run does all the work in one transaction (each batch's becomes a
    # savepoint) and rolls it back: its summary counts what a replay would do.
    dry = connection.transaction() if dry_run else None
    try:
        if dry is not None:
            await dry.start()
        whole = since is None and not collections
        take_over = await _take_over(connection, reader, summary, whole=whole)
        await _seek(reader, summary, {})
        loader = _Loader(
            settings, connection, summary, progress, keep_offsets=take_over, dry_run=dry_run
        )
        progress.start(_TASK, summary.tally.after)
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
        if dry is not None:
            await dry.rollback()
        await reader.stop()
        await connection.close()
