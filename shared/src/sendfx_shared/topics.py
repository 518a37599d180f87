"""Kafka topic names, in one place.

A deployment may prefix every topic (``KAFKA_TOPIC_PREFIX``) so that test
sessions sharing one broker never see each other's messages; production
leaves the prefix empty and uses the contract names as they are.
"""

from typing import Final

OPENAI_CALL_COMPLETED: Final = "openai.call.completed"
CORE_EVENTS: Final = "core.events"
FEATURE_EVENTS: Final = "feature.events"
MIGRATOR_CORE_RECORDS: Final = "migrator.core-records"

DLQ_SUFFIX: Final = ".dlq"


def dlq_of(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return f"{topic}{DLQ_SUFFIX}"


def prefixed(topic: str, prefix: str) -> str:
    return f"{prefix}{topic}"
