"""Releasing the records of several partitions in dependency order.

``extract`` publishes parents first (tiers, users, workspaces, …), so each
partition is in dependency order, but the partitions are not in step: read as
they come, one partition's members arrive before another's workspaces, and
those members are parked in ``migrator.pending`` and written twice. A drain
therefore merges the partitions: a record is released only once no partition
can still deliver a record of an earlier collection. Records are held in
memory meanwhile, and a partition holding records is paused, so what is held
stays small. Offsets only ever cover released records.
"""

from collections import deque
from typing import Final, TypeAlias

from aiokafka import ConsumerRecord

from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER

_RANKS: Final[dict[bytes, int]] = {
    name.encode(): rank for rank, name in enumerate(LEGACY_COLLECTIONS_IN_ORDER)
}
Message: TypeAlias = ConsumerRecord[bytes, bytes]


def _rank(message: Message) -> int:
    """A record's place in the dependency order; -1 (first) for a key that is
    not a core record's, which the parser rejects anyway."""
    return _RANKS.get((message.key or b"").split(b":", 1)[0], -1)


class DependencyMerge:
    def __init__(self, ends: dict[int, int], positions: dict[int, int]) -> None:
        # The end offsets seen when the drain started: past them, a partition
        # delivers nothing that has to be waited for.
        self._ends = ends
        self._fetched = dict(positions)
        self._last_rank: dict[int, int] = {}
        self._held: dict[int, deque[Message]] = {}

    def add(self, partition: int, messages: list[Message]) -> None:
        held = self._held.setdefault(partition, deque())
        held.extend(messages)
        self._fetched[partition] = messages[-1].offset + 1
        for message in reversed(messages):
            if (rank := _rank(message)) >= 0:
                self._last_rank[partition] = rank
                break

    def holding(self) -> set[int]:
        """The partitions to pause: each holds records that wait for another
        partition to catch up, and fetching more of it would only hold more."""
        return {partition for partition, held in self._held.items() if held}

    def held(self) -> int:
        return sum(len(held) for held in self._held.values())

    def release(self, limit: int, *, everything: bool = False) -> list[tuple[int, Message]]:
        """Up to ``limit`` records no partition can precede any more (with
        ``everything``, whatever is held: the merge is only an optimisation)."""
        released: list[tuple[int, Message]] = []
        while len(released) < limit:
            lowest = None if everything else self._lowest_to_come()
            before = len(released)
            for partition, held in self._held.items():
                while held and len(released) < limit:
                    if lowest is not None and _rank(held[0]) > lowest:
                        break
                    released.append((partition, held.popleft()))
            if len(released) == before:
                break
        return released

    def _lowest_to_come(self) -> int | None:
        """The lowest rank any partition may still deliver (None: no bound)."""
        ranks = []
        for partition, end in self._ends.items():
            held = self._held.get(partition)
            if held:
                ranks.append(_rank(held[0]))
            elif self._fetched.get(partition, 0) < end:
                ranks.append(self._last_rank.get(partition, 0))
        for partition, held in self._held.items():
            if held and partition not in self._ends:
                ranks.append(_rank(held[0]))
        return min(ranks, default=None)
