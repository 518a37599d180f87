"""Where ``migrator load`` stands in the topic, and whether that is still true.

The position is kept in PostgreSQL (``migrator.consumer_offsets``), written in
the same transaction as the rows. An offset alone means nothing once the topic
is gone: a topic deleted and created again (a broker restarted empty, a
rebuilt cluster) hands out the same offsets for new records, and a load that
trusted them would skip those records and report success. So beside each
partition's next offset the load keeps the last record it applied there (its
offset, key and broker timestamp), and before it reads anything it checks the
topic still holds that record at that offset. The timestamp matters: the same
legacy data extracted again lands at the same offsets with the same keys.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import asyncpg
from aiokafka import ConsumerRecord


class LastApplied(NamedTuple):
    offset: int
    key: bytes | None
    timestamp: int

    @staticmethod
    def of(message: ConsumerRecord[bytes, bytes]) -> "LastApplied":
        return LastApplied(message.offset, message.key, message.timestamp)


@dataclass(frozen=True)
class Stored:
    next_offset: int
    last: LastApplied | None  # None: stored before the last record was kept


class NotThisTopic(Exception):
    """The stored position does not belong to the topic the load reads."""

    def __init__(self, topic: str, problems: list[str]) -> None:
        self.topic = topic
        self.problems = problems
        super().__init__(
            f"the position stored for {topic} does not belong to the topic it reads "
            "(deleted and created again, or emptied, since the last load?):\n"
            + "".join(f"  - {problem}\n" for problem in problems)
            + "Nothing was loaded: reading on from there would skip records the topic "
            "holds. Choose how to go on:\n"
            "  migrator replay --from-beginning   re-applies every record on the topic "
            "and stores its position for the next load\n"
            "  migrator load --reset-offsets      forgets the stored position and loads "
            "the topic from its beginning"
        )


class Topic(Protocol):
    """What the check needs of the topic (``consume.RecordReader``)."""

    @property
    def numbers(self) -> list[int]: ...

    async def beginning_offsets(self) -> dict[int, int]: ...

    async def records_at(
        self, offsets: Mapping[int, int]
    ) -> dict[int, ConsumerRecord[bytes, bytes]]: ...


async def stored(connection: asyncpg.Connection, topic: str) -> dict[int, Stored]:
    rows = await connection.fetch(
        """
        SELECT partition, next_offset, last_offset, last_key, last_timestamp
        FROM migrator.consumer_offsets WHERE topic = $1
        """,
        topic,
    )
    return {
        r["partition"]: Stored(
            r["next_offset"],
            None
            if r["last_offset"] is None
            else LastApplied(r["last_offset"], r["last_key"], r["last_timestamp"]),
        )
        for r in rows
    }


async def save(connection: asyncpg.Connection, topic: str, last: Mapping[int, LastApplied]) -> None:
    if not last:
        return
    await connection.execute(
        """
        INSERT INTO migrator.consumer_offsets
            (topic, partition, next_offset, last_offset, last_key, last_timestamp)
        SELECT $1, p, o + 1, o, k, t
        FROM unnest($2::int4[], $3::int8[], $4::bytea[], $5::int8[]) AS x(p, o, k, t)
        ON CONFLICT (topic, partition) DO UPDATE
            SET next_offset = EXCLUDED.next_offset, last_offset = EXCLUDED.last_offset,
                last_key = EXCLUDED.last_key, last_timestamp = EXCLUDED.last_timestamp,
                updated_at = now()
        """,
        topic,
        list(last),
        [a.offset for a in last.values()],
        [a.key for a in last.values()],
        [a.timestamp for a in last.values()],
    )


async def forget(connection: asyncpg.Connection, topic: str) -> int:
    """Drop the stored position: the next read starts at the topic's beginning."""
    result = await connection.execute(
        "DELETE FROM migrator.consumer_offsets WHERE topic = $1", topic
    )
    return int(result.split()[-1])


async def problems(topic: Topic, positions: Mapping[int, Stored]) -> list[str]:
    """Why ``positions`` cannot be where the topic was read up to (none: it can)."""
    found: list[str] = []
    begins = await topic.beginning_offsets() if topic.numbers else {}
    to_fetch: dict[int, int] = {}
    for partition, position in sorted(positions.items()):
        if partition not in begins:
            found.append(
                f"partition {partition}: a position is stored, the topic has no such partition"
            )
        elif position.next_offset < begins[partition]:
            # Records between the two were never read: the topic was re-created
            # (and then trimmed), or retention deleted them first.
            found.append(
                f"partition {partition}: stored offset {position.next_offset} lies before "
                f"its beginning ({begins[partition]})"
            )
        elif position.last is None:
            found.append(
                f"partition {partition}: offset {position.next_offset} was stored without "
                "the record it follows (by an older migrator), so it cannot be checked"
            )
        elif position.last.offset >= begins[partition]:
            to_fetch[partition] = position.last.offset
        # else: trimmed exactly up to the position; nothing unread is lost.
    records = await topic.records_at(to_fetch)
    for partition, offset in to_fetch.items():
        expected = positions[partition].last
        assert expected is not None
        record = records.get(partition)
        if record is None:
            found.append(
                f"partition {partition}: stored offset {positions[partition].next_offset} "
                "lies beyond its end"
            )
        elif LastApplied.of(record) != expected:
            found.append(
                f"partition {partition}: the record at offset {offset} is not the one "
                f"applied there (key {_shown(expected.key)}, timestamp {expected.timestamp}; "
                f"found offset {record.offset}, key {_shown(record.key)}, "
                f"timestamp {record.timestamp})"
            )
    return found


def _shown(key: bytes | None) -> str:
    return "none" if key is None else repr(key.decode(errors="replace"))
