"""The ingestor's own Prometheus metrics (the consumer's and the outbox's are
the shared ones): what was metered, skipped as a duplicate, or left unpriced.
No label: a workspace or model label would be unbounded."""

from typing import Final

from prometheus_client import Counter

EVENTS_METERED: Final = Counter(
    "sendfx_ingest_events_metered", "openai.call.completed events written as usage rows"
)
DUPLICATES_SKIPPED: Final = Counter(
    "sendfx_ingest_duplicates_skipped",
    "Events skipped because the same (source, id) was already metered",
)
UNPRICED: Final = Counter(
    "sendfx_ingest_unpriced_calls", "Metered calls no model price covered (recorded, no cost)"
)
