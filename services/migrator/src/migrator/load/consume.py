"""Reading ``migrator.core-records`` with manual partition assignment.

No consumer group: ``load`` keeps its offsets in PostgreSQL, in the same
transaction as the rows (so a crash never loses or doubles an effect), and
``replay`` seeks to where it is told. Both avoid the group join entirely.
"""

import asyncio
import re
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, cast

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic_core import from_json

from migrator.load.apply import Incoming
from migrator.load.merge import DependencyMerge
from migrator.load.position import LastApplied
from sendfx_shared.events.migrator import (
    LEGACY_COLLECTIONS_IN_ORDER,
    MIGRATOR_CORE_RECORD_TYPE,
    LegacyCollection,
)
from sendfx_shared.settings import KafkaSettings

_COLLECTIONS: Final[frozenset[str]] = frozenset(LEGACY_COLLECTIONS_IN_ORDER)
# Records parsed (or unpacked) between two yields to the event loop.
_SLICE: Final = 32
# How long the merge may wait for a silent partition before it lets go.
_STARVED_MS: Final = 1000
_LEGACY_ID: Final = re.compile(r"[0-9a-f]{24}")  # CoreRecord.legacy_id's pattern
# How long a record at a given offset is waited for before it counts as absent:
# the brokers' end offsets cannot say (Tansu's may lag behind the last batch).
_LOOKUP_MS: Final = 3000


@dataclass
class Poll:
    records: list[Incoming] = field(default_factory=list)
    # Messages that are not core records at all: (key, value, reason).
    malformed: list[tuple[bytes | None, bytes | None, str]] = field(default_factory=list)
    # Per partition, the last message of the poll: the position it reached.
    last: dict[int, LastApplied] = field(default_factory=dict)
    seen: int = 0


def parse(message: ConsumerRecord[bytes, bytes]) -> Incoming:
    """The core record a message carries; raises ValueError with the reason."""
    try:
        envelope = from_json(message.value or b"")  # the Rust parser: the hot path
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(envelope, dict) or envelope.get("type") != MIGRATOR_CORE_RECORD_TYPE:
        raise ValueError("not a migrator.core-record CloudEvent")
    # The checks of ``CoreRecord`` by hand: a model instance per record cost
    # about a tenth of the load's CPU, and the record is taken apart at once.
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise ValueError("invalid core record: data is not an object")
    collection, legacy_id, document = (
        data.get("collection"),
        data.get("legacy_id"),
        data.get("document"),
    )
    if collection not in _COLLECTIONS:
        raise ValueError(f"invalid core record: unknown collection {collection!r}")
    if type(legacy_id) is not str or not _LEGACY_ID.fullmatch(legacy_id):
        raise ValueError(f"invalid core record: legacy_id is not an ObjectId: {legacy_id!r}")
    if not isinstance(document, dict):
        raise ValueError("invalid core record: document is not an object")
    return Incoming.read(cast(LegacyCollection, collection), legacy_id, document)


class RecordReader:
    def __init__(self, settings: KafkaSettings, topic: str) -> None:
        self.topic = topic
        self._consumer = AIOKafkaConsumer(
            **settings.kafka_client_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=32 * 1024 * 1024,
        )
        self.partitions: list[TopicPartition] = []
        self._merge: DependencyMerge | None = None  # drains only
        self._starved_ms = 0

    async def start(self) -> None:
        await self._consumer.start()
        await self._consumer.topics()  # refreshes the metadata
        numbers = self._consumer.partitions_for_topic(self.topic) or set()
        self.partitions = [TopicPartition(self.topic, p) for p in sorted(numbers)]
        if self.partitions:
            self._consumer.assign(self.partitions)

    async def stop(self) -> None:
        await self._consumer.stop()

    @property
    def numbers(self) -> list[int]:
        return [tp.partition for tp in self.partitions]

    async def seek(self, offsets: dict[int, int]) -> None:
        """Start at the stored offset of each partition, the beginning otherwise."""
        for tp in self.partitions:
            if tp.partition in offsets:
                self._consumer.seek(tp, offsets[tp.partition])
            else:
                await self._consumer.seek_to_beginning(tp)

    async def end_offsets(self) -> dict[int, int]:
        """The offset after each partition's last record. Tansu reports the
        offset after the first record of the last batch instead (which left a
        drain short of the end, its last batches unread): the batch fetched
        from there tells the rest. Leaves the positions as they were."""
        if not self.partitions:
            return {}
        reported = await self._consumer.end_offsets(self.partitions)
        ends = {tp.partition: offset for tp, offset in reported.items()}
        begins = await self.beginning_offsets()
        positions = await self.positions()
        last = await self._fetch_from(
            {p: end - 1 for p, end in ends.items() if end > begins[p]}, whole_batch=True
        )
        for tp in self.partitions:
            self._consumer.seek(tp, positions[tp.partition])
        for partition, messages in last.items():
            ends[partition] = max(ends[partition], messages[-1].offset + 1)
        return ends

    async def beginning_offsets(self) -> dict[int, int]:
        if not self.partitions:
            return {}
        begins = await self._consumer.beginning_offsets(self.partitions)
        return {tp.partition: offset for tp, offset in begins.items()}

    async def positions(self) -> dict[int, int]:
        return {tp.partition: await self._consumer.position(tp) for tp in self.partitions}

    async def records_at(
        self, offsets: Mapping[int, int]
    ) -> dict[int, ConsumerRecord[bytes, bytes]]:
        """The first record at or after each partition's offset, where there is
        one within a few seconds. Leaves the positions anywhere: seek after."""
        found = await self._fetch_from(offsets, whole_batch=False)
        return {partition: messages[0] for partition, messages in found.items()}

    async def _fetch_from(
        self, offsets: Mapping[int, int], *, whole_batch: bool
    ) -> dict[int, list[ConsumerRecord[bytes, bytes]]]:
        """The first fetch that brings records at or after each partition's
        offset (all it brings, or only the first record)."""
        wanted = {tp: offsets[tp.partition] for tp in self.partitions if tp.partition in offsets}
        for tp, offset in wanted.items():
            self._consumer.seek(tp, offset)
        found: dict[int, list[ConsumerRecord[bytes, bytes]]] = {}
        deadline = time.monotonic() + _LOOKUP_MS / 1000
        while wanted and time.monotonic() < deadline:
            fetched = await self._consumer.getmany(
                *wanted, timeout_ms=500, max_records=None if whole_batch else 1
            )
            for tp, messages in fetched.items():
                if messages and tp in wanted:
                    found[tp.partition] = messages
                    del wanted[tp]
        return found

    def merge_up_to(self, ends: dict[int, int], positions: dict[int, int]) -> None:
        """From now on, release records in dependency order across partitions
        (see :mod:`migrator.load.merge`) until the partitions reach ``ends``."""
        self._merge = DependencyMerge(ends, positions)

    async def _fetch(
        self, limit: int, timeout_ms: int
    ) -> list[tuple[TopicPartition, ConsumerRecord[bytes, bytes]]]:
        # Small slices: aiokafka unpacks what it returns in one go, and the
        # batch being written waits for the loop meanwhile.
        limit = min(_SLICE, limit)
        merge = self._merge
        if merge is None:
            fetched = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=limit)
            return [(tp, m) for tp, batch in fetched.items() for m in batch]
        released = merge.release(limit)
        while not released:
            holding = merge.holding()
            for tp in self.partitions:
                if tp.partition in holding:
                    self._consumer.pause(tp)
                else:
                    self._consumer.resume(tp)
            fetched = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=limit)
            for tp, batch in fetched.items():
                merge.add(tp.partition, batch)
            self._starved_ms = 0 if fetched else self._starved_ms + timeout_ms
            # A partition the merge waits for stays silent: it is only an
            # optimisation, so stop waiting for it rather than stall.
            released = merge.release(limit, everything=self._starved_ms >= _STARVED_MS)
            if not fetched and not merge.held():
                break  # nothing held, nothing came: the end, for now
        by_number = {tp.partition: tp for tp in self.partitions}
        return [(by_number[partition], message) for partition, message in released]

    async def poll(
        self,
        max_records: int,
        timeout_ms: int,
        *,
        since: datetime | None = None,
        collections: set[str] | None = None,
    ) -> Poll:
        polled = Poll()
        if not self.partitions:
            return polled
        since_ms = int(since.timestamp() * 1000) if since else None
        # One fetch response is often a few hundred messages: gather fetches
        # up to a full batch, so each transaction (and pending retry) is worth it.
        messages: list[tuple[TopicPartition, ConsumerRecord[bytes, bytes]]] = []
        last: dict[int, ConsumerRecord[bytes, bytes]] = {}
        wait = timeout_ms
        while len(messages) < max_records:
            fetched = await self._fetch(max_records - len(messages), wait)
            if not fetched:
                break
            messages.extend(fetched)
            wait = 50
        for index, (tp, message) in enumerate(messages):
            if index % _SLICE == _SLICE - 1:
                # Parsing and mapping a batch is CPU work: let the batch being
                # written meanwhile hear back from PostgreSQL without waiting for
                # it. Every statement of that batch waits for this yield, so it
                # comes often (about every millisecond).
                await asyncio.sleep(0)
            polled.seen += 1
            last[tp.partition] = message
            if since_ms is not None and message.timestamp < since_ms:
                continue
            if collections is not None and not _key_in(message.key, collections):
                continue
            try:
                polled.records.append(parse(message))
            except ValueError as exc:
                polled.malformed.append((message.key, message.value, str(exc)))
        polled.last = {partition: LastApplied.of(m) for partition, m in last.items()}
        return polled


def _key_in(key: bytes | None, collections: set[str]) -> bool:
    return key is not None and key.split(b":", 1)[0].decode(errors="replace") in collections


async def drain(reader: RecordReader, **kwargs: Any) -> AsyncIterator[Poll]:
    """Polls until every partition has reached the end offsets seen at the start
    and a poll comes back empty (records published since may follow)."""
    ends = await reader.end_offsets()
    reader.merge_up_to(ends, await reader.positions())
    timeout_ms = kwargs.pop("timeout_ms", 1000)
    while True:
        positions = await reader.positions()
        past_ends = all(positions[p] >= end for p, end in ends.items())
        # Past those ends, only what was published since may follow.
        poll = await reader.poll(timeout_ms=200 if past_ends else timeout_ms, **kwargs)
        if poll.seen:
            yield poll
        elif past_ends:
            return


async def prefetched(polls: AsyncIterator[Poll], depth: int = 2) -> AsyncIterator[Poll]:
    """Fetch and parse the next batches while the current one is written:
    PostgreSQL works in its own process, so the two overlap."""
    queue: asyncio.Queue[Poll | None] = asyncio.Queue(depth)

    async def pump() -> None:
        try:
            async for poll in polls:
                await queue.put(poll)
        finally:
            await queue.put(None)

    task = asyncio.create_task(pump())
    try:
        while (poll := await queue.get()) is not None:
            yield poll
        await task  # re-raises what stopped the pump, if anything did
    finally:
        task.cancel()
