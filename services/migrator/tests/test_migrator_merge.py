"""load reads the partitions in step, parents first: no record is parked for a
parent that is merely in another partition, further on."""

from aiokafka import ConsumerRecord
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.load.merge import DependencyMerge
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER

from .support import Scenario, fetch


async def test_only_records_whose_parent_never_comes_are_parked(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    # Small batches: read as they come, the three partitions drift apart by
    # far more than a batch, and children would land before their parents.
    summary = await run_load(scenario.load_settings(load_batch_size=25))

    assert sum(summary.waiting.values()) > 0, "the legacy data has orphans"
    # Every record that waited during the run still waits at its end: none was
    # parked and then written after all (which costs a second write each).
    assert dict(summary.outcome.waiting) == summary.waiting
    parked = await fetch(scenario.postgres_url, "SELECT count(*) AS n FROM migrator.pending")
    assert parked[0]["n"] == sum(summary.waiting.values())


def _record(partition: int, offset: int, collection: str) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        "t", partition, offset, 0, 0, f"{collection}:{offset:024x}".encode(), b"{}", None, 0, 0, []
    )


@st.composite
def _partitions_and_fetches(draw: st.DrawFn) -> tuple[dict[int, list[str]], list[int]]:
    """Partitions each published in dependency order, and the order in which
    slices of them are fetched (a partition number per fetch)."""
    names: list[str] = list(LEGACY_COLLECTIONS_IN_ORDER)
    count = draw(st.integers(1, 4))
    partitions = {
        p: sorted(draw(st.lists(st.sampled_from(names), max_size=30)), key=names.index)
        for p in range(count)
    }
    fetches = draw(st.lists(st.integers(0, count - 1), max_size=80))
    return partitions, fetches


@settings(max_examples=200, deadline=None)
@given(_partitions_and_fetches(), st.integers(1, 7), st.integers(1, 9))
def test_the_merge_releases_everything_once_parents_first(
    drawn: tuple[dict[int, list[str]], list[int]], slice_size: int, limit: int
) -> None:
    partitions, fetches = drawn
    merge = DependencyMerge(
        {p: len(c) for p, c in partitions.items()}, dict.fromkeys(partitions, 0)
    )
    fetched = dict.fromkeys(partitions, 0)
    released: list[tuple[int, ConsumerRecord[bytes, bytes]]] = []

    def fetch_from(partition: int) -> None:
        # What the reader does: a paused partition (one holding records) is not fetched.
        if partition in merge.holding():
            return
        start = fetched[partition]
        names = partitions[partition][start : start + slice_size]
        if names:
            merge.add(partition, [_record(partition, start + i, n) for i, n in enumerate(names)])
            fetched[partition] += len(names)

    for partition in [*fetches, *sorted(partitions) * 40]:
        fetch_from(partition)
        released += merge.release(limit)
    released += merge.release(10**6, everything=True)

    # Everything exactly once, each partition in its own order...
    assert sorted((p, m.offset) for p, m in released) == sorted(
        (p, o) for p, c in partitions.items() for o in range(len(c))
    )
    for p in partitions:
        offsets = [m.offset for q, m in released if q == p]
        assert offsets == sorted(offsets)
    # ...and parents before children across partitions.
    order = LEGACY_COLLECTIONS_IN_ORDER.index
    ranks = [order(m.key.split(b":")[0].decode()) for _, m in released if m.key]
    assert ranks == sorted(ranks)
