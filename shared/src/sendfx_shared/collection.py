"""How often CPython's cycle collector runs in our processes.

A request, a batch of events or a chunk of a backfill allocates thousands of
short-lived, acyclic objects (models, records, datetimes, spans) that
reference counting frees anyway. At the default thresholds the collector
rescanned them every 700 allocations: measured at over half of the
ingestor's CPU per event and of the migrator's, and about a tenth of
core-api's per request. Collect far less often, and never rescan what
start-up created.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

_THRESHOLDS: Final = (50_000, 20, 100)


def collect_less() -> None:
    """For the rest of the process; call it once start-up is done."""
    gc.freeze()
    gc.set_threshold(*_THRESHOLDS)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """For the block only (a bulk command inside a longer-lived process)."""
    before = gc.get_threshold()
    collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
