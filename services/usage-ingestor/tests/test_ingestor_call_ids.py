"""The ids the ingestor draws for ``openai_usage`` rows: unique, and growing
with time, so new rows add to the end of the primary key's index."""

import time
import uuid

from hypothesis import given
from hypothesis import strategies as st

from usage_ingestor.store import time_ordered_uuids


@given(st.integers(1, 2000))
def test_each_batch_of_ids_is_unique_version_7_stamped_with_now(count: int) -> None:
    before = time.time_ns() // 1_000_000
    ids = [uuid.UUID(str(wire)) for wire in time_ordered_uuids(count)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == count
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {uuid.RFC_4122}
    assert all(before <= i.int >> 80 <= after for i in ids)


def test_a_later_batch_sorts_after_an_earlier_one() -> None:
    earlier = time_ordered_uuids(100)
    time.sleep(0.002)
    later = time_ordered_uuids(100)
    assert max(str(i) for i in earlier) < min(str(i) for i in later)
